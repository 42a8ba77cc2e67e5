"""The kubelet of every simulated node: starts bound pods and reports their status.

A pod is Pending (containers waiting in ContainerCreating) for --pod-start-seconds
after it is bound, then Running. A container is ready at once, or, with a
readinessProbe, after min(initialDelaySeconds, --pod-start-seconds). A pod owned by a
Job runs for min(1s, --pod-start-seconds) more, then its containers exit with
code 0 (phase Succeeded). Pod faults from /kubesim/faults keep containers in
ImagePullBackOff or CrashLoopBackOff, or make them exit with code 1 (Error):
the pod fails under restartPolicy Never and crash-loops otherwise.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ..api import now
from .base import Controller, is_deleting, set_condition
from .events import record_event
from .nodes import node_address, node_names

log = logging.getLogger("kubesim.controllers.kubelet")

COMPONENT = "kubelet"
CRASH_RESTART_SECONDS = 2.0
JOB_RUN_SECONDS = 1.0
TERMINAL_PHASES = ("Succeeded", "Failed")


def readiness_delay(container: dict[str, Any], start_seconds: float) -> float:
    """Return the seconds from container start to ready: initialDelaySeconds of its readinessProbe, capped at start_seconds.

    The cap keeps tests fast: a probe with initialDelaySeconds 30 makes the
    container ready after --pod-start-seconds instead. Probes always succeed.
    """
    probe = container.get("readinessProbe")
    if not isinstance(probe, dict):
        return 0.0
    return min(float(probe.get("initialDelaySeconds") or 0), start_seconds)


def runs_to_completion(pod: dict[str, Any]) -> bool:
    """Whether the pod's containers exit by themselves: kubesim assumes so for pods of a Job."""
    return any(ref.get("kind") == "Job" and ref.get("apiVersion") == "batch/v1" for ref in pod["metadata"].get("ownerReferences") or [])


