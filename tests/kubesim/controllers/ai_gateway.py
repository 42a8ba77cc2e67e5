"""The AI Gateway controller's pod mutating webhook: adds the ai-gateway-extproc container to envoy proxy pods.

It runs as an admission step on pod creation. Without a
MutatingWebhookConfiguration whose webhook calls the ai-gateway-controller
Service, it acts on pods of a Gateway while a Deployment named
ai-gateway-controller has a ready replica. With one, kubesim calls the
webhook as kube-apiserver does: only for new pods that match its rules,
namespaceSelector and objectSelector, and when the Service has no ready pod
the call fails, so failurePolicy Fail rejects the pod and Ignore admits it
unchanged.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..resources import ResourceType
from ..selectors import selector_matches
from .base import is_deleting, pod_ready

if TYPE_CHECKING:
    from ..api import Api

CONTROLLER_DEPLOYMENT = "ai-gateway-controller"
EXTPROC_CONTAINER = "ai-gateway-extproc"
EXTPROC_PORT = 1064
OWNING_GATEWAY_LABEL = "gateway.envoyproxy.io/owning-gateway-name"

log = logging.getLogger("kubesim.ai_gateway")


def extproc_image(controller_image: str) -> str:
    """Derive the extproc image from the controller image: same registry and tag, "extproc" for "controller"."""
    registry, slash, last = controller_image.rpartition("/")
    repository, colon, tag = last.partition(":")
    if "@" in repository:
        repository, at, digest = repository.partition("@")
        return f"{registry}{slash}{repository.replace('controller', 'extproc')}@{digest}"
    return f"{registry}{slash}{repository.replace('controller', 'extproc')}{colon}{tag}"


def _controller_deployment(api: Api, namespace: str | None = None, ready: bool = True) -> dict[str, Any] | None:
    rt = api.registry.by_kind("apps", "Deployment")
    if rt is None:
        return None
    deployments, revision = api.list(rt, namespace, field_selector=f"metadata.name={CONTROLLER_DEPLOYMENT}")
    for deployment in deployments:
        if not ready or (deployment.get("status") or {}).get("readyReplicas", 0) >= 1:
            return deployment
    return None


def _controller_webhooks(api: Api) -> list[dict[str, Any]]:
    """Return the webhooks of every MutatingWebhookConfiguration that call the ai-gateway-controller Service."""
    rt = api.registry.by_kind("admissionregistration.k8s.io", "MutatingWebhookConfiguration")
    if rt is None:
        return []
    configurations, revision = api.list(rt, None)
    return [
        webhook
        for configuration in configurations
        for webhook in configuration.get("webhooks") or []
        if ((webhook.get("clientConfig") or {}).get("service") or {}).get("name") == CONTROLLER_DEPLOYMENT
    ]


def _rules_match_pod_create(webhook: dict[str, Any]) -> bool:
    for rule in webhook.get("rules") or []:
        groups, versions = rule.get("apiGroups") or [], rule.get("apiVersions") or []
        operations, resources = rule.get("operations") or [], rule.get("resources") or []
        if ({"", "*"} & set(groups) and {"v1", "*"} & set(versions) and {"CREATE", "*"} & set(operations)
                and {"pods", "*", "*/*"} & set(resources) and rule.get("scope", "*") in ("*", "Namespaced")):
            return True
    return False


def _namespace_labels(api: Api, namespace: str) -> dict[str, str]:
    rt = api.registry.by_kind("", "Namespace")
    found = api.find(rt, "", namespace) if rt is not None else None
    return ((found or {}).get("metadata") or {}).get("labels") or {}


def _call_error(api: Api, service: dict[str, Any]) -> str:
    """Return why a call to the webhook Service fails, or "" when a ready pod backs it."""
    name, namespace = service.get("name", ""), service.get("namespace", "")
    service_rt = api.registry.by_kind("", "Service")
    found = api.find(service_rt, namespace, name) if service_rt is not None else None
    if found is None:
        return f'service "{name}" not found'
    selector = (found.get("spec") or {}).get("selector") or {}
    pod_rt = api.registry.by_kind("", "Pod")
    pods, revision = api.list(pod_rt, namespace) if pod_rt is not None and selector else ([], 0)
    ready = [
        pod for pod in pods
        if selector_matches({"matchLabels": selector}, (pod["metadata"].get("labels") or {})) and pod_ready(pod) and not is_deleting(pod)
    ]
    return "" if ready else f'no endpoints available for service "{name}"'


def _call_webhook(api: Api, webhook: dict[str, Any], obj: dict[str, Any]) -> bool:
    """Call one matching webhook; return whether it ran, raise the API server's 500 when it fails with failurePolicy Fail."""
    service = (webhook.get("clientConfig") or {}).get("service") or {}
    error = _call_error(api, service)
    if not error:
        return True
    path = service.get("path") or ""
    url = f"https://{service.get('name')}.{service.get('namespace')}.svc:{service.get('port', 443)}{path}?timeout={webhook.get('timeoutSeconds', 10)}s"
    message = f'failed calling webhook "{webhook.get("name")}": failed to call webhook: Post "{url}": {error}'
    metadata = obj.get("metadata") or {}
    pod_name = metadata.get("name") or metadata.get("generateName", "")
    if webhook.get("failurePolicy", "Fail") == "Ignore":
        log.warning("admitted pod %s/%s unchanged because of failurePolicy Ignore: %s", metadata.get("namespace"), pod_name, message)
        return False
    raise ApiError(500, f"Internal error occurred: {message}", details={"causes": [{"message": message}]})


def inject_extproc(api: Api, rt: ResourceType, obj: dict[str, Any]) -> None:
    """Admission step for new pods: call the controller's webhook, which appends the extproc container to pods of a Gateway."""
    if rt.kind != "Pod" or rt.group != "":
        return
    metadata = obj.get("metadata") or {}
    labels = metadata.get("labels") or {}

    webhooks = _controller_webhooks(api)
    if webhooks:
        called = False
        namespace_labels = _namespace_labels(api, metadata.get("namespace", ""))
        for webhook in webhooks:
            if not _rules_match_pod_create(webhook):
                continue
            if not selector_matches(webhook.get("namespaceSelector") or {}, namespace_labels):
                continue
            if not selector_matches(webhook.get("objectSelector") or {}, labels):
                continue
            called = _call_webhook(api, webhook, obj) or called
        if not called:
            return
        # The call succeeded, so ready controller pods exist even if the Deployment status lags behind.
        controller = _controller_deployment(api, ready=False)
    else:
        controller = _controller_deployment(api)

    if OWNING_GATEWAY_LABEL not in labels or controller is None:
        return
    containers = obj.setdefault("spec", {}).setdefault("containers", [])
    if any(container.get("name") == EXTPROC_CONTAINER for container in containers):
        return

    controller_containers = controller["spec"]["template"]["spec"].get("containers") or []
    image = extproc_image(controller_containers[0].get("image", "")) if controller_containers else ""
    containers.append({
        "name": EXTPROC_CONTAINER,
        "image": image,
        "args": ["-configPath", "/etc/ai-gateway/extproc/extproc-config.yaml", "-extProcAddr", f":{EXTPROC_PORT}", "-logLevel", "info"],
        "ports": [{"name": "grpc", "containerPort": EXTPROC_PORT, "protocol": "TCP"}],
        "securityContext": {"runAsUser": 65532, "runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "resources": {},
    })
