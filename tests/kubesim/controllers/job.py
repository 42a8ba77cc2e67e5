"""The Job controller and the TTL-after-finished controller for batch/v1 Jobs.

Pods are named <job>-<5 chars> and owned by their Job. A Job succeeds when
spec.completions pods have succeeded, and fails when failed pods (or, with
restartPolicy OnFailure, container restarts) exceed spec.backoffLimit. As
in 1.33, the interim condition SuccessCriteriaMet or FailureTarget comes
first, then Complete or Failed once no pod of the Job is still running.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from ..api import now
from ..store import clone
from .base import Controller, is_deleting, owned_by, pod_from_template, pod_ready
from .events import record_event

log = logging.getLogger("kubesim.controllers.job")

COMPONENT = "job-controller"
TERMINAL_PHASES = ("Succeeded", "Failed")
SUCCESS_REASON = "CompletionsReached"
SUCCESS_MESSAGE = "Reached expected number of succeeded pods"
BACKOFF_REASON = "BackoffLimitExceeded"
BACKOFF_MESSAGE = "Job has reached the specified backoff limit"


def finished_condition(job: dict[str, Any]) -> dict[str, Any] | None:
    """Return the Job's Complete or Failed condition when it is True."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return condition
    return None


def _job_condition(condition_type: str, reason: str, message: str, stamp: str) -> dict[str, Any]:
    return {"type": condition_type, "status": "True", "lastProbeTime": stamp, "lastTransitionTime": stamp, "reason": reason, "message": message}


def _seconds_since(timestamp: str) -> float:
    moment = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return (datetime.datetime.now(datetime.timezone.utc) - moment).total_seconds()


def _restarts(pod: dict[str, Any]) -> int:
    return sum(entry.get("restartCount", 0) for entry in (pod.get("status") or {}).get("containerStatuses") or [])


class JobController(Controller):
    """Run each Job's pods to completion, report its status, and delete finished Jobs after their TTL."""

    def reconcile(self) -> None:
        job_rt = self.resource("batch", "Job")
        pod_rt = self.resource("", "Pod")
        jobs, revision = self.api.list(job_rt, None)
        pods, revision = self.api.list(pod_rt, None)
        for job in jobs:
            if is_deleting(job):
                continue
            if finished_condition(job) is not None:
                self._expire(job_rt, job)
                continue
            owned = [pod for pod in pods if owned_by(pod, job)]
            self._sync(job_rt, pod_rt, job, owned)

    def _sync(self, job_rt: Any, pod_rt: Any, job: dict[str, Any], owned: list[dict[str, Any]]) -> None:
        spec = job["spec"]
        status = clone(job.get("status") or {})
        namespace = job["metadata"]["namespace"]
        restart_policy = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")

        active = [pod for pod in owned if pod.get("status", {}).get("phase") not in TERMINAL_PHASES and not is_deleting(pod)]
        terminating = [pod for pod in owned if is_deleting(pod) and pod.get("status", {}).get("phase") not in TERMINAL_PHASES]
        succeeded = sum(1 for pod in owned if pod.get("status", {}).get("phase") == "Succeeded")
        failed = sum(1 for pod in owned if pod.get("status", {}).get("phase") == "Failed")
        if restart_policy == "OnFailure":
            failed += sum(_restarts(pod) for pod in active)
        # Deleted pods leave the list, but the counts they added stay.
        succeeded = max(succeeded, status.get("succeeded", 0))
        failed = max(failed, status.get("failed", 0))
        completions = spec.get("completions")
        conditions = list(status.get("conditions") or [])
        interim = {condition.get("type") for condition in conditions}

        if "SuccessCriteriaMet" not in interim and "FailureTarget" not in interim:
            if failed > spec.get("backoffLimit", 6):
                conditions.append(_job_condition("FailureTarget", BACKOFF_REASON, BACKOFF_MESSAGE, now()))
                log.info("Job %s/%s failed: %d failures exceed backoffLimit %d", namespace, job["metadata"]["name"], failed, spec.get("backoffLimit", 6))
            elif succeeded and (completions is None and not active or completions is not None and succeeded >= completions):
                conditions.append(_job_condition("SuccessCriteriaMet", SUCCESS_REASON, SUCCESS_MESSAGE, now()))
        interim = {condition.get("type") for condition in conditions}
        finishing = "SuccessCriteriaMet" in interim or "FailureTarget" in interim

        if finishing:
            for pod in active:
                self.api.delete(pod_rt, namespace, pod["metadata"]["name"], "Background")
            terminating += active
            active = []
        elif not spec.get("suspend"):
            status.setdefault("startTime", now())
            active = self._create_pods(pod_rt, job, active, succeeded)

        if finishing and not terminating:
            stamp = now()
            if "SuccessCriteriaMet" in interim:
                conditions.append(_job_condition("Complete", SUCCESS_REASON, SUCCESS_MESSAGE, stamp))
                status["completionTime"] = stamp
                record_event(self.api, job, "Completed", "Job completed", COMPONENT)
            else:
                conditions.append(_job_condition("Failed", BACKOFF_REASON, BACKOFF_MESSAGE, stamp))
                record_event(self.api, job, BACKOFF_REASON, BACKOFF_MESSAGE, COMPONENT, "Warning")

        status["active"] = len(active)
        status["ready"] = sum(1 for pod in active if pod_ready(pod))
        status["terminating"] = len(terminating)
        status["succeeded"] = succeeded
        status["failed"] = failed
        status["uncountedTerminatedPods"] = {}
        if conditions:
            status["conditions"] = conditions
        # active, succeeded and failed are omitted when zero, as in the API's JSON.
        for key in ("active", "succeeded", "failed"):
            if not status[key]:
                del status[key]
        self.write_status(job_rt, job, status)

    def _create_pods(self, pod_rt: Any, job: dict[str, Any], active: list[dict[str, Any]], succeeded: int) -> list[dict[str, Any]]:
        # NOTE: failed pods are replaced at once; kube-controller-manager waits 10s, 20s, 40s... between retries.
        spec = job["spec"]
        completions = spec.get("completions")
        desired = spec.get("parallelism", 1)
        if completions is not None:
            desired = min(desired, completions - succeeded)
        elif succeeded:
            desired = 0
        namespace = job["metadata"]["namespace"]
        while len(active) < desired:
            pod = pod_from_template(job, spec.get("template"))
            created = self.api.create(pod_rt, namespace, pod)
            active.append(created)
            record_event(self.api, job, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", COMPONENT)
        return active

    def _expire(self, job_rt: Any, job: dict[str, Any]) -> None:
        """Delete a finished Job once ttlSecondsAfterFinished has passed, with its pods (foreground)."""
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        condition = finished_condition(job)
        if ttl is None or condition is None or _seconds_since(condition["lastTransitionTime"]) < ttl:
            return
        metadata = job["metadata"]
        log.info("deleting Job %s/%s: finished more than ttlSecondsAfterFinished=%ds ago", metadata["namespace"], metadata["name"], ttl)
        self.api.delete(job_rt, metadata["namespace"], metadata["name"], "Foreground", preconditions={"uid": metadata["uid"]})