class Kubelet(Controller):
    """Drive each bound pod from Pending to Running."""

    def __init__(self, cluster: Any) -> None:
        super().__init__(cluster)
        self._bound_at: dict[str, float] = {}
        self._terminating_since: dict[str, float] = {}
        self._pod_ips: dict[str, str] = {}
        self._next_ip: dict[str, int] = {}

    def reconcile(self) -> None:
        pod_rt = self.resource("", "Pod")
        pods, revision = self.api.list(pod_rt, None)
        names = node_names(self.cluster.options.gpu_nodes)
        live = set()
        for pod in pods:
            uid = pod["metadata"]["uid"]
            node = pod["spec"].get("nodeName")
            if not node or node not in names:
                continue
            if is_deleting(pod):
                self._terminate(pod_rt, pod)
                continue
            live.add(uid)
            started = self._bound_at.setdefault(uid, time.monotonic())
            self._sync(pod_rt, pod, node, names.index(node), time.monotonic() - started)
        for uid in set(self._bound_at) - live:
            self._bound_at.pop(uid, None)
            self._pod_ips.pop(uid, None)
        present = {pod["metadata"]["uid"] for pod in pods}
        for uid in set(self._terminating_since) - present:
            self._terminating_since.pop(uid, None)

    def _terminate(self, pod_rt: Any, pod: dict[str, Any]) -> None:
        """Stop a deleted pod's containers, which takes --pod-start-seconds, then remove the pod."""
        uid = pod["metadata"]["uid"]
        since = self._terminating_since.setdefault(uid, time.monotonic())
        stopped = (pod.get("status") or {}).get("phase") in TERMINAL_PHASES
        if not stopped and time.monotonic() - since < self.cluster.options.pod_start_seconds:
            return
        if pod["metadata"].get("finalizers"):
            return
        self.api.remove(pod_rt, pod["metadata"]["namespace"], pod["metadata"]["name"])

    def _pod_ip(self, uid: str, node_index: int) -> str:
        if uid not in self._pod_ips:
            host = self._next_ip.get(str(node_index), 2)
            self._next_ip[str(node_index)] = host + 1 if host < 254 else 2
            self._pod_ips[uid] = f"10.244.{node_index}.{host}"
        return self._pod_ips[uid]

    def _sync(self, pod_rt: Any, pod: dict[str, Any], node: str, node_index: int, age_seconds: float) -> None:
        status = dict(pod.get("status") or {})
        if status.get("phase") in TERMINAL_PHASES:
            return
        fault = self.cluster.faults.pod_fault(pod)
        containers = pod["spec"].get("containers") or []
        previous = {entry["name"]: entry for entry in status.get("containerStatuses") or []}
        start_seconds = self.cluster.options.pod_start_seconds
        running = age_seconds >= start_seconds and fault not in ("ImagePullBackOff",)
        restart_policy = pod["spec"].get("restartPolicy", "Always")
        if fault == "Error" and restart_policy != "Never":
            fault = "CrashLoopBackOff"
        exit_time = start_seconds + min(JOB_RUN_SECONDS, start_seconds)
        if running and previous and age_seconds >= exit_time and fault in (None, "Error") and (fault or runs_to_completion(pod)):
            self._finish(pod_rt, pod, status, 1 if fault else 0)
            return

        status.setdefault("startTime", now())
        status["hostIP"] = node_address(node_index)
        status["hostIPs"] = [{"ip": status["hostIP"]}]
        conditions = status.get("conditions") or []
        conditions = set_condition(conditions, "PodReadyToStartContainers", "True", "", "")
        conditions = set_condition(conditions, "Initialized", "True", "", "")

        statuses = []
        for container in containers:
            name = container["name"]
            entry: dict[str, Any] = {
                "name": name,
                "image": container.get("image", ""),
                "imageID": "",
                "restartCount": previous.get(name, {}).get("restartCount", 0),
                "started": False,
                "ready": False,
            }
            if fault == "ImagePullBackOff":
                entry["state"] = {"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{container.get("image", "")}"'}}
            elif not running:
                entry["state"] = {"waiting": {"reason": "ContainerCreating"}}
            elif fault == "CrashLoopBackOff":
                restarts = int(age_seconds / CRASH_RESTART_SECONDS)
                entry["restartCount"] = restarts
                entry["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": status["startTime"], "finishedAt": status["startTime"]}}
                pod_metadata = pod["metadata"]
                back_off_message = (f"back-off 10s restarting failed container={name} "
                                    f"pod={pod_metadata['name']}_{pod_metadata['namespace']}({pod_metadata['uid']})")
                entry["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": back_off_message}}
            else:
                started_at = ((previous.get(name, {}).get("state") or {}).get("running") or {}).get("startedAt") or now()
                entry.update({
                    "imageID": f"{container.get('image', '')}@sha256:{'0' * 64}",
                    "containerID": f"containerd://{pod['metadata']['uid'].replace('-', '')}{name}"[:77],
                    "started": True,
                    "ready": age_seconds - start_seconds >= readiness_delay(container, start_seconds),
                    "state": {"running": {"startedAt": started_at}},
                })
            statuses.append(entry)

        all_ready = bool(statuses) and all(entry["ready"] for entry in statuses)
        not_ready = [entry["name"] for entry in statuses if not entry["ready"]]
        reason, message = ("", "") if all_ready else ("ContainersNotReady", f"containers with unready status: [{' '.join(not_ready)}]")
        conditions = set_condition(conditions, "ContainersReady", "True" if all_ready else "False", reason, message)
        conditions = set_condition(conditions, "Ready", "True" if all_ready else "False", reason, message)
        for condition in conditions:
            if condition["status"] == "True" and not condition.get("reason"):
                condition.pop("reason", None)
                condition.pop("message", None)
        order = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
        status["conditions"] = sorted(conditions, key=lambda entry: order.index(entry["type"]) if entry["type"] in order else len(order))
        status["containerStatuses"] = statuses
        status["phase"] = "Running" if running else "Pending"
        if running:
            status["podIP"] = self._pod_ip(pod["metadata"]["uid"], node_index)
            status["podIPs"] = [{"ip": status["podIP"]}]

        became_running = running and (pod.get("status") or {}).get("phase") != "Running"
        first_sync = not (pod.get("status") or {}).get("startTime")
        updated = self.write_status(pod_rt, pod, status)
        if first_sync and fault == "ImagePullBackOff":
            for container in containers:
                record_event(self.api, updated, "Failed", f'Failed to pull image "{container.get("image", "")}": not found', COMPONENT, "Warning")
        if became_running:
            for container in containers:
                image = container.get("image", "")
                record_event(self.api, updated, "Pulled", f'Container image "{image}" already present on machine', COMPONENT)
                record_event(self.api, updated, "Created", f"Created container: {container['name']}", COMPONENT)
                record_event(self.api, updated, "Started", f"Started container {container['name']}", COMPONENT)

    def _finish(self, pod_rt: Any, pod: dict[str, Any], status: dict[str, Any], exit_code: int) -> None:
        """Report the containers as exited with exit_code and the pod as Succeeded (0) or Failed."""
        finished_at = now()
        reason = "Completed" if exit_code == 0 else "Error"
        pod_reason = "PodCompleted" if exit_code == 0 else "PodFailed"
        statuses = []
        for entry in status.get("containerStatuses") or []:
            started_at = ((entry.get("state") or {}).get("running") or {}).get("startedAt") or finished_at
            terminated = {"exitCode": exit_code, "reason": reason, "startedAt": started_at, "finishedAt": finished_at}
            if entry.get("containerID"):
                terminated["containerID"] = entry["containerID"]
            statuses.append(dict(entry, ready=False, started=False, state={"terminated": terminated}))
        conditions = status.get("conditions") or []
        conditions = set_condition(conditions, "PodReadyToStartContainers", "False", "", "")
        conditions = set_condition(conditions, "ContainersReady", "False", pod_reason, "")
        conditions = set_condition(conditions, "Ready", "False", pod_reason, "")
        for condition in conditions:
            if not condition.get("message"):
                condition.pop("message", None)
            if not condition.get("reason"):
                condition.pop("reason", None)
        status["conditions"] = conditions
        status["containerStatuses"] = statuses
        status["phase"] = "Succeeded" if exit_code == 0 else "Failed"
        self.write_status(pod_rt, pod, status)
        if exit_code:
            log.info("pod %s/%s failed: its containers exited with code %d (pod fault Error)", pod["metadata"]["namespace"], pod["metadata"]["name"], exit_code)
