"""Names of the endpoint's cluster objects."""

from __future__ import annotations

import pytest

from ansible_collections.gaap.genai.plugins.module_utils._naming import (
    endpoint_name_problems,
    proxy_deployment_name,
    proxy_selector,
    secret_name,
)


@pytest.mark.parametrize(
    ("namespace", "gateway", "expected"),
    [
        ("gaap-controller", "ethan-global-endpoint", "envoy-gaap-controller-ethan-global-endpoint-d55ada0a"),
        # "<namespace>-<name>" longer than 48 characters is cut before the hash.
        ("gaap-controller", "a" * 63, "envoy-gaap-controller-" + "a" * 32 + "-"),
        # A cut that ends in '-' loses it, so the name never has "--" before the hash.
        ("gaap-controller", "b" * 32 + "-tail", "envoy-gaap-controller-" + "b" * 32 + "-"),
    ],
)
def test_proxy_deployment_name(namespace: str, gateway: str, expected: str) -> None:
    name = proxy_deployment_name(namespace, gateway)

    assert name.startswith(expected)
    assert len(name) <= 63


def test_proxy_name_trailing_hyphen_dropped() -> None:
    # 16 characters of namespace, '-', then 31 of name: the 48th character is '-'.
    name = proxy_deployment_name("gaap-controller", "c" * 31 + "-more")

    assert "--" not in name


def test_proxy_name_hash_of_namespaced_name() -> None:
    import hashlib

    digest = hashlib.sha256(b"team-a/chat").hexdigest()[:8]

    assert proxy_deployment_name("team-a", "chat") == f"envoy-team-a-chat-{digest}"


@pytest.mark.parametrize("name", ["demo-endpoint", "a", "x" * 63, "0-starts-with-digit", "e2e"])
def test_endpoint_name_valid(name: str) -> None:
    assert endpoint_name_problems(name) == []


@pytest.mark.parametrize(
    "name",
    ["", "Demo_Endpoint", "UPPER", "-leading", "trailing-", "has.dot", "x" * 64, "space in"],
)
def test_endpoint_name_invalid(name: str) -> None:
    problems = endpoint_name_problems(name)

    assert [problem.code for problem in problems] == ["name_invalid"]
    assert repr(name) in problems[0].message


def test_invalid_name_message_suggests_fix() -> None:
    (problem,) = endpoint_name_problems("Demo_Endpoint")

    assert "'demo-endpoint'" in problem.message


def test_secret_name_follows_endpoint() -> None:
    assert secret_name("demo-endpoint") == "demo-endpoint-tls"


def test_proxy_selector_uses_owning_labels() -> None:
    assert proxy_selector("gaap-controller", "demo") == (
        "gateway.envoyproxy.io/owning-gateway-name=demo,"
        "gateway.envoyproxy.io/owning-gateway-namespace=gaap-controller"
    )
