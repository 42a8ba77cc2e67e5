"""The AI Gateway pod webhook called through a MutatingWebhookConfiguration, as kube-apiserver calls it.

The tests run in order: first without the controller Service, then without a
ready controller pod, then with one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import dynamic
from kubernetes.dynamic.exceptions import ApiException

from kubesim.testing import RunningKubesim

from .conftest import make_namespace, wait_for

NAMESPACE = "gaap-controller"
OTHER_NAMESPACE = "elsewhere"
WEBHOOK_NAME = "ai-gateway-controller.gaap-controller.svc.cluster.local"
CONTROLLER_LABELS = {"app.kubernetes.io/name": "ai-gateway-controller"}
PROXY_LABELS = {
    "app.kubernetes.io/managed-by": "envoy-gateway",
    "gateway.envoyproxy.io/owning-gateway-name": "demo",
    "gateway.envoyproxy.io/owning-gateway-namespace": NAMESPACE,
}
UNREACHABLE_MESSAGE = (
    f'Internal error occurred: failed calling webhook "{WEBHOOK_NAME}": failed to call webhook: '
    'Post "https://ai-gateway-controller.gaap-controller.svc:9443/mutate?timeout=10s": '
)


def _configuration(failure_policy: str) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "envoy-ai-gateway-gateway-pod-mutator.gaap-controller"},
        "webhooks": [{
            "name": WEBHOOK_NAME,
            "clientConfig": {"service": {"name": "ai-gateway-controller", "namespace": NAMESPACE, "port": 9443, "path": "/mutate"}},
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"], "scope": "*"}],
            "objectSelector": {"matchLabels": {"app.kubernetes.io/managed-by": "envoy-gateway"}},
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}},
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "failurePolicy": failure_policy,
        }],
    }


def _pod(name: str, labels: dict[str, str], namespace: str = NAMESPACE) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "envoy", "image": "docker.io/envoyproxy/envoy:distroless-v1.35.0"}]},
    }


def _container_names(pod: Any) -> list[str]:
    return [container.name for container in pod.spec.containers]


@pytest.fixture(scope="module")
def api(client: dynamic.DynamicClient) -> dict[str, dynamic.Resource]:
    make_namespace(client, NAMESPACE)
    make_namespace(client, OTHER_NAMESPACE)
    resources = {
        "pods": client.resources.get(api_version="v1", kind="Pod"),
        "services": client.resources.get(api_version="v1", kind="Service"),
        "deployments": client.resources.get(api_version="apps/v1", kind="Deployment"),
        "webhooks": client.resources.get(api_version="admissionregistration.k8s.io/v1", kind="MutatingWebhookConfiguration"),
    }
    resources["webhooks"].create(body=_configuration("Fail"))
    return resources


def _create_rejected(api: dict, name: str) -> dict[str, Any]:
    with pytest.raises(ApiException) as raised:
        api["pods"].create(body=_pod(name, PROXY_LABELS), namespace=NAMESPACE)
    assert raised.value.status == 500
    return json.loads(raised.value.body)


def test_missing_service_rejects_pod(api: dict) -> None:
    status = _create_rejected(api, "proxy-no-service")

    assert status["reason"] == "InternalError"
    assert status["message"] == UNREACHABLE_MESSAGE + 'service "ai-gateway-controller" not found'


def test_no_ready_endpoint_rejects_pod(api: dict) -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ai-gateway-controller", "namespace": NAMESPACE},
               "spec": {"selector": CONTROLLER_LABELS, "ports": [{"name": "webhook", "port": 9443, "targetPort": 9443}]}}
    api["services"].create(body=service, namespace=NAMESPACE)
    status = _create_rejected(api, "proxy-no-endpoints")

    assert status["message"] == UNREACHABLE_MESSAGE + 'no endpoints available for service "ai-gateway-controller"'
    assert status["details"]["causes"][0]["message"].startswith(f'failed calling webhook "{WEBHOOK_NAME}"')


def test_unselected_pod_admitted(api: dict) -> None:
    labels = dict(PROXY_LABELS, **{"app.kubernetes.io/managed-by": "someone-else"})
    created = api["pods"].create(body=_pod("proxy-unselected", labels), namespace=NAMESPACE)

    assert _container_names(created) == ["envoy"]


def test_other_namespace_admitted(api: dict) -> None:
    created = api["pods"].create(body=_pod("proxy-elsewhere", PROXY_LABELS, OTHER_NAMESPACE), namespace=OTHER_NAMESPACE)

    assert _container_names(created) == ["envoy"]


def test_ignore_policy_admits_unchanged(api: dict, kubesim: RunningKubesim) -> None:
    name = "envoy-ai-gateway-gateway-pod-mutator.gaap-controller"
    api["webhooks"].patch(body={"webhooks": [dict(_configuration("Ignore")["webhooks"][0])]}, name=name,
                          content_type="application/merge-patch+json")
    try:
        created = api["pods"].create(body=_pod("proxy-ignored", PROXY_LABELS), namespace=NAMESPACE)
    finally:
        api["webhooks"].patch(body={"webhooks": [dict(_configuration("Fail")["webhooks"][0])]}, name=name,
                              content_type="application/merge-patch+json")

    assert _container_names(created) == ["envoy"]
    assert "because of failurePolicy Ignore" in kubesim.log_text()


def test_ready_controller_injects(api: dict) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ai-gateway-controller", "namespace": NAMESPACE},
        "spec": {"replicas": 1, "selector": {"matchLabels": CONTROLLER_LABELS},
                 "template": {"metadata": {"labels": CONTROLLER_LABELS},
                              "spec": {"containers": [{"name": "controller", "image": "registry.example.test/ai-gateway-controller:v1"}]}}},
    }
    api["deployments"].create(body=deployment, namespace=NAMESPACE)
    wait_for(lambda: api["deployments"].get(name="ai-gateway-controller", namespace=NAMESPACE).status.readyReplicas, "ai-gateway-controller ready")
    created = wait_for(lambda: _try_create(api, "proxy-injected"), "proxy pod admitted")

    assert _container_names(created) == ["envoy", "ai-gateway-extproc"]
    assert created.spec.containers[1].image == "registry.example.test/ai-gateway-extproc:v1"


def _try_create(api: dict, name: str) -> Any:
    try:
        return api["pods"].create(body=_pod(name, PROXY_LABELS), namespace=NAMESPACE)
    except ApiException as error:
        if error.status != 500:
            raise
        return None
