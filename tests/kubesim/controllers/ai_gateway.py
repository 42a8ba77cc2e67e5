"""The AI Gateway controller's pod mutating webhook: adds the ai-gateway-extproc container to envoy proxy pods.

It runs as an admission step on pod creation, and acts only while a
Deployment named ai-gateway-controller has a ready replica.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..resources import ResourceType

if TYPE_CHECKING:
    from ..api import Api

CONTROLLER_DEPLOYMENT = "ai-gateway-controller"
EXTPROC_CONTAINER = "ai-gateway-extproc"
EXTPROC_PORT = 1064
OWNING_GATEWAY_LABEL = "gateway.envoyproxy.io/owning-gateway-name"


def extproc_image(controller_image: str) -> str:
    """Derive the extproc image from the controller image: same registry and tag, "extproc" for "controller"."""
    registry, slash, last = controller_image.rpartition("/")
    repository, colon, tag = last.partition(":")
    if "@" in repository:
        repository, at, digest = repository.partition("@")
        return f"{registry}{slash}{repository.replace('controller', 'extproc')}@{digest}"
    return f"{registry}{slash}{repository.replace('controller', 'extproc')}{colon}{tag}"


def _ready_controller(api: Api) -> dict[str, Any] | None:
    rt = api.registry.by_kind("apps", "Deployment")
    if rt is None:
        return None
    deployments, _ = api.list(rt, None, field_selector=f"metadata.name={CONTROLLER_DEPLOYMENT}")
    for deployment in deployments:
        if (deployment.get("status") or {}).get("readyReplicas", 0) >= 1:
            return deployment
    return None


def inject_extproc(api: Api, rt: ResourceType, obj: dict[str, Any]) -> None:
    """Admission step for new pods owned by a Gateway: append the extproc container."""
    if rt.kind != "Pod" or rt.group != "":
        return
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if OWNING_GATEWAY_LABEL not in labels:
        return
    containers = obj.setdefault("spec", {}).setdefault("containers", [])
    if any(container.get("name") == EXTPROC_CONTAINER for container in containers):
        return
    controller = _ready_controller(api)
    if controller is None:
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
