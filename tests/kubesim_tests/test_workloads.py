"""Deployments, ReplicaSets, pods, nodes and garbage collection, driven by the simulated controllers."""

from __future__ import annotations

import re

import pytest
from kubernetes import dynamic
from kubernetes.dynamic.exceptions import NotFoundError

from kubesim.testing import RunningKubesim

from .conftest import make_namespace, raw_request, wait_for

NAMESPACE = "workloads"
POD_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _deployment(name: str, image: str = "registry.example/app:1", replicas: int = 2) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}, {"name": "sidecar", "image": "sidecar:1"}]}},
        },
    }


@pytest.fixture(scope="module")
def resources(client: dynamic.DynamicClient) -> dict[str, dynamic.Resource]:
    make_namespace(client, NAMESPACE)
    return {
        "deployments": client.resources.get(api_version="apps/v1", kind="Deployment"),
        "replicasets": client.resources.get(api_version="apps/v1", kind="ReplicaSet"),
        "pods": client.resources.get(api_version="v1", kind="Pod"),
        "nodes": client.resources.get(api_version="v1", kind="Node"),
        "events": client.resources.get(api_version="v1", kind="Event"),
    }


@pytest.fixture(scope="module")
def web(resources: dict) -> str:
    """A stable two-replica Deployment named web, created once per module."""
    try:
        resources["deployments"].get(name="web", namespace=NAMESPACE)
    except NotFoundError:
        resources["deployments"].create(body=_deployment("web"), namespace=NAMESPACE)
    wait_for(lambda: _available(resources, "web"), "deployment web available")
    return "web"


def _pods_of(resources: dict, app: str) -> list:
    return resources["pods"].get(namespace=NAMESPACE, label_selector=f"app={app}").items


def _available(resources: dict, name: str) -> dynamic.ResourceInstance | None:
    deployment = resources["deployments"].get(name=name, namespace=NAMESPACE)
    status = deployment.status or {}
    if status.get("availableReplicas") == deployment.spec.replicas and status.get("updatedReplicas") == deployment.spec.replicas \
            and status.get("replicas") == deployment.spec.replicas:
        return deployment
    return None


def test_nodes_include_gpu_and_system(resources: dict) -> None:
    nodes = wait_for(lambda: resources["nodes"].get().items if len(resources["nodes"].get().items) == 3 else None, "three nodes")
    names = sorted(node.metadata.name for node in nodes)
    assert names == ["gpu-node-1", "gpu-node-2", "system-node-1"]


def test_gpu_node_has_eight_gpus(resources: dict) -> None:
    node = wait_for(lambda: resources["nodes"].get(name="gpu-node-1"), "gpu-node-1")
    assert node.status.allocatable["nvidia.com/gpu"] == "8"
    assert node.status.capacity["nvidia.com/gpu"] == "8"


def test_deployment_becomes_available(resources: dict, web: str) -> None:
    deployment = wait_for(lambda: _available(resources, web), "deployment web available")
    conditions = {condition.type: condition for condition in deployment.status.conditions}
    assert conditions["Available"].status == "True"
    assert conditions["Progressing"].reason == "NewReplicaSetAvailable"
    assert deployment.status.observedGeneration == deployment.metadata.generation


def test_replica_set_named_after_template_hash(resources: dict, web: str) -> None:
    replica_sets = resources["replicasets"].get(namespace=NAMESPACE, label_selector="app=web").items
    assert len(replica_sets) == 1
    match = re.fullmatch(r"web-([a-z0-9]+)", replica_sets[0].metadata.name)
    assert match is not None
    assert set(match.group(1)) <= set(POD_HASH_ALPHABET)
    assert replica_sets[0].metadata.labels["pod-template-hash"] == match.group(1)


def test_pods_named_after_replica_set(resources: dict, web: str) -> None:
    replica_set = resources["replicasets"].get(namespace=NAMESPACE, label_selector="app=web").items[0]
    pods = _pods_of(resources, "web")
    assert len(pods) == 2
    for pod in pods:
        assert re.fullmatch(re.escape(replica_set.metadata.name) + f"-[{POD_HASH_ALPHABET}]{{5}}", pod.metadata.name)


