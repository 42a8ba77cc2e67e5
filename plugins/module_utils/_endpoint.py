# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The endpoint's objects on the cluster: what they should be, and how to get there."""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.gaap.genai.plugins.module_utils import _naming as naming
from ansible_collections.gaap.genai.plugins.module_utils._certificate_facts import secret_leaf_facts
from ansible_collections.gaap.genai.plugins.module_utils._cluster import (
    ClusterError,
    DynamicApiError,
    Urllib3HTTPError,
    api_error,
    get_object,
    list_objects,
    object_ref,
    request_failed,
    resource_for,
)
from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem

GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"
MERGE_PATCH = "application/merge-patch+json"
SECRET_TYPE_TLS = "kubernetes.io/tls"


@dataclass(frozen=True)
class EndpointSpec:
    """The requested endpoint, after validation and clean-up."""

    name: str
    namespace: str
    hostname: str
    description: str = ""
    cluster: str = ""
    gateway_class: str = naming.GATEWAY_CLASS
    certificate_chain_pem: str = field(default="", repr=False)
    private_key_pem: str = field(default="", repr=False)


@dataclass
class ObjectChange:
    """The planned or applied change to one object."""

    api_version: str
    kind: str
    name: str
    namespace: str
    action: str  # "create", "update", "delete" or "none"
    desired: dict | None = field(default=None, repr=False)
    existing: dict | None = field(default=None, repr=False)
    result: dict | None = field(default=None, repr=False)

    @property
    def ref(self) -> str:
        return object_ref(self.kind, self.name, self.namespace)


def desired_secret(spec: EndpointSpec) -> dict:
    """Build the kubernetes.io/tls Secret that Envoy Gateway reads the listener's certificate from."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": naming.secret_name(spec.name),
            "namespace": spec.namespace,
            "labels": naming.endpoint_labels(spec.name),
        },
        "type": SECRET_TYPE_TLS,
        "data": {
            "tls.crt": _b64(spec.certificate_chain_pem),
            "tls.key": _b64(spec.private_key_pem),
        },
    }


def desired_gateway(spec: EndpointSpec) -> dict:
    """Build the Gateway with one HTTPS listener for the endpoint's hostname."""
    return {
        "apiVersion": GATEWAY_API_VERSION,
        "kind": "Gateway",
        "metadata": {
            "name": spec.name,
            "namespace": spec.namespace,
            "labels": naming.endpoint_labels(spec.name),
            "annotations": {
                naming.DESCRIPTION_ANNOTATION: spec.description,
                naming.CLUSTER_ANNOTATION: spec.cluster,
            },
        },
        "spec": {
            "gatewayClassName": spec.gateway_class,
            "listeners": [
                {
                    "name": naming.LISTENER_NAME,
                    "protocol": "HTTPS",
                    "port": naming.LISTENER_PORT,
                    "hostname": spec.hostname,
                    "tls": {
                        "mode": "Terminate",
                        "certificateRefs": [
                            {"group": "", "kind": "Secret", "name": naming.secret_name(spec.name)}
                        ],
                    },
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                }
            ],
        },
    }


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def is_subset(desired: Any, existing: Any) -> bool:
    """Tell whether every field set in desired has the same value in existing.

    Fields that the API server adds (defaults, status, metadata it manages)
    do not count, so a server that defaults a field does not make every run
    report a change.
    """
    if isinstance(desired, dict):
        return isinstance(existing, dict) and all(
            key in existing and is_subset(value, existing[key]) for key, value in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(existing, list)
            and len(desired) == len(existing)
            and all(is_subset(d, e) for d, e in zip(desired, existing))
        )
    return desired == existing


def _patch_body(desired: dict) -> dict:
    """Return the merge patch that sets every field of desired."""
    body = {key: value for key, value in desired.items() if key not in ("apiVersion", "kind", "metadata")}
    metadata = desired["metadata"]
    body["metadata"] = {key: metadata[key] for key in ("labels", "annotations") if key in metadata}
    return body


def plan(client: Any, desired_objects: list[dict]) -> list[ObjectChange]:
    """Compare desired objects with the cluster and decide create, update or nothing."""
    changes = []
    for desired in desired_objects:
        metadata = desired["metadata"]
        existing = get_object(client, desired["apiVersion"], desired["kind"], metadata["name"], metadata["namespace"])
        change = ObjectChange(
            api_version=desired["apiVersion"],
            kind=desired["kind"],
            name=metadata["name"],
            namespace=metadata["namespace"],
            action="create",
            desired=desired,
            existing=existing,
        )

        if existing is not None:
            _check_ownership(change, existing, metadata["labels"][naming.ENDPOINT_LABEL])
            change.action = "none" if is_subset(_patch_body(desired), existing) else "update"
        changes.append(change)
    return changes


