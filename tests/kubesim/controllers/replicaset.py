"""The ReplicaSet controller: keeps spec.replicas pods from the template, named <rs>-<5 chars>."""

from __future__ import annotations

import datetime
from typing import Any

from ..errors import ApiError
from .base import Controller, is_deleting, owned_by, pod_from_template, pod_ready
from .events import record_event

COMPONENT = "replicaset-controller"


def _available(pod: dict[str, Any], min_ready_seconds: int) -> bool:
    """Whether a pod has been ready for at least minReadySeconds."""
    if not pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    ready = next(entry for entry in pod["status"]["conditions"] if entry.get("type") == "Ready")
    since = datetime.datetime.strptime(ready["lastTransitionTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return (datetime.datetime.now(datetime.timezone.utc) - since).total_seconds() >= min_ready_seconds


class ReplicaSetController(Controller):
    """Create or delete pods until each ReplicaSet has its replicas, then report status."""

    def reconcile(self) -> None:
        rs_rt = self.resource("apps", "ReplicaSet")
        pod_rt = self.resource("", "Pod")
        replica_sets, revision = self.api.list(rs_rt, None)
        pods, revision = self.api.list(pod_rt, None)
        for replica_set in replica_sets:
            if is_deleting(replica_set):
                continue
            owned = [pod for pod in pods if owned_by(pod, replica_set) and not is_deleting(pod)]
            owned = self._scale(pod_rt, replica_set, owned)
            self._report(rs_rt, replica_set, owned)

    def _scale(self, pod_rt: Any, replica_set: dict[str, Any], owned: list[dict[str, Any]]) -> list[dict[str, Any]]:
        desired = replica_set["spec"].get("replicas", 1)
        namespace = replica_set["metadata"]["namespace"]
        while len(owned) < desired:
            pod = pod_from_template(replica_set, replica_set["spec"].get("template"))
            try:
                created = self.api.create(pod_rt, namespace, pod)
            except ApiError as error:
                # An admission webhook or a validation rejected the pod. The next pass retries, and the
                # event repeats at most once a minute.
                if self._first_in_a_while(f"FailedCreate {replica_set['metadata']['uid']} {error.message}"):
                    record_event(self.api, replica_set, "FailedCreate", f"Error creating: {error.message}", COMPONENT, "Warning")
                raise
            owned.append(created)
            record_event(self.api, replica_set, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", COMPONENT)
        if len(owned) > desired:
            # Delete pods that are not ready first, then the newest.
            newest_first = sorted(owned, key=lambda pod: pod["metadata"].get("creationTimestamp", ""), reverse=True)
            ranked = sorted(newest_first, key=pod_ready)
            surplus = ranked[: len(owned) - desired]
            for pod in surplus:
                self.api.delete(pod_rt, namespace, pod["metadata"]["name"], "Background")
                record_event(self.api, replica_set, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}", COMPONENT)
            owned = [pod for pod in owned if pod not in surplus]
        return owned

    def _report(self, rs_rt: Any, replica_set: dict[str, Any], owned: list[dict[str, Any]]) -> None:
        ready = sum(1 for pod in owned if pod_ready(pod))
        min_ready = replica_set["spec"].get("minReadySeconds", 0)
        available = sum(1 for pod in owned if _available(pod, min_ready))
        status = {
            "replicas": len(owned),
            "fullyLabeledReplicas": len(owned),
            "readyReplicas": ready,
            "availableReplicas": available,
            "observedGeneration": replica_set["metadata"].get("generation", 1),
        }
        for key in ("readyReplicas", "availableReplicas", "fullyLabeledReplicas"):
            if status[key] == 0:
                del status[key]
        self.write_status(rs_rt, replica_set, status)
