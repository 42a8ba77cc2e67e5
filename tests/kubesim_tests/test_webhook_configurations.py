"""admissionregistration.k8s.io/v1 webhook configurations: stored, defaulted and validated."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import dynamic
from kubernetes.dynamic.exceptions import UnprocessibleEntityError


def webhook_configuration(kind: str, name: str, **webhook: Any) -> dict[str, Any]:
    entry = {
        "name": "pods.example.test",
        "clientConfig": {"service": {"name": "hook", "namespace": "default", "path": "/mutate"}},
        "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        **webhook,
    }
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name}, "webhooks": [entry]}


@pytest.mark.parametrize("kind", ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"])
def test_webhook_defaults(client: dynamic.DynamicClient, kind: str) -> None:
    resource = client.resources.get(api_version="admissionregistration.k8s.io/v1", kind=kind)
    created = resource.create(body=webhook_configuration(kind, f"defaults-{kind.lower()}"))
    webhook = created.webhooks[0]

    assert created.metadata.generation == 1
    assert webhook.failurePolicy == "Fail"
    assert webhook.matchPolicy == "Equivalent"
    assert webhook.timeoutSeconds == 10
    assert webhook.clientConfig.service.port == 443
    assert webhook.rules[0].scope == "*"
    assert (webhook.reinvocationPolicy == "Never") is (kind == "MutatingWebhookConfiguration")


def test_webhook_cluster_scoped(client: dynamic.DynamicClient) -> None:
    resource = client.resources.get(api_version="admissionregistration.k8s.io/v1", kind="MutatingWebhookConfiguration")

    assert resource.namespaced is False


@pytest.mark.parametrize(("change", "field"), [
    ({"sideEffects": None}, "webhooks[0].sideEffects"),
    ({"sideEffects": "Some"}, "webhooks[0].sideEffects"),
    ({"admissionReviewVersions": []}, "webhooks[0].admissionReviewVersions"),
    ({"failurePolicy": "Retry"}, "webhooks[0].failurePolicy"),
    ({"clientConfig": {}}, "webhooks[0].clientConfig"),
])
def test_webhook_invalid(client: dynamic.DynamicClient, change: dict[str, Any], field: str) -> None:
    resource = client.resources.get(api_version="admissionregistration.k8s.io/v1", kind="MutatingWebhookConfiguration")
    body = webhook_configuration("MutatingWebhookConfiguration", "invalid", **change)
    if change.get("sideEffects", "") is None:
        del body["webhooks"][0]["sideEffects"]

    with pytest.raises(UnprocessibleEntityError) as raised:
        resource.create(body=body)

    causes = json.loads(raised.value.body)["details"]["causes"]
    assert [cause["field"] for cause in causes] == [field]