def test_pod_owner_is_replica_set(resources: dict, web: str) -> None:
    replica_set = resources["replicasets"].get(namespace=NAMESPACE, label_selector="app=web").items[0]
    owner = _pods_of(resources, "web")[0].metadata.ownerReferences[0]
    assert owner.kind == "ReplicaSet"
    assert owner.uid == replica_set.metadata.uid
    assert owner.controller is True


def test_running_pod_status(resources: dict, web: str) -> None:
    pod = _pods_of(resources, "web")[0]
    assert pod.status.phase == "Running"
    assert pod.spec.nodeName in ("gpu-node-1", "gpu-node-2", "system-node-1")
    assert pod.status.podIP
    assert pod.status.hostIP
    conditions = {condition.type: condition.status for condition in pod.status.conditions}
    for condition in ("PodScheduled", "Initialized", "ContainersReady", "Ready"):
        assert conditions[condition] == "True"
    for container in pod.status.containerStatuses:
        assert container.ready is True
        assert container.started is True
        assert container.state.running.startedAt


def test_gpu_pod_lands_on_gpu_node(resources: dict) -> None:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gpu-pod", "namespace": NAMESPACE},
            "spec": {"containers": [{"name": "model", "image": "model:1", "resources": {"limits": {"nvidia.com/gpu": "2"}}}]}}
    resources["pods"].create(body=body, namespace=NAMESPACE)
    pod = wait_for(
        lambda: resources["pods"].get(name="gpu-pod", namespace=NAMESPACE).spec.nodeName and resources["pods"].get(name="gpu-pod", namespace=NAMESPACE),
        "gpu-pod bound",
    )
    assert pod.spec.nodeName.startswith("gpu-node-")


def test_too_many_gpus_unschedulable(resources: dict) -> None:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "greedy", "namespace": NAMESPACE},
            "spec": {"containers": [{"name": "model", "image": "model:1", "resources": {"limits": {"nvidia.com/gpu": "9"}}}]}}
    resources["pods"].create(body=body, namespace=NAMESPACE)

    def unschedulable() -> bool:
        pod = resources["pods"].get(name="greedy", namespace=NAMESPACE)
        return any(c.type == "PodScheduled" and c.reason == "Unschedulable" for c in (pod.status.conditions or []))

    wait_for(unschedulable, "pod greedy marked Unschedulable")
    assert resources["pods"].get(name="greedy", namespace=NAMESPACE).status.phase == "Pending"


def test_strategic_merge_replaces_pods(resources: dict) -> None:
    resources["deployments"].create(body=_deployment("patched"), namespace=NAMESPACE)
    wait_for(lambda: _available(resources, "patched"), "deployment patched available")
    body = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "registry.example/app:2"}]}}}}
    patched = resources["deployments"].patch(name="patched", namespace=NAMESPACE, body=body, content_type="application/strategic-merge-patch+json")
    images = {container.name: container.image for container in patched.spec.template.spec.containers}
    assert images == {"app": "registry.example/app:2", "sidecar": "sidecar:1"}
    assert patched.metadata.generation == 2

    def rolled_out() -> bool:
        pods = _pods_of(resources, "patched")
        images = {container.image for pod in pods for container in pod.spec.containers}
        return len(pods) == 2 and images == {"registry.example/app:2", "sidecar:1"} and _available(resources, "patched") is not None

    wait_for(rolled_out, "pods of the new template")
    replica_sets = resources["replicasets"].get(namespace=NAMESPACE, label_selector="app=patched").items
    assert sorted(rs.spec.replicas for rs in replica_sets) == [0, 2]


def test_scaling_events_recorded(resources: dict, web: str) -> None:
    events = resources["events"].get(namespace=NAMESPACE, field_selector="involvedObject.name=web").items
    reasons = {event.reason for event in events}
    assert "ScalingReplicaSet" in reasons


