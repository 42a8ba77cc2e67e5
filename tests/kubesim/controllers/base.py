"""The controller loop shared by all simulated controllers, and small status helpers."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from ..api import now
from ..errors import ApiError
from ..resources import ResourceType
from ..store import clone

if TYPE_CHECKING:
    from ..cluster import Cluster

log = logging.getLogger("kubesim.controllers")

DEFAULT_TICK_SECONDS = 0.2
REPEAT_LOG_SECONDS = 60.0


class Controller:
    """Reconcile after every store change, and at least once per tick, in a thread of its own."""

    tick_seconds = DEFAULT_TICK_SECONDS

    def __init__(self, cluster: Cluster) -> None:
        self.name = self.__class__.__name__
        self.cluster = cluster
        self.api = cluster.api
        self._changed = cluster.api.store.subscribe()
        self._logged: dict[str, float] = {}
        self._thread = threading.Thread(target=self.run, name=f"kubesim-{self.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._changed.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def run(self) -> None:
        while not self.cluster.stopping.is_set():
            self._changed.wait(self.tick_seconds)
            self._changed.clear()
            if self.cluster.stopping.is_set():
                return
            try:
                self.reconcile()
            except ApiError as error:
                # Conflicts and races with deletions are retried on the next pass.
                if error.code not in (404, 409) and self._first_in_a_while(error.message):
                    log.warning("%s: API error %d %s: %s; retrying", self.name, error.code, error.reason, error.message)
            except Exception as error:
                if self._first_in_a_while(repr(error)):
                    log.exception("%s failed; retrying on the next pass", self.name)

    def _first_in_a_while(self, message: str) -> bool:
        """Rate-limit repeated errors: log a message once per REPEAT_LOG_SECONDS."""
        now_seconds = time.monotonic()
        last = self._logged.get(message)
        if last is not None and now_seconds - last < REPEAT_LOG_SECONDS:
            return False
        self._logged[message] = now_seconds
        return True

    def reconcile(self) -> None:
        raise NotImplementedError

    def resource(self, group: str, kind: str) -> ResourceType:
        rt = self.api.registry.by_kind(group, kind)
        if rt is None:
            raise ApiError(404, f"the resource type {kind}.{group} is not installed")
        return rt

    def write_status(self, rt: ResourceType, obj: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
        """Replace the status of an object (optimistic concurrency on its resourceVersion)."""
        if obj.get("status") == status:
            return obj
        updated = dict(obj)
        updated["status"] = status
        metadata = obj["metadata"]
        subresource = "status" if "status" in rt.subresources else ""
        return self.api.update(rt, metadata.get("namespace", ""), metadata["name"], updated, subresource=subresource)


def set_condition(
    conditions: list[dict[str, Any]],
    condition_type: str,
    status: str,
    reason: str,
    message: str,
    extra: dict[str, Any] | None = None,
    update_time: bool = False,
) -> list[dict[str, Any]]:
    """Return conditions with one condition set; lastTransitionTime changes only with the status."""
    result = [dict(entry) for entry in conditions if entry.get("type") != condition_type]
    previous = next((entry for entry in conditions if entry.get("type") == condition_type), None)
    stamp = now()
    transition = previous["lastTransitionTime"] if previous and previous.get("status") == status and previous.get("lastTransitionTime") else stamp
    condition: dict[str, Any] = {"type": condition_type, "status": status}
    if update_time:
        unchanged = previous and previous.get("status") == status and previous.get("reason") == reason and previous.get("message") == message
        condition["lastUpdateTime"] = previous.get("lastUpdateTime", stamp) if unchanged and previous else stamp
    condition["lastTransitionTime"] = transition
    condition["reason"] = reason
    condition["message"] = message
    if extra:
        condition.update(extra)
    position = next((index for index, entry in enumerate(conditions) if entry.get("type") == condition_type), len(result))
    result.insert(position, condition)
    return result


def owned_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    """Whether `owner` is the controller owner of `obj`."""
    uid = owner["metadata"].get("uid")
    return any(ref.get("uid") == uid and ref.get("controller") for ref in obj["metadata"].get("ownerReferences") or [])


def owner_reference(owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def pod_from_template(owner: dict[str, Any], template: dict[str, Any] | None) -> dict[str, Any]:
    """Build the Pod a workload controller creates from its pod template, named after the owner."""
    template = clone(template or {})
    metadata = template.get("metadata") or {}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": f"{owner['metadata']['name']}-",
            "namespace": owner["metadata"]["namespace"],
            "labels": metadata.get("labels") or {},
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": template.get("spec") or {},
    }
    if metadata.get("annotations"):
        pod["metadata"]["annotations"] = metadata["annotations"]
    return pod


def is_deleting(obj: dict[str, Any]) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def pod_ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(entry.get("type") == "Ready" and entry.get("status") == "True" for entry in conditions)
