"""Simulated nodes: N GPU nodes with 8 nvidia.com/gpu each, plus one system node."""

from __future__ import annotations

from typing import Any

from ..api import now
from ..schema import KUBERNETES_MINOR
from .base import Controller

GPU_RESOURCE = "nvidia.com/gpu"
GPUS_PER_NODE = "8"
SYSTEM_NODE = "system-node-1"


def node_names(gpu_nodes: int) -> list[str]:
    return [f"gpu-node-{index}" for index in range(1, gpu_nodes + 1)] + [SYSTEM_NODE]


def node_address(index: int) -> str:
    return f"10.0.0.{10 + index}"


def _node(name: str, index: int, gpus: bool) -> dict[str, Any]:
    capacity = {"cpu": "32", "memory": "263941796Ki", "pods": "110", "ephemeral-storage": "523188920Ki", "hugepages-2Mi": "0"}
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
    }
    if gpus:
        capacity[GPU_RESOURCE] = GPUS_PER_NODE
        labels["nvidia.com/gpu.present"] = "true"
        labels["node-role.kubernetes.io/gpu"] = ""
    else:
        labels["node-role.kubernetes.io/control-plane"] = ""
    stamp = now()
    conditions = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]},
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": [
                {"type": kind, "status": status, "reason": reason, "message": message,
                 "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}
                for kind, status, reason, message in conditions
            ],
            "addresses": [{"type": "InternalIP", "address": node_address(index)}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": f"00000000-0000-0000-0000-{index:012d}",
                "containerRuntimeVersion": "containerd://1.7.27",
                "kernelVersion": "6.8.0-kubesim",
                "kubeProxyVersion": f"v1.{KUBERNETES_MINOR}.4",
                "kubeletVersion": f"v1.{KUBERNETES_MINOR}.4",
                "machineID": f"{index:032x}",
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04 LTS",
                "systemUUID": f"00000000-0000-0000-0000-{index:012d}",
            },
        },
    }


class NodeController(Controller):
    """Create the configured nodes once, and bring back any that were deleted."""

    tick_seconds = 2.0

    def reconcile(self) -> None:
        rt = self.resource("", "Node")
        names = node_names(self.cluster.options.gpu_nodes)
        for index, name in enumerate(names):
            if self.api.find(rt, "", name) is not None:
                continue
            node = _node(name, index, gpus=name != SYSTEM_NODE)
            status = node.pop("status")
            created = self.api.create(rt, "", node)
            created["status"] = status
            self.api.update(rt, "", name, created, subresource="status")