def test_pod_events_recorded(resources: dict, web: str) -> None:
    pod = _pods_of(resources, "web")[0]
    events = resources["events"].get(namespace=NAMESPACE, field_selector=f"involvedObject.name={pod.metadata.name}").items
    reasons = {event.reason for event in events}
    assert {"Scheduled", "Pulled", "Started"} <= reasons


def test_status_write_ignores_spec(kubesim: RunningKubesim, resources: dict, web: str) -> None:
    deployment = resources["deployments"].get(name="web", namespace=NAMESPACE).to_dict()
    deployment["spec"]["replicas"] = 7
    status, answer, headers = raw_request(kubesim, "PUT", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/web/status", deployment)
    assert status in (200, 409)
    assert resources["deployments"].get(name="web", namespace=NAMESPACE).spec.replicas == 2


def test_main_write_ignores_status(kubesim: RunningKubesim, resources: dict, web: str) -> None:
    deployment = resources["deployments"].get(name="web", namespace=NAMESPACE).to_dict()
    body = {"status": {"replicas": 42}}
    status, answer, headers = raw_request(kubesim, "PATCH", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/web", body, "application/merge-patch+json")
    assert status == 200
    assert answer["status"].get("replicas") != 42
    assert answer["metadata"]["resourceVersion"] == deployment["metadata"]["resourceVersion"] or answer["status"] != body["status"]


def test_field_selector_status_phase(resources: dict, web: str) -> None:
    running = resources["pods"].get(namespace=NAMESPACE, field_selector="status.phase=Running", label_selector="app=web").items
    assert len(running) == 2


def test_delete_cascades_in_background(resources: dict) -> None:
    resources["deployments"].create(body=_deployment("doomed", replicas=1), namespace=NAMESPACE)
    wait_for(lambda: _available(resources, "doomed"), "deployment doomed available")
    resources["deployments"].delete(name="doomed", namespace=NAMESPACE, propagation_policy="Background")
    wait_for(lambda: not resources["replicasets"].get(namespace=NAMESPACE, label_selector="app=doomed").items, "replica sets of doomed deleted")
    wait_for(lambda: not _pods_of(resources, "doomed"), "pods of doomed deleted")
    with pytest.raises(NotFoundError):
        resources["deployments"].get(name="doomed", namespace=NAMESPACE)


def test_delete_orphan_keeps_replica_set(resources: dict) -> None:
    resources["deployments"].create(body=_deployment("orphaned", replicas=1), namespace=NAMESPACE)
    wait_for(lambda: _available(resources, "orphaned"), "deployment orphaned available")
    resources["deployments"].delete(name="orphaned", namespace=NAMESPACE, propagation_policy="Orphan")
    wait_for(lambda: not resources["deployments"].get(namespace=NAMESPACE, field_selector="metadata.name=orphaned").items, "deployment orphaned gone")
    replica_sets = resources["replicasets"].get(namespace=NAMESPACE, label_selector="app=orphaned").items
    assert len(replica_sets) == 1
    assert not replica_sets[0].metadata.ownerReferences


def _running_pod(resources: dict, name: str) -> None:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"containers": [{"name": "app", "image": "app:1"}]}}
    resources["pods"].create(body=body, namespace=NAMESPACE)
    wait_for(lambda: resources["pods"].get(name=name, namespace=NAMESPACE).status.phase == "Running", f"pod {name} running")


def test_pod_deletion_is_graceful(resources: dict) -> None:
    _running_pod(resources, "graceful")
    answer = resources["pods"].delete(name="graceful", namespace=NAMESPACE)
    assert answer.metadata.deletionTimestamp
    assert answer.metadata.deletionGracePeriodSeconds == 30
    wait_for(lambda: not resources["pods"].get(namespace=NAMESPACE, field_selector="metadata.name=graceful").items, "pod graceful removed")


