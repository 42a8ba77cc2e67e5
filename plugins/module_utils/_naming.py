# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names of the cluster objects that make up an endpoint."""

from __future__ import annotations

import hashlib
import re

from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem

DEFAULT_NAMESPACE = "gaap-controller"
GATEWAY_CLASS = "gaap-genai"
GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
LISTENER_NAME = "https"
LISTENER_PORT = 443

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "gaap.genai"
ENDPOINT_LABEL = "genai.gaap.io/endpoint"
DESCRIPTION_ANNOTATION = "genai.gaap.io/description"
CLUSTER_ANNOTATION = "genai.gaap.io/cluster"

OWNING_GATEWAY_NAME_LABEL = "gateway.envoyproxy.io/owning-gateway-name"
OWNING_GATEWAY_NAMESPACE_LABEL = "gateway.envoyproxy.io/owning-gateway-namespace"

# An RFC 1123 label: the rule Kubernetes applies to namespaces and Services,
# and the strictest of the names an endpoint is used in.
DNS_LABEL_MAX_LENGTH = 63
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

# Envoy Gateway cuts "<namespace>-<name>" to this many characters before it
# appends the hash.
_PROXY_NAME_PREFIX_MAX_LENGTH = 48
_PROXY_NAME_HASH_LENGTH = 8


def is_dns_label(value: str) -> bool:
    """Tell whether value is an RFC 1123 label of at most 63 characters."""
    return len(value) <= DNS_LABEL_MAX_LENGTH and bool(_DNS_LABEL.match(value))


def endpoint_name_problems(name: str) -> list[Problem]:
    """Check an endpoint name, which becomes the Gateway's name."""
    if is_dns_label(name):
        return []

    if not name:
        detail = "it is empty"
    elif len(name) > DNS_LABEL_MAX_LENGTH:
        detail = f"it has {len(name)} characters, and the maximum is {DNS_LABEL_MAX_LENGTH}"
    else:
        detail = (
            "it may contain only lowercase letters, digits and '-', "
            "and must start and end with a letter or digit"
        )
    return [
        Problem(
            "name_invalid",
            f"The endpoint name {name!r} is not a valid RFC 1123 label because {detail}. "
            f"Use a name such as {suggest_dns_label(name)!r}.",
        )
    ]


def namespace_problems(namespace: str) -> list[Problem]:
    """Check the namespace the endpoint's objects go to."""
    if is_dns_label(namespace):
        return []
    return [
        Problem(
            "namespace_invalid",
            f"The namespace {namespace!r} is not a valid RFC 1123 label. "
            f"Use a name such as {suggest_dns_label(namespace)!r}.",
        )
    ]


def suggest_dns_label(value: str) -> str:
    """Turn any text into a close RFC 1123 label, for error messages."""
    label = re.sub(r"[^a-z0-9-]+", "-", value.lower())
    label = label.strip("-")[:DNS_LABEL_MAX_LENGTH].strip("-")
    return label or "my-endpoint"


def secret_name(endpoint: str) -> str:
    """Name the kubernetes.io/tls Secret that contains the endpoint's certificate."""
    return f"{endpoint}-tls"


def proxy_deployment_name(namespace: str, gateway: str) -> str:
    """Name the proxy Deployment (and Service) Envoy Gateway makes for a Gateway.

    Envoy Gateway joins namespace and name, cuts the result to 48 characters,
    drops a trailing '-', and appends the first 8 hex digits of the SHA-256
    of "<namespace>/<name>", so that long names stay unique and within the
    63-character limit.
    """
    prefix = f"{namespace}-{gateway}"[:_PROXY_NAME_PREFIX_MAX_LENGTH].rstrip("-")
    digest = hashlib.sha256(f"{namespace}/{gateway}".encode()).hexdigest()
    return f"envoy-{prefix}-{digest[:_PROXY_NAME_HASH_LENGTH]}"


def endpoint_labels(endpoint: str) -> dict[str, str]:
    """Return the labels that mark an object as part of an endpoint."""
    return {MANAGED_BY_LABEL: MANAGED_BY, ENDPOINT_LABEL: endpoint}


def proxy_selector(namespace: str, gateway: str) -> str:
    """Return the label selector of the proxy pods of a Gateway."""
    return (
        f"{OWNING_GATEWAY_NAME_LABEL}={gateway},"
        f"{OWNING_GATEWAY_NAMESPACE_LABEL}={namespace}"
    )
