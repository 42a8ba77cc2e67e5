# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The state of an endpoint, read from its Gateway, Secret, proxy Deployment, proxy Service and pods.

The rules that decide the state work on plain dicts and never call the
cluster, so they can be tested on objects written by hand. Only
``read_endpoints`` and ``read_controllers`` talk to the API server.

Rules, checked in this order; the first that matches decides:

Failed
    the Secret is missing, its tls.crt has no readable certificate, or the
    leaf certificate has expired; the Gateway was not accepted (Accepted
    False for a reason other than Pending); a listener has ResolvedRefs
    False (e.g. InvalidCertificateRef); a proxy pod is Unschedulable or a
    container waits in ImagePullBackOff, ErrImagePull, InvalidImageName,
    CrashLoopBackOff or CreateContainerConfigError; or the proxy Deployment
    asks for 0 replicas, so nothing serves the hostname.
Initializing
    the proxy Deployment does not exist yet, no proxy pod is ready yet
    (e.g. Pending with ContainerCreating), or the Gateway is not Programmed.
Degraded
    some but not all proxy pods are ready, or a controller Deployment
    (envoy-gateway, ai-gateway-controller) is not ready while the proxy
    serves.
Active
    the Gateway is Programmed, the controllers are ready, and every proxy
    pod is Running and ready, as many as the Deployment asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.gaap.genai.plugins.module_utils import _naming as naming
from ansible_collections.gaap.genai.plugins.module_utils._certificate_facts import secret_leaf_facts
from ansible_collections.gaap.genai.plugins.module_utils._cluster import (
    HAS_KUBERNETES,
    KUBERNETES_IMPORT_ERROR,
    ClusterError,
    connect,
    get_object,
    list_objects,
)
from ansible_collections.gaap.genai.plugins.module_utils._pem import CRYPTOGRAPHY_IMPORT_ERROR, HAS_CRYPTOGRAPHY
from ansible_collections.gaap.genai.plugins.module_utils._readiness import (
    deployment_ready,
    pod_ready,
    pod_unready_reason,
)

GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"

ACTIVE = "Active"
INITIALIZING = "Initializing"
DEGRADED = "Degraded"
FAILED = "Failed"
STATES = (INITIALIZING, ACTIVE, DEGRADED, FAILED)

# Deployments of the two controllers every endpoint depends on.
CONTROLLER_DEPLOYMENTS = ("envoy-gateway", "ai-gateway-controller")

# Waiting reasons the kubelet keeps retrying without a change on the
# cluster, so the pod will not become ready by itself.
FAILING_CONTAINER_REASONS = frozenset(
    {
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
    }
)


@dataclass
class EndpointObjects:
    """The cluster objects of one endpoint as dicts, with None for an object that does not exist."""

    gateway: dict
    secret: dict | None = None
    deployment: dict | None = None
    service: dict | None = None
    pods: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class ControllerState:
    """Readiness of one controller Deployment."""

    name: str
    ready: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ready": self.ready, "reason": self.reason}


def _metadata(obj: dict | None) -> dict:
    return (obj or {}).get("metadata") or {}


def _condition(conditions: list[dict] | None, condition_type: str) -> dict | None:
    for condition in conditions or []:
        if condition.get("type") == condition_type:
            return condition
    return None


def _describe_condition(condition: dict) -> str:
    reason = condition.get("reason") or "no reason given"
    message = condition.get("message")
    return f"{reason}: {message}" if message else reason


def listener_hostname(gateway: dict) -> str:
    """Return the hostname of the endpoint's HTTPS listener, or "" when the Gateway has none."""
    listeners = (gateway.get("spec") or {}).get("listeners") or []
    for listener in listeners:
        if listener.get("name") == naming.LISTENER_NAME:
            return listener.get("hostname") or ""
    return (listeners[0].get("hostname") or "") if listeners else ""