def test_pod_deletion_grace_zero_immediate(resources: dict) -> None:
    _running_pod(resources, "immediate")
    resources["pods"].delete(name="immediate", namespace=NAMESPACE, grace_period_seconds=0)
    with pytest.raises(NotFoundError):
        resources["pods"].get(name="immediate", namespace=NAMESPACE)


def _rollout(resources: dict, name: str, strategy: dict) -> list[str]:
    """Roll a 4-replica Deployment to a new image; return the ScalingReplicaSet messages in order."""
    body = _deployment(name, replicas=4)
    body["spec"]["strategy"] = strategy
    resources["deployments"].create(body=body, namespace=NAMESPACE)
    wait_for(lambda: _available(resources, name), f"deployment {name} available")
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "registry.example/app:2"}]}}}}
    resources["deployments"].patch(name=name, namespace=NAMESPACE, body=patch, content_type="application/strategic-merge-patch+json")

    def rolled_out() -> bool:
        images = {c.image for pod in _pods_of(resources, name) for c in pod.spec.containers if c.name == "app"}
        return images == {"registry.example/app:2"} and len(_pods_of(resources, name)) == 4 and _available(resources, name) is not None

    wait_for(rolled_out, f"rollout of {name}")
    events = resources["events"].get(namespace=NAMESPACE, field_selector=f"involvedObject.name={name},reason=ScalingReplicaSet").items
    return [event.message for event in sorted(events, key=lambda event: int(event.metadata.resourceVersion))]


def test_rolling_update_respects_surge(resources: dict) -> None:
    messages = _rollout(resources, "rolling", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    new_set = messages[1].split()[4]
    assert messages[1] == f"Scaled up replica set {new_set} from 0 to 1"
    assert messages[-1].endswith("to 0")


def test_recreate_removes_old_pods_first(resources: dict) -> None:
    messages = _rollout(resources, "recreated", {"type": "Recreate"})
    assert messages[1].startswith("Scaled down replica set recreated-")
    assert messages[1].endswith("from 4 to 0")
    assert messages[2].endswith("from 0 to 4")


def test_service_endpoints_list_ready_pods(resources: dict, client: dynamic.DynamicClient, web: str) -> None:
    services = client.resources.get(api_version="v1", kind="Service")
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NAMESPACE},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    services.create(body=body, namespace=NAMESPACE)
    pod_ips = sorted(pod.status.podIP for pod in _pods_of(resources, "web") if not pod.metadata.deletionTimestamp)
    slices = client.resources.get(api_version="discovery.k8s.io/v1", kind="EndpointSlice")

    def slice_addresses() -> list[str] | None:
        found = slices.get(namespace=NAMESPACE, label_selector="kubernetes.io/service-name=web").items
        addresses = sorted(address for item in found for endpoint in item.endpoints or [] for address in endpoint.addresses)
        return addresses if addresses == pod_ips else None

    wait_for(slice_addresses, "EndpointSlice of service web")
    endpoints = client.resources.get(api_version="v1", kind="Endpoints").get(name="web", namespace=NAMESPACE)
    assert sorted(address.ip for address in endpoints.subsets[0].addresses) == pod_ips
    assert endpoints.subsets[0].ports[0].port == 8080


def test_min_ready_seconds_delays_availability(resources: dict) -> None:
    body = _deployment("slow-ready", replicas=1)
    # Long enough that a test on a loaded machine still observes the ready-but-unavailable window.
    body["spec"]["minReadySeconds"] = 10
    resources["deployments"].create(body=body, namespace=NAMESPACE)
    replica_sets = resources["replicasets"]
    ready = wait_for(lambda: [rs for rs in replica_sets.get(namespace=NAMESPACE, label_selector="app=slow-ready").items
                              if rs.status and rs.status.readyReplicas],
                     "ready pod of slow-ready")
    assert not ready[0].status.availableReplicas
    wait_for(lambda: _available(resources, "slow-ready"), "deployment slow-ready available after minReadySeconds")
