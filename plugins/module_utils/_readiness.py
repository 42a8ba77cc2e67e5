# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Readiness of Pods and Deployments, read from their status as the API server returns it.

Every function takes plain dicts (a ResourceInstance's to_dict(), or an item of
kubernetes.core.k8s_info's resources) and never calls the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Object = Mapping[str, Any]


def _container_statuses(pod: Object, key: str = "containerStatuses") -> list[Object]:
    return list((pod.get("status") or {}).get(key) or [])


def _container_names(pod: Object) -> list[str]:
    """Return the names of the pod's app containers, from the spec when it has one."""
    containers = (pod.get("spec") or {}).get("containers") or []
    if containers:
        return [container.get("name", "") for container in containers]
    return [status.get("name", "") for status in _container_statuses(pod)]


def _ready_container_names(pod: Object) -> set[str]:
    return {status.get("name", "") for status in _container_statuses(pod) if status.get("ready") is True}


def _condition(obj: Object, condition_type: str) -> Object | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == condition_type:
            return condition
    return None


def pod_ready(pod: Object) -> bool:
    """Tell whether the pod is Running, not being deleted, and every app container in its spec is ready."""
    metadata = pod.get("metadata") or {}
    status = pod.get("status") or {}
    if metadata.get("deletionTimestamp") or status.get("phase") != "Running":
        return False

    names = _container_names(pod)
    return bool(names) and set(names) <= _ready_container_names(pod)


def deployment_ready(deployment: Object) -> bool:
    """Tell whether the Deployment's controller has rolled out its current spec to ready replicas.

    The status must describe the current generation, and the updated, ready and
    available replica counts must all reach spec.replicas (1 when unset).
    """
    metadata = deployment.get("metadata") or {}
    status = deployment.get("status") or {}
    expected_replicas = (deployment.get("spec") or {}).get("replicas", 1)

    if status.get("observedGeneration", 0) < metadata.get("generation", 0):
        return False
    counts = ("updatedReplicas", "readyReplicas", "availableReplicas")
    return all(status.get(count, 0) >= expected_replicas for count in counts)


def _state_reasons(pod: Object) -> list[str]:
    """Return the waiting or terminated reasons of the containers that are not ready, init containers first."""
    statuses = [(True, status) for status in _container_statuses(pod, "initContainerStatuses")]
    statuses += [(False, status) for status in _container_statuses(pod)]

    reasons: list[str] = []
    for is_init, status in statuses:
        if status.get("ready") is True:
            continue
        state = status.get("state") or {}
        terminated = state.get("terminated") or {}
        # An init container that exited 0 has done its work, so it is not a problem.
        if is_init and terminated.get("exitCode") == 0:
            continue
        reason = (state.get("waiting") or {}).get("reason") or terminated.get("reason")
        if reason and reason not in reasons:
            reasons.append(reason)
    return reasons


def pod_unready_reason(pod: Object) -> str:
    """Explain in a few words why a pod is not ready, in the terms kubectl shows.

    The reason is, in this order: the PodScheduled condition's reason when the
    pod is not scheduled (e.g. Unschedulable); the waiting or terminated reasons of
    its containers (e.g. ImagePullBackOff, CrashLoopBackOff, joined by ", "); the
    pod's own status reason (e.g. Evicted); "being deleted"; the app containers
    that are not ready ("containers not ready: a, b"); or its phase.
    """
    metadata = pod.get("metadata") or {}
    status = pod.get("status") or {}

    scheduled = _condition(pod, "PodScheduled")
    if scheduled is not None and scheduled.get("status") == "False":
        return scheduled.get("reason") or "Unschedulable"

    reasons = _state_reasons(pod)
    if reasons:
        return ", ".join(reasons)

    if status.get("reason"):
        return status["reason"]

    if metadata.get("deletionTimestamp"):
        return "being deleted"

    not_ready = [name for name in _container_names(pod) if name not in _ready_container_names(pod)]
    if not_ready:
        return "containers not ready: " + ", ".join(not_ready)

    return f"phase {status.get('phase') or 'unknown'}"


def unready_pods(pods: Iterable[Object]) -> list[dict[str, str]]:
    """Return name, phase and reason of each pod that is not Running with every container ready."""
    report = []
    for pod in pods:
        if pod_ready(pod):
            continue
        report.append(
            {
                "name": (pod.get("metadata") or {}).get("name", ""),
                "phase": (pod.get("status") or {}).get("phase") or "Unknown",
                "reason": pod_unready_reason(pod),
            }
        )
    return report
