"""Readiness of Pods and Deployments."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.gaap.genai.plugins.module_utils._readiness import (
    deployment_ready,
    pod_ready,
    pod_unready_reason,
    unready_pods,
)

PROXY_CONTAINERS = ["envoy", "shutdown-manager", "ai-gateway-extproc"]


def container_status(name: str, ready: bool = True, **state: Any) -> dict[str, Any]:
    return {"name": name, "ready": ready, "state": state or {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}


def make_pod(
    name: str = "envoy-gaap-controller-demo-endpoint-3f1c2a9b-abc12",
    phase: str = "Running",
    statuses: list[dict[str, Any]] | None = None,
    containers: list[str] | None = None,
    **status: Any,
) -> dict[str, Any]:
    containers = PROXY_CONTAINERS if containers is None else containers
    if statuses is None:
        statuses = [container_status(container) for container in containers]
    return {
        "metadata": {"name": name, "namespace": "gaap-controller"},
        "spec": {"containers": [{"name": container} for container in containers]},
        "status": {"phase": phase, "containerStatuses": statuses, **status},
    }


WAITING_IMAGE = {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}
WAITING_CRASH = {"waiting": {"reason": "CrashLoopBackOff"}}
TERMINATED_OOM = {"terminated": {"reason": "OOMKilled", "exitCode": 137}}
UNSCHEDULED = {
    "type": "PodScheduled",
    "status": "False",
    "reason": "Unschedulable",
    "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
}


# --- pod_ready --------------------------------------------------------------


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        pytest.param(make_pod(), True, id="running-all-ready"),
        pytest.param(make_pod(phase="Pending"), False, id="pending"),
        pytest.param(make_pod(phase="Succeeded"), False, id="succeeded"),
        pytest.param(
            make_pod(statuses=[container_status("envoy"), container_status("shutdown-manager")]),
            False,
            id="extproc-status-missing",
        ),
        pytest.param(
            make_pod(statuses=[container_status(name, ready=name != "envoy") for name in PROXY_CONTAINERS]),
            False,
            id="envoy-not-ready",
        ),
        pytest.param(make_pod(statuses=[]), False, id="no-statuses"),
        pytest.param(make_pod(containers=[], statuses=[]), False, id="no-containers"),
    ],
)
def test_pod_ready(pod: dict[str, Any], expected: bool) -> None:
    assert pod_ready(pod) is expected


def test_pod_ready_false_when_deleting() -> None:
    pod = make_pod()
    pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"

    assert pod_ready(pod) is False


def test_pod_ready_without_spec() -> None:
    pod = make_pod()
    del pod["spec"]

    assert pod_ready(pod) is True


def test_pod_ready_empty_object() -> None:
    assert pod_ready({}) is False


# --- pod_unready_reason -----------------------------------------------------


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        pytest.param(
            make_pod(phase="Pending", statuses=[], conditions=[UNSCHEDULED]),
            "Unschedulable",
            id="unschedulable",
        ),
        pytest.param(
            make_pod(
                phase="Pending",
                statuses=[container_status(name, ready=False, **WAITING_IMAGE) for name in PROXY_CONTAINERS],
            ),
            "ImagePullBackOff",
            id="image-pull-backoff-once",
        ),
        pytest.param(
            make_pod(
                statuses=[
                    container_status("envoy"),
                    container_status("shutdown-manager", ready=False, **WAITING_CRASH),
                    container_status("ai-gateway-extproc", ready=False, **TERMINATED_OOM),
                ]
            ),
            "CrashLoopBackOff, OOMKilled",
            id="crash-and-oom",
        ),
        pytest.param(
            make_pod(
                statuses=[
                    container_status("envoy", ready=False),
                    container_status("shutdown-manager"),
                    container_status("ai-gateway-extproc", ready=False),
                ]
            ),
            "containers not ready: envoy, ai-gateway-extproc",
            id="running-not-ready",
        ),
        pytest.param(
            make_pod(statuses=[container_status("envoy")]),
            "containers not ready: shutdown-manager, ai-gateway-extproc",
            id="statuses-missing",
        ),
        pytest.param(
            make_pod(phase="Failed", statuses=[], reason="Evicted"),
            "Evicted",
            id="evicted",
        ),
        pytest.param(
            make_pod(phase="Pending", containers=[], statuses=[]),
            "phase Pending",
            id="phase-only",
        ),
    ],
)
def test_pod_unready_reason(pod: dict[str, Any], expected: str) -> None:
    assert pod_unready_reason(pod) == expected


def test_reason_init_container_failing() -> None:
    pod = make_pod(phase="Pending", statuses=[])
    pod["status"]["initContainerStatuses"] = [container_status("init", ready=False, **WAITING_CRASH)]

    assert pod_unready_reason(pod) == "CrashLoopBackOff"


def test_reason_skips_finished_init_container() -> None:
    pod = make_pod(statuses=[container_status("envoy", ready=False)], containers=["envoy"])
    done = {"terminated": {"reason": "Completed", "exitCode": 0}}
    pod["status"]["initContainerStatuses"] = [container_status("init", ready=False, **done)]

    assert pod_unready_reason(pod) == "containers not ready: envoy"


def test_reason_scheduled_pod_ignores_condition() -> None:
    scheduled = {"type": "PodScheduled", "status": "True"}
    pod = make_pod(phase="Pending", statuses=[], conditions=[scheduled])

    assert pod_unready_reason(pod) == "containers not ready: envoy, shutdown-manager, ai-gateway-extproc"


def test_reason_being_deleted() -> None:
    pod = make_pod()
    pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"

    assert pod_unready_reason(pod) == "being deleted"


# --- unready_pods -----------------------------------------------------------


def test_unready_pods_all_ready() -> None:
    assert unready_pods([make_pod("a"), make_pod("b")]) == []


def test_unready_pods_empty_input() -> None:
    assert unready_pods([]) == []


def test_unready_pods_keeps_input_order() -> None:
    pending = make_pod("b-pending", phase="Pending", statuses=[], conditions=[UNSCHEDULED])
    crashing = make_pod("c-crashing", statuses=[container_status("envoy", ready=False, **WAITING_CRASH)])

    report = unready_pods([make_pod("a-ready"), pending, crashing])

    assert report == [
        {"name": "b-pending", "phase": "Pending", "reason": "Unschedulable"},
        {"name": "c-crashing", "phase": "Running", "reason": "CrashLoopBackOff"},
    ]


def test_unready_pods_phase_missing() -> None:
    pod = make_pod("no-status")
    pod["status"] = {}

    (entry,) = unready_pods([pod])

    assert entry["phase"] == "Unknown"
    assert entry["reason"] == "containers not ready: envoy, shutdown-manager, ai-gateway-extproc"


# --- deployment_ready -------------------------------------------------------


def make_deployment(replicas: int | None = 2, generation: int = 3, **status: Any) -> dict[str, Any]:
    spec = {} if replicas is None else {"replicas": replicas}
    return {"metadata": {"name": "envoy-gateway", "generation": generation}, "spec": spec, "status": status}


ROLLED_OUT = {"observedGeneration": 3, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}


@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        pytest.param(make_deployment(**ROLLED_OUT), True, id="rolled-out"),
        pytest.param(make_deployment(**{**ROLLED_OUT, "observedGeneration": 2}), False, id="old-generation"),
        pytest.param(make_deployment(**{**ROLLED_OUT, "readyReplicas": 1}), False, id="one-not-ready"),
        pytest.param(make_deployment(**{**ROLLED_OUT, "updatedReplicas": 1}), False, id="rollout-in-progress"),
        pytest.param(make_deployment(**{**ROLLED_OUT, "availableReplicas": 0}), False, id="none-available"),
        pytest.param(make_deployment(), False, id="no-status"),
        pytest.param(
            make_deployment(replicas=None, observedGeneration=3, updatedReplicas=1, readyReplicas=1, availableReplicas=1),
            True,
            id="default-one-replica",
        ),
        pytest.param(make_deployment(replicas=0, observedGeneration=3), True, id="scaled-to-zero"),
    ],
)
def test_deployment_ready(deployment: dict[str, Any], expected: bool) -> None:
    assert deployment_ready(deployment) is expected
