"""Fault injection: random API errors, and targeted faults set through /kubesim/faults.

Rules posted to /kubesim/faults (same bearer token as the API) take the form
{"rules": [RULE, ...]} where RULE is one of:
  {"type": "status", "code": 503, "share": 0.5, "method": "GET", "path": "/apis/apps", "count": 3}
  {"type": "drop", "share": 1.0, ...}              close the connection without a response
  {"type": "delay", "seconds": 2.0, "share": 1.0, ...}  respond after a pause
  {"type": "pod", "mode": "Unschedulable" | "ImagePullBackOff" | "CrashLoopBackOff" | "Error",
   "labelSelector": "app=x", "namespace": "ns"}     pods matching stay broken; with Error their
                                                    containers exit with code 1 once they ran
method, path (a prefix), share (default 1.0) and count (how many requests, default unlimited)
are optional. GET returns the rules, DELETE removes them all.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .selectors import labels_match, parse_label_selector

if TYPE_CHECKING:
    from .server import RequestHandler

log = logging.getLogger("kubesim.faults")

RANDOM_CODES = (500, 503, 429)
POD_MODES = {"Unschedulable", "ImagePullBackOff", "CrashLoopBackOff", "Error"}
REQUEST_TYPES = {"status", "drop", "delay"}


class FaultInjector:
    """Decides, per request and per pod, whether to inject a fault."""

    def __init__(self, rate: float = 0.0, seed: int | None = None) -> None:
        self.rate = rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[dict[str, Any]] = []

    # Control endpoint

    def control(self, method: str, path: str, body: Any) -> dict[str, Any]:
        if path.rstrip("/") != "/kubesim/faults":
            raise ApiError(404, f"unknown control path {path}; use /kubesim/faults")
        if method == "GET":
            with self._lock:
                return {"rate": self.rate, "rules": list(self._rules)}
        if method == "DELETE":
            with self._lock:
                self._rules.clear()
            log.info("cleared all fault rules")
            return {"rate": self.rate, "rules": []}
        if method == "POST":
            if not isinstance(body, dict) or not isinstance(body.get("rules", []), list):
                raise ApiError(400, 'the fault request must be a JSON object {"rules": [...]}')
            rules = [self._check_rule(rule) for rule in body.get("rules", [])]
            with self._lock:
                if "rate" in body:
                    self.rate = float(body["rate"])
                self._rules.extend(rules)
                for rule in rules:
                    log.info("added fault rule %s", rule)
                return {"rate": self.rate, "rules": list(self._rules)}
        raise ApiError(405, f"{method} is not supported on /kubesim/faults; use GET, POST or DELETE", reason="MethodNotAllowed")

    def _check_rule(self, rule: Any) -> dict[str, Any]:
        if not isinstance(rule, dict):
            raise ApiError(400, f"fault rule {rule!r} must be an object")
        kind = rule.get("type")
        if kind == "pod":
            if rule.get("mode") not in POD_MODES:
                raise ApiError(400, f"pod fault mode {rule.get('mode')!r} is invalid; use one of {', '.join(sorted(POD_MODES))}")
            parse_label_selector(rule.get("labelSelector", ""))
        elif kind in REQUEST_TYPES:
            if kind == "status" and not isinstance(rule.get("code"), int):
                raise ApiError(400, "a status fault needs an integer code, e.g. 503")
            if kind == "delay" and not isinstance(rule.get("seconds"), (int, float)):
                raise ApiError(400, "a delay fault needs seconds, e.g. 2.0")
        else:
            raise ApiError(400, f"fault type {kind!r} is invalid; use status, drop, delay or pod")
        return dict(rule)

    # Requests

    def intercept(self, handler: RequestHandler, method: str, path: str) -> bool:
        """Inject a request fault; return True when it responded to the request (or dropped it)."""
        rule = self._matching_rule(method, path)
        if rule is not None:
            kind = rule["type"]
            log.warning("injected fault %s on %s %s", kind, method, path)
            if kind == "delay":
                time.sleep(float(rule["seconds"]))
                return False
            if kind == "drop":
                handler.close_connection = True
                try:
                    handler.connection.close()
                except OSError:
                    pass
                return True
            raise _fault_error(int(rule["code"]))

        if self.rate > 0 and not path.startswith("/kubesim/"):
            with self._lock:
                hit = self._random.random() < self.rate
                code = self._random.choice(RANDOM_CODES)
            if hit:
                log.warning("injected fault status %d on %s %s", code, method, path)
                raise _fault_error(code)
        return False

    def _matching_rule(self, method: str, path: str) -> dict[str, Any] | None:
        with self._lock:
            for rule in self._rules:
                if rule["type"] not in REQUEST_TYPES:
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule.get("path") and not path.startswith(rule["path"]):
                    continue
                if self._random.random() >= float(rule.get("share", 1.0)):
                    continue
                if "count" in rule:
                    if rule["count"] <= 0:
                        continue
                    rule["count"] -= 1
                return rule
        return None

    # Pods

    def pod_fault(self, pod: dict[str, Any]) -> str | None:
        """Return the fault mode that applies to a pod, if any."""
        metadata = pod.get("metadata") or {}
        with self._lock:
            rules = [rule for rule in self._rules if rule["type"] == "pod"]
        for rule in rules:
            if rule.get("namespace") and rule["namespace"] != metadata.get("namespace"):
                continue
            if labels_match(parse_label_selector(rule.get("labelSelector", "")), metadata.get("labels")):
                return rule["mode"]
        return None


def _fault_error(code: int) -> ApiError:
    headers = {"Retry-After": "1"} if code in (429, 503) else {}
    messages = {
        429: "Too many requests, please try again later.",
        500: "Internal error occurred: injected fault",
        503: "The server is currently unable to handle the request",
    }
    return ApiError(code, messages.get(code, f"injected fault with status {code}"), headers=headers)