def plan_removal(client: Any, spec_name: str, namespace: str) -> list[ObjectChange]:
    """Find the endpoint's objects to delete: the Gateway first, then its Secret."""
    targets = [
        (GATEWAY_API_VERSION, "Gateway", spec_name),
        ("v1", "Secret", naming.secret_name(spec_name)),
    ]
    changes = []
    for api_version, kind, name in targets:
        try:
            existing = get_object(client, api_version, kind, name, namespace)
        except ClusterError as error:
            # Without the Gateway API CRDs there is no Gateway to remove.
            if error.problem.code != "resource_not_served":
                raise
            existing = None
        if existing is None:
            continue
        change = ObjectChange(api_version, kind, name, namespace, "delete", existing=existing)
        _check_ownership(change, existing, spec_name)
        changes.append(change)
    return changes


def _check_ownership(change: ObjectChange, existing: dict, endpoint: str) -> None:
    """Reject taking over an object that another tool or another endpoint owns."""
    labels = existing.get("metadata", {}).get("labels") or {}
    if labels.get(naming.MANAGED_BY_LABEL) != naming.MANAGED_BY:
        reason = f"is not managed by gaap.genai (label {naming.MANAGED_BY_LABEL}={naming.MANAGED_BY} is missing)"
    elif labels.get(naming.ENDPOINT_LABEL) != endpoint:
        reason = f"belongs to the endpoint {labels.get(naming.ENDPOINT_LABEL)!r} (label {naming.ENDPOINT_LABEL})"
    else:
        return
    raise ClusterError(
        Problem(
            "object_conflict",
            f"{change.ref} already exists and {reason}. "
            "Choose another endpoint name, or delete or rename that object.",
        )
    )


def hostname_conflicts(client: Any, spec: EndpointSpec) -> list[Problem]:
    """Find other endpoints in the namespace that already serve the hostname.

    Two Gateways with listeners for one hostname would each get a proxy and
    a certificate, and clients would reach whichever DNS points at.
    """
    gateways = list_objects(
        client,
        GATEWAY_API_VERSION,
        "Gateway",
        namespace=spec.namespace,
        label_selector=f"{naming.MANAGED_BY_LABEL}={naming.MANAGED_BY}",
    )
    problems = []
    for gateway in gateways:
        other = gateway["metadata"]["name"]
        if other == spec.name:
            continue
        hostnames = {
            (listener.get("hostname") or "").lower() for listener in gateway.get("spec", {}).get("listeners", [])
        }
        if spec.hostname in hostnames:
            problems.append(
                Problem(
                    "hostname_conflict",
                    f"The hostname {spec.hostname} is already served by the endpoint {other!r} "
                    f"(Gateway {spec.namespace}/{other}). Give this endpoint another hostname, "
                    f"or remove {other!r} first.",
                )
            )
    return problems


def execute(client: Any, changes: list[ObjectChange], dry_run: bool) -> None:
    """Apply the planned changes, all-or-nothing as far as the API server can tell.

    Every write first goes to the server as a dry run, so that a rejection
    (an invalid field, a denied verb) stops the run before any object is
    written. With dry_run set, only the dry runs happen.
    """
    pending = [change for change in changes if change.action != "none"]
    for change in pending:
        change.result = _write(client, change, dry_run=True)
    if dry_run:
        return

    for change in pending:
        change.result = _write(client, change, dry_run=False)


def _write(client: Any, change: ObjectChange, dry_run: bool) -> dict | None:
    resource = resource_for(client, change.api_version, change.kind)
    resource_client = client.client  # the DynamicClient, whose calls take dry_run as given
    options = {"dry_run": "All"} if dry_run else {}
    verb = {"create": "create", "update": "update", "delete": "delete"}[change.action]

    try:
        if change.action == "create":
            result = resource_client.create(resource, body=change.desired, namespace=change.namespace, **options)
        elif change.action == "update":
            result = resource_client.patch(
                resource,
                body=_patch_body(change.desired),
                name=change.name,
                namespace=change.namespace,
                content_type=MERGE_PATCH,
                **options,
            )
        else:
            result = resource_client.delete(
                resource,
                name=change.name,
                namespace=change.namespace,
                body={"propagationPolicy": "Foreground"},
                **options,
            )
    except DynamicApiError as error:
        raise api_error(verb, change.kind, change.name, change.namespace, error) from None
    except Urllib3HTTPError as error:
        raise request_failed(verb, change.kind, change.name, change.namespace, error) from None

    return result.to_dict() if hasattr(result, "to_dict") else None


def redacted(obj: dict | None) -> dict | None:
    """Copy an object for diff output with Secret data replaced by what is safe to show.

    The certificate chain is shown as its leaf's fingerprint and validity,
    so that a rotation is visible; every other value is hidden.
    """
    if obj is None:
        return None
    view = copy.deepcopy(obj)
    view.get("metadata", {}).pop("managedFields", None)
    if view.get("kind") != "Secret":
        return view

    leaf = secret_leaf_facts(obj)
    for section in ("data", "stringData"):
        if section in view:
            view[section] = {key: "<hidden>" for key in view[section]}
    if leaf is not None and "tls.crt" in view.get("data", {}):
        view["data"]["tls.crt"] = (
            f"<certificate sha256 {leaf['fingerprint_sha256']}, "
            f"valid {leaf['not_before']} to {leaf['not_after']}>"
        )
    return view
