"""Which EnvoyProxy settings apply to a Gateway's proxy, as Envoy Gateway resolves them.

From the highest priority to the lowest (Envoy Gateway's EnvoyGatewaySpec.envoyProxy documentation):
the EnvoyProxy named by the Gateway's spec.infrastructure.parametersRef, the one
named by its GatewayClass's spec.parametersRef, and the envoyProxy defaults of the
EnvoyGateway configuration file (ConfigMap envoy-gateway-config, key
envoy-gateway.yaml). A more specific EnvoyProxy without spec.mergeType replaces the
less specific ones. With a mergeType, kubesim takes each field from the most
specific level that sets it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from ..api import Api

ENVOY_GROUP = "gateway.envoyproxy.io"
CONFIG_MAP = "envoy-gateway-config"
CONFIG_KEY = "envoy-gateway.yaml"


def _envoy_proxy_spec(api: Api, reference: dict[str, Any] | None, default_namespace: str) -> dict[str, Any] | None:
    if not reference or reference.get("group") != ENVOY_GROUP or reference.get("kind") != "EnvoyProxy":
        return None
    rt = api.registry.by_kind(ENVOY_GROUP, "EnvoyProxy")
    if rt is None:
        return None
    found = api.find(rt, reference.get("namespace") or default_namespace, reference.get("name", ""))
    return (found or {}).get("spec") if found is not None else None


def envoy_gateway_settings(api: Api, namespace: str) -> dict[str, Any]:
    """Return the EnvoyGateway configuration file of the controller in `namespace`, or {} when it is missing or invalid."""
    rt = api.registry.by_kind("", "ConfigMap")
    config_map = api.find(rt, namespace, CONFIG_MAP) if rt is not None else None
    text = ((config_map or {}).get("data") or {}).get(CONFIG_KEY)
    if not text:
        return {}
    try:
        settings = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return settings if isinstance(settings, dict) else {}


def _lookup(spec: dict[str, Any] | None, *path: str) -> Any:
    value: Any = spec
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def proxy_setting(api: Api, gateway: dict[str, Any], gateway_class: dict[str, Any] | None, settings: dict[str, Any], *path: str) -> Any:
    """Return one field of the EnvoyProxy spec that applies to the Gateway, or None when no level sets it."""
    levels = [
        _envoy_proxy_spec(api, (gateway["spec"].get("infrastructure") or {}).get("parametersRef"), gateway["metadata"]["namespace"]),
        _envoy_proxy_spec(api, ((gateway_class or {}).get("spec") or {}).get("parametersRef"), ""),
        settings.get("envoyProxy") if isinstance(settings.get("envoyProxy"), dict) else None,
    ]
    for spec in levels:
        if spec is None:
            continue
        value = _lookup(spec, *path)
        if value is not None or not spec.get("mergeType"):
            return value
    return None
