"""The scheduler: binds pending pods to nodes that fit their GPU requests and nodeSelector."""

from __future__ import annotations

from typing import Any

from .base import Controller, is_deleting, set_condition
from .events import record_event
from .nodes import GPU_RESOURCE

COMPONENT = "default-scheduler"


def gpu_request(pod: dict[str, Any]) -> int:
    """Return the number of GPUs a pod requests (limits count as requests, as for extended resources)."""
    total = 0
    for container in (pod.get("spec") or {}).get("containers") or []:
        resources = container.get("resources") or {}
        value = (resources.get("limits") or {}).get(GPU_RESOURCE) or (resources.get("requests") or {}).get(GPU_RESOURCE) or 0
        try:
            total += int(value)
        except (TypeError, ValueError):
            continue
    return total


class Scheduler(Controller):
    """Bind each unscheduled pod, or mark it Unschedulable with the reason."""

    def reconcile(self) -> None:
        pod_rt = self.resource("", "Pod")
        node_rt = self.resource("", "Node")
        pods, revision = self.api.list(pod_rt, None)
        nodes, revision = self.api.list(node_rt, None)
        for pod in pods:
            if pod["spec"].get("nodeName") or is_deleting(pod) or pod["spec"].get("schedulerName", COMPONENT) != COMPONENT:
                continue
            self._schedule(pod_rt, pod, nodes, pods)

    def _schedule(self, pod_rt: Any, pod: dict[str, Any], nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> None:
        requested_gpus = gpu_request(pod)
        selector = pod["spec"].get("nodeSelector") or {}
        fault = self.cluster.faults.pod_fault(pod)
        candidates = []
        reasons: dict[str, int] = {}
        for node in nodes:
            labels = node["metadata"].get("labels") or {}
            if node["spec"].get("unschedulable"):
                reasons["node(s) were unschedulable"] = reasons.get("node(s) were unschedulable", 0) + 1
                continue
            if any(labels.get(key) != value for key, value in selector.items()):
                reasons["node(s) didn't match Pod's node affinity/selector"] = reasons.get("node(s) didn't match Pod's node affinity/selector", 0) + 1
                continue
            free = int((node.get("status") or {}).get("allocatable", {}).get(GPU_RESOURCE, "0")) - sum(
                gpu_request(other) for other in pods if other["spec"].get("nodeName") == node["metadata"]["name"]
            )
            if requested_gpus > free:
                reasons[f"Insufficient {GPU_RESOURCE}"] = reasons.get(f"Insufficient {GPU_RESOURCE}", 0) + 1
                continue
            load = sum(1 for other in pods if other["spec"].get("nodeName") == node["metadata"]["name"])
            # GPU-less pods prefer nodes without GPUs, so GPUs stay free for those who need them.
            prefers = 0 if (requested_gpus > 0) == (GPU_RESOURCE in (node.get("status") or {}).get("allocatable", {})) else 1
            candidates.append((prefers, load, node["metadata"]["name"]))

        if fault == "Unschedulable":
            candidates = []
            reasons = {"node(s) had untolerated taint {kubesim/fault: Unschedulable}": len(nodes)}
        if not candidates:
            self._mark_unschedulable(pod_rt, pod, len(nodes), reasons)
            return

        node_name = sorted(candidates)[0][2]
        status = dict(pod.get("status") or {})
        status["conditions"] = set_condition(status.get("conditions") or [], "PodScheduled", "True", "", "")
        for condition in status["conditions"]:
            if condition["type"] == "PodScheduled":
                condition.pop("reason", None)
                condition.pop("message", None)
        bound = self.api.bind_pod(pod_rt, pod["metadata"]["namespace"], pod["metadata"]["name"], node_name, status)
        record_event(self.api, bound, "Scheduled", f"Successfully assigned {pod['metadata']['namespace']}/{pod['metadata']['name']} to {node_name}", COMPONENT)

    def _mark_unschedulable(self, pod_rt: Any, pod: dict[str, Any], node_count: int, reasons: dict[str, int]) -> None:
        detail = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
        message = (f"0/{node_count} nodes are available: {detail}. "
                   f"preemption: 0/{node_count} nodes are available: {node_count} Preemption is not helpful for scheduling.")
        status = dict(pod.get("status") or {})
        previous = next((entry for entry in status.get("conditions") or [] if entry.get("type") == "PodScheduled"), None)
        if previous and previous.get("status") == "False" and previous.get("message") == message:
            return
        status["phase"] = "Pending"
        status["conditions"] = set_condition(status.get("conditions") or [], "PodScheduled", "False", "Unschedulable", message)
        self.write_status(pod_rt, pod, status)
        record_event(self.api, pod, "FailedScheduling", message, COMPONENT, "Warning")
