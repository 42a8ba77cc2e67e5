"""Proxy images from EnvoyProxy settings, and readiness probe delays of the simulated kubelet."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from kubernetes import dynamic

from kubesim.controllers.kubelet import readiness_delay

from .conftest import make_namespace, wait_for

NAMESPACE = "gaap-controller"
GATEWAY_API = "gateway.networking.k8s.io/v1"
ENVOY_API = "gateway.envoyproxy.io/v1alpha1"
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
DEFAULT_IMAGE = "registry.example.test/envoy:default"
CLASS_IMAGE = "registry.example.test/envoy:class"
GATEWAY_IMAGE = "registry.example.test/envoy:gateway"
SHUTDOWN_MANAGER_IMAGE = "registry.example.test/gateway:shutdown"


def _envoy_proxy(name: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": ENVOY_API, "kind": "EnvoyProxy", "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyDeployment": {"container": {"image": image}}}}},
    }


def _gateway(name: str, class_name: str, parameters: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"gatewayClassName": class_name, "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}
    if parameters:
        spec["infrastructure"] = {"parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": parameters}}
    return {"apiVersion": GATEWAY_API, "kind": "Gateway", "metadata": {"name": name, "namespace": NAMESPACE}, "spec": spec}


@pytest.fixture(scope="module")
def proxies(crd_client: dynamic.DynamicClient) -> dict[str, dict[str, str]]:
    """Create three Gateways, one per level of EnvoyProxy settings; return each proxy's container images."""
    client = crd_client
    make_namespace(client, NAMESPACE)
    settings = {
        "apiVersion": ENVOY_API, "kind": "EnvoyGateway",
        "provider": {"type": "Kubernetes", "kubernetes": {"shutdownManager": {"image": SHUTDOWN_MANAGER_IMAGE}}},
        "envoyProxy": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyDeployment": {"container": {"image": DEFAULT_IMAGE}}}}},
    }
    client.resources.get(api_version="v1", kind="ConfigMap").create(
        body={"metadata": {"name": "envoy-gateway-config"}, "data": {"envoy-gateway.yaml": yaml.safe_dump(settings)}}, namespace=NAMESPACE)
    labels = {"app.kubernetes.io/name": "envoy-gateway"}
    controller = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "envoy-gateway", "namespace": NAMESPACE},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "envoy-gateway", "image": "registry.example.test/gateway:v1"}]}}},
    }
    client.resources.get(api_version="apps/v1", kind="Deployment").create(body=controller, namespace=NAMESPACE)

    envoy_proxies = client.resources.get(api_version=ENVOY_API, kind="EnvoyProxy")
    envoy_proxies.create(body=_envoy_proxy("class-proxy", CLASS_IMAGE), namespace=NAMESPACE)
    envoy_proxies.create(body=_envoy_proxy("gateway-proxy", GATEWAY_IMAGE), namespace=NAMESPACE)
    classes = client.resources.get(api_version=GATEWAY_API, kind="GatewayClass")
    classes.create(body={"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": "plain"}, "spec": {"controllerName": CONTROLLER_NAME}})
    classes.create(body={"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": "tuned"},
                         "spec": {"controllerName": CONTROLLER_NAME, "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                                                                       "name": "class-proxy", "namespace": NAMESPACE}}})
    gateways = client.resources.get(api_version=GATEWAY_API, kind="Gateway")
    gateways.create(body=_gateway("from-default", "plain"), namespace=NAMESPACE)
    gateways.create(body=_gateway("from-class", "tuned"), namespace=NAMESPACE)
    gateways.create(body=_gateway("from-gateway", "tuned", "gateway-proxy"), namespace=NAMESPACE)

    deployments = client.resources.get(api_version="apps/v1", kind="Deployment")

    def images(gateway: str) -> dict[str, str] | None:
        found = deployments.get(namespace=NAMESPACE, label_selector=f"gateway.envoyproxy.io/owning-gateway-name={gateway}").items
        if not found:
            return None
        return {container.name: container.image for container in found[0].spec.template.spec.containers}

    return {gateway: wait_for(lambda gateway=gateway: images(gateway), f"proxy Deployment of {gateway}")
            for gateway in ("from-default", "from-class", "from-gateway")}


@pytest.mark.parametrize(("gateway", "image"), [
    ("from-default", DEFAULT_IMAGE),
    ("from-class", CLASS_IMAGE),
    ("from-gateway", GATEWAY_IMAGE),
])
def test_envoy_image_by_level(proxies: dict, gateway: str, image: str) -> None:
    assert proxies[gateway]["envoy"] == image


def test_shutdown_manager_image_from_settings(proxies: dict) -> None:
    assert proxies["from-default"]["shutdown-manager"] == SHUTDOWN_MANAGER_IMAGE


@pytest.mark.parametrize(("container", "start_seconds", "expected"), [
    ({"name": "plain"}, 2.0, 0.0),
    ({"name": "probed", "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}}}, 2.0, 0.0),
    ({"name": "short", "readinessProbe": {"initialDelaySeconds": 1}}, 2.0, 1.0),
    ({"name": "long", "readinessProbe": {"initialDelaySeconds": 30}}, 2.0, 2.0),
])
def test_readiness_delay_capped(container: dict, start_seconds: float, expected: float) -> None:
    assert readiness_delay(container, start_seconds) == expected


def test_delayed_probe_becomes_ready(crd_client: dynamic.DynamicClient) -> None:
    make_namespace(crd_client, "probes")
    pods = crd_client.resources.get(api_version="v1", kind="Pod")
    container = {"name": "web", "image": "registry.example.test/web:v1", "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "initialDelaySeconds": 30}}
    pods.create(body={"metadata": {"name": "delayed"}, "spec": {"containers": [container]}}, namespace="probes")

    def ready_pod() -> Any:
        pod = pods.get(name="delayed", namespace="probes")
        statuses = pod.status.containerStatuses or []
        return pod if statuses and statuses[0].ready else None

    pod = wait_for(ready_pod, "pod delayed ready")

    assert pod.status.phase == "Running"