def proxy_address(service: dict | None) -> str | None:
    """Return the first load balancer ingress IP or hostname of the proxy Service, or None."""
    ingress = (((service or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    for entry in ingress:
        address = entry.get("ip") or entry.get("hostname")
        if address:
            return address
    return None


def pod_failure_reason(pod: dict) -> str | None:
    """Explain why a pod cannot become ready without a change on the cluster, or return None.

    A pod fails when the scheduler marked it Unschedulable, or when one of its
    containers (init containers included) waits for a reason in
    FAILING_CONTAINER_REASONS.
    """
    status = pod.get("status") or {}
    scheduled = _condition(status.get("conditions"), "PodScheduled")
    if scheduled is not None and scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        return "Unschedulable"

    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    for container in statuses:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FAILING_CONTAINER_REASONS:
            return f"{waiting['reason']} (container {container.get('name', '?')})"
    return None


def _current_pods(pods: list[dict]) -> list[dict]:
    """Drop pods that are being deleted or have finished (Succeeded, Failed e.g. Evicted).

    Their ReplicaSet has already started replacements, so they do not show
    the endpoint's current state.
    """
    current = []
    for pod in pods:
        phase = (pod.get("status") or {}).get("phase")
        if _metadata(pod).get("deletionTimestamp") or phase in ("Succeeded", "Failed"):
            continue
        current.append(pod)
    return current


def desired_replicas(deployment: dict | None) -> int:
    """Return spec.replicas of a Deployment, 1 when unset (the API default), 0 when there is none."""
    if deployment is None:
        return 0
    replicas = (deployment.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def endpoint_state(
    objects: EndpointObjects,
    controllers: list[ControllerState],
    certificate: dict | None,
    now: datetime,
) -> tuple[str, str]:
    """Decide the endpoint's state and the reason for it, by the rules in this file's docstring.

    certificate is the leaf's facts from the Secret (secret_leaf_facts), or
    None when the Secret has no readable certificate.
    """
    failure = _failure_reason(objects, certificate, now)
    if failure:
        return FAILED, failure

    gateway_status = objects.gateway.get("status") or {}
    pods = _current_pods(objects.pods)
    desired = desired_replicas(objects.deployment)
    ready = sum(1 for pod in pods if pod_ready(pod))

    if objects.deployment is None:
        metadata = _metadata(objects.gateway)
        deployment_name = naming.proxy_deployment_name(metadata.get("namespace", ""), metadata.get("name", ""))
        return INITIALIZING, f"Envoy Gateway has not created the proxy Deployment {deployment_name} yet"
    if ready == 0:
        return INITIALIZING, f"0 of {desired} proxy pods ready{_unready_detail(pods)}"
    programmed = _condition(gateway_status.get("conditions"), "Programmed")
    if programmed is None or programmed.get("status") != "True":
        detail = _describe_condition(programmed) if programmed else "no Programmed condition yet"
        return INITIALIZING, f"the Gateway is not Programmed ({detail})"

    if ready < desired or ready < len(pods):
        return DEGRADED, f"{ready} of {desired} proxy pods ready{_unready_detail(pods)}"
    unready_controllers = [controller for controller in controllers if not controller.ready]
    if unready_controllers:
        listed = "; ".join(f"{controller.name}: {controller.reason}" for controller in unready_controllers)
        return DEGRADED, f"the proxy serves, but a controller is not ready ({listed})"

    return ACTIVE, f"{ready} of {desired} proxy pods ready and the Gateway is Programmed"


def _failure_reason(objects: EndpointObjects, certificate: dict | None, now: datetime) -> str | None:
    gateway = objects.gateway
    namespace = _metadata(gateway).get("namespace", "")
    name = _metadata(gateway).get("name", "")
    secret = naming.secret_name(name)

    if objects.secret is None:
        return f"the Secret {namespace}/{secret} is missing; run genai_endpoint again to recreate it"
    if certificate is None:
        return f"the Secret {namespace}/{secret} has no readable certificate in tls.crt; run genai_endpoint again"
    if datetime.fromisoformat(certificate["not_after"]) <= now:
        return f"the certificate expired on {certificate['not_after']}; renew it and run genai_endpoint with the new files"

    status = gateway.get("status") or {}
    accepted = _condition(status.get("conditions"), "Accepted")
    if accepted is not None and accepted.get("status") == "False" and accepted.get("reason") != "Pending":
        return f"the Gateway was not accepted ({_describe_condition(accepted)})"
    for listener in status.get("listeners") or []:
        resolved = _condition(listener.get("conditions"), "ResolvedRefs")
        if resolved is not None and resolved.get("status") == "False":
            return f"listener {listener.get('name', '?')} cannot resolve its references ({_describe_condition(resolved)})"

    for pod in _current_pods(objects.pods):
        reason = pod_failure_reason(pod)
        if reason:
            return f"proxy pod {_metadata(pod).get('name', '?')} is failing: {reason}"
    if objects.deployment is not None and desired_replicas(objects.deployment) == 0:
        deployment_name = _metadata(objects.deployment).get("name")
        return f"the proxy Deployment {deployment_name} asks for 0 replicas, so nothing serves the endpoint"
    return None


def _unready_detail(pods: list[dict]) -> str:
    """Name the first pod that is not ready and why, e.g. "; pod envoy-…: ContainerCreating"."""
    for pod in pods:
        if not pod_ready(pod):
            return f"; pod {_metadata(pod).get('name', '?')}: {pod_unready_reason(pod)}"
    return ""


def controller_state(name: str, deployment: dict | None) -> ControllerState:
    """Tell whether a controller Deployment has rolled out ready replicas."""
    if deployment is None:
        return ControllerState(name, False, "Deployment not found")
    if deployment_ready(deployment):
        return ControllerState(name, True, "ready")
    status = deployment.get("status") or {}
    return ControllerState(
        name,
        False,
        f"{status.get('readyReplicas', 0)} of {desired_replicas(deployment)} replicas ready",
    )


def describe_endpoint(
    objects: EndpointObjects,
    controllers: list[ControllerState],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Build the facts the module returns for one endpoint. Secret data never appears in them."""
    now = now or datetime.now(timezone.utc)
    metadata = _metadata(objects.gateway)
    annotations = metadata.get("annotations") or {}
    namespace = metadata.get("namespace", "")
    name = metadata.get("name", "")
    certificate = secret_leaf_facts(objects.secret, now) if objects.secret is not None else None
    state, reason = endpoint_state(objects, controllers, certificate, now)
    pods = _current_pods(objects.pods)

    return {
        "name": name,
        "namespace": namespace,
        "description": annotations.get(naming.DESCRIPTION_ANNOTATION, ""),
        "hostname": listener_hostname(objects.gateway),
        "cluster": annotations.get(naming.CLUSTER_ANNOTATION, ""),
        "state": state,
        "reason": reason,
        "pods_ready": sum(1 for pod in pods if pod_ready(pod)),
        "pods_desired": desired_replicas(objects.deployment),
        "address": proxy_address(objects.service),
        "certificate_not_after": certificate["not_after"] if certificate else None,
        "certificate_days_left": certificate["days_left"] if certificate else None,
        "gateway": name,
        "secret": naming.secret_name(name),
        "proxy_deployment": naming.proxy_deployment_name(namespace, name),
    }


def read_controllers(client: Any, namespace: str) -> list[ControllerState]:
    """Read the controller Deployments from the cluster and tell whether each is ready."""
    return [
        controller_state(name, get_object(client, "apps/v1", "Deployment", name, namespace))
        for name in CONTROLLER_DEPLOYMENTS
    ]


def read_gateways(client: Any, namespace: str, name: str | None = None) -> list[dict]:
    """Return the endpoints' Gateways in namespace, sorted by name, or the one named name."""
    selector = f"{naming.MANAGED_BY_LABEL}={naming.MANAGED_BY}"
    gateways = list_objects(client, GATEWAY_API_VERSION, "Gateway", namespace, label_selector=selector)
    if name is not None:
        gateways = [gateway for gateway in gateways if _metadata(gateway).get("name") == name]
    return sorted(gateways, key=lambda gateway: _metadata(gateway).get("name", ""))


def read_endpoint_objects(client: Any, gateway: dict) -> EndpointObjects:
    """Fetch the Secret, proxy Deployment, proxy Service and proxy pods of one Gateway.

    Envoy Gateway puts the proxy objects in the namespace it runs in, which
    is the Gateway's namespace in this collection's layout.
    """
    namespace = _metadata(gateway).get("namespace", "")
    name = _metadata(gateway).get("name", "")
    proxy = naming.proxy_deployment_name(namespace, name)
    return EndpointObjects(
        gateway=gateway,
        secret=get_object(client, "v1", "Secret", naming.secret_name(name), namespace),
        deployment=get_object(client, "apps/v1", "Deployment", proxy, namespace),
        service=get_object(client, "v1", "Service", proxy, namespace),
        pods=list_objects(client, "v1", "Pod", namespace, label_selector=naming.proxy_selector(namespace, name)),
    )


def run_endpoint_info(module: Any) -> None:
    """Run the genai_endpoint_info module to its exit_json or fail_json. It never writes to the cluster."""
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(KUBERNETES_IMPORT_ERROR))
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography>=42"), exception=str(CRYPTOGRAPHY_IMPORT_ERROR))
    params = module.params
    namespace = params["namespace"]

    try:
        client = connect(module)
        controllers = read_controllers(client, namespace)
        endpoints = [
            describe_endpoint(read_endpoint_objects(client, gateway), controllers)
            for gateway in read_gateways(client, namespace, params.get("name"))
        ]
    except ClusterError as error:
        module.fail_json(
            msg=f"Cannot read the endpoints in namespace {namespace}: {error.problem.message}",
            problems=[error.problem.as_dict()],
            endpoints=[],
            controllers=[],
        )

    module.exit_json(
        changed=False,
        endpoints=endpoints,
        controllers=[controller.as_dict() for controller in controllers],
    )
