"""Desired objects and change detection of an endpoint."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.gaap.genai.plugins.module_utils._endpoint import (
    EndpointSpec,
    desired_gateway,
    desired_secret,
    is_subset,
    redacted,
)

SPEC = EndpointSpec(
    name="chat",
    namespace="gaap-controller",
    hostname="chat.example.test",
    description="Chat models",
    cluster="gpu-1",
    certificate_chain_pem="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    private_key_pem="-----BEGIN PRIVATE KEY-----\nSECRETKEYLINE\n-----END PRIVATE KEY-----\n",
)


@pytest.mark.parametrize(
    ("desired", "existing", "expected"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, True),
        ({"a": 1}, {"a": 2}, False),
        ({"a": {"b": 1}}, {"a": {"b": 1, "c": 3}}, True),
        ({"a": [1, 2]}, {"a": [1, 2]}, True),
        ({"a": [1]}, {"a": [1, 2]}, False),
        ({"a": [{"n": 1}]}, {"a": [{"n": 1, "default": "x"}]}, True),
        ({"a": ""}, {}, False),
        ({"a": None}, {"a": None}, True),
    ],
)
def test_is_subset_cases(desired, existing, expected) -> None:
    assert is_subset(desired, existing) is expected


def test_secret_is_tls_type() -> None:
    secret = desired_secret(SPEC)

    assert secret["type"] == "kubernetes.io/tls"
    assert secret["metadata"]["name"] == "chat-tls"


def test_secret_data_is_base64() -> None:
    data = desired_secret(SPEC)["data"]

    assert base64.b64decode(data["tls.crt"]).decode() == SPEC.certificate_chain_pem
    assert base64.b64decode(data["tls.key"]).decode() == SPEC.private_key_pem


def test_gateway_listener_references_secret() -> None:
    listener = desired_gateway(SPEC)["spec"]["listeners"][0]

    assert listener["hostname"] == "chat.example.test"
    assert listener["port"] == 443
    assert listener["tls"]["certificateRefs"] == [{"group": "", "kind": "Secret", "name": "chat-tls"}]


def test_gateway_carries_description() -> None:
    annotations = desired_gateway(SPEC)["metadata"]["annotations"]

    assert annotations["genai.gaap.io/description"] == "Chat models"
    assert annotations["genai.gaap.io/cluster"] == "gpu-1"


def test_redacted_hides_key() -> None:
    view = redacted(desired_secret(SPEC))

    assert view["data"]["tls.key"] == "<hidden>"
    assert "SECRETKEYLINE" not in repr(view)


def test_redacted_keeps_original() -> None:
    secret = desired_secret(SPEC)
    redacted(secret)

    assert secret["data"]["tls.key"] != "<hidden>"


def test_spec_repr_hides_key() -> None:
    assert "SECRETKEYLINE" not in repr(SPEC)
