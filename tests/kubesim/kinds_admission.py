"""Defaulting and validation of the admissionregistration.k8s.io/v1 webhook configurations."""

from __future__ import annotations

from typing import Any

from . import errors
from .errors import FieldError

FAILURE_POLICIES = ["Fail", "Ignore"]
SIDE_EFFECTS = ["None", "NoneOnDryRun"]
MATCH_POLICIES = ["Exact", "Equivalent"]
REINVOCATION_POLICIES = ["Never", "IfNeeded"]


def default_webhook_configuration(obj: dict[str, Any], mutating: bool) -> None:
    """Apply the v1 webhook defaults, in place."""
    for webhook in obj.get("webhooks") or []:
        if not isinstance(webhook, dict):
            continue
        webhook.setdefault("failurePolicy", "Fail")
        webhook.setdefault("matchPolicy", "Equivalent")
        webhook.setdefault("namespaceSelector", {})
        webhook.setdefault("objectSelector", {})
        webhook.setdefault("timeoutSeconds", 10)
        if mutating:
            webhook.setdefault("reinvocationPolicy", "Never")
        for rule in webhook.get("rules") or []:
            if isinstance(rule, dict):
                rule.setdefault("scope", "*")
        service = (webhook.get("clientConfig") or {}).get("service")
        if isinstance(service, dict):
            service.setdefault("port", 443)


def validate_webhook_configuration(obj: dict[str, Any], mutating: bool) -> list[FieldError]:
    problems: list[FieldError] = []
    names: set[str] = set()
    for index, webhook in enumerate(obj.get("webhooks") or []):
        path = f"webhooks[{index}]"
        name = webhook.get("name") or ""
        if not name:
            problems.append(errors.required(f"{path}.name"))
        elif name in names:
            problems.append(errors.duplicate(f"{path}.name", name))
        elif "." not in name:
            problems.append(errors.invalid(f"{path}.name", name, "should be a domain with at least three segments separated by dots"))
        names.add(name)
        if not webhook.get("admissionReviewVersions"):
            problems.append(errors.required(f"{path}.admissionReviewVersions"))
        if webhook.get("sideEffects") not in SIDE_EFFECTS:
            if webhook.get("sideEffects") is None:
                problems.append(errors.required(f"{path}.sideEffects"))
            else:
                problems.append(errors.unsupported(f"{path}.sideEffects", webhook.get("sideEffects"), SIDE_EFFECTS))
        for key, allowed in (("failurePolicy", FAILURE_POLICIES), ("matchPolicy", MATCH_POLICIES)):
            if webhook.get(key) not in allowed:
                problems.append(errors.unsupported(f"{path}.{key}", webhook.get(key), allowed))
        if mutating and webhook.get("reinvocationPolicy") not in REINVOCATION_POLICIES:
            problems.append(errors.unsupported(f"{path}.reinvocationPolicy", webhook.get("reinvocationPolicy"), REINVOCATION_POLICIES))
        client_config = webhook.get("clientConfig") or {}
        if bool(client_config.get("url")) == bool(client_config.get("service")):
            problems.append(FieldError(f"{path}.clientConfig", "FieldValueRequired", "Required value: exactly one of url or service is required"))
    return problems
