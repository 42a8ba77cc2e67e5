# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether a cluster can run the collection's endpoints: version, GPUs, CRDs, permissions.

Each check is a pure function over facts read from the cluster, so it can be
tested without one. ``read_cluster_facts`` does the reading, and
``cluster_support_problems`` returns one ``cluster_unsupported`` problem per
failed check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.gaap.genai.plugins.module_utils import _naming as naming
from ansible_collections.gaap.genai.plugins.module_utils._cluster import (
    HAS_KUBERNETES,
    KUBERNETES_IMPORT_ERROR,
    ClusterError,
    DynamicApiError,
    Urllib3HTTPError,
    connect,
    api_error,
    list_objects,
    request_failed,
    resource_for,
)
from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem

PROBLEM_CODE = "cluster_unsupported"

# Oldest Kubernetes minor release the collection supports. The role applies
# gateway-api-standard-v1.6.1.yaml as one bundle, and two objects in it set
# the floor. Its ValidatingAdmissionPolicy uses admissionregistration.k8s.io/v1,
# which API servers serve from 1.30. Its TLSRoute CRD's validation rules call
# isIP() from the Kubernetes CEL IP library, which was introduced in 1.30.
# An API server compiles new CRD rules at the compatibility version one minor
# release below its own (k8s.io/apiserver pkg/cel/environment/base.go), so a
# 1.30 server rejects that CRD and 1.31 is the first that accepts it.
MIN_KUBERNETES_MINOR = 31
# Newest minor release the collection declares support for.
# NOTE: a policy choice, not derived from the manifests. Raise it once the
# collection has run on a newer release.
MAX_KUBERNETES_MINOR = 35

GPU_RESOURCE = "nvidia.com/gpu"

# Resources the role and genai_endpoint need, served when the CRDs are in.
REQUIRED_CRDS = (
    ("gateway.networking.k8s.io/v1", "Gateway", "gateways.gateway.networking.k8s.io"),
    ("gateway.networking.k8s.io/v1", "GatewayClass", "gatewayclasses.gateway.networking.k8s.io"),
)

# What the role creates: (API group, resource, namespaced).
# NOTE: the role also applies a ValidatingAdmissionPolicy (in the Gateway API
# bundle) and the AI Gateway controller's webhook configuration, which this
# list does not check yet.
REQUIRED_RESOURCES = (
    ("", "namespaces", False),
    ("", "secrets", True),
    ("", "services", True),
    ("", "configmaps", True),
    ("", "serviceaccounts", True),
    ("apps", "deployments", True),
    ("rbac.authorization.k8s.io", "clusterroles", False),
    ("rbac.authorization.k8s.io", "clusterrolebindings", False),
    ("gateway.networking.k8s.io", "gateways", True),
    ("gateway.networking.k8s.io", "gatewayclasses", False),
    ("apiextensions.k8s.io", "customresourcedefinitions", False),
)
REQUIRED_VERBS = ("create", "get", "list", "patch", "delete")

_MINOR_DIGITS = re.compile(r"^(\d+)")
_GIT_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


@dataclass(frozen=True)
class Permission:
    """One verb on one resource, as `kubectl auth can-i VERB RESOURCE[.GROUP] [-n NAMESPACE]` names it."""

    verb: str
    group: str
    resource: str
    namespace: str | None = None

    def describe(self) -> str:
        resource = f"{self.resource}.{self.group}" if self.group else self.resource
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{self.verb} {resource}{where}"

    def as_dict(self) -> dict[str, Any]:
        return {"verb": self.verb, "group": self.group, "resource": self.resource, "namespace": self.namespace}


@dataclass
class ClusterFacts:
    """Facts read from the cluster to decide whether it is supported."""

    version: dict[str, Any]
    nodes: list[dict[str, Any]]
    crds: dict[str, bool]
    permissions_checked: bool = True
    permissions_missing: list[Permission] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_version(version_info: dict[str, Any]) -> tuple[int, int] | None:
    """Return (major, minor) from an API server's /version document, or None when it has neither.

    Some providers append "+" to minor (e.g. "33+"), so only its leading
    digits count. gitVersion ("v1.33.2-eks-…") is the fallback.
    """
    major = _MINOR_DIGITS.match(str(version_info.get("major", "")))
    minor = _MINOR_DIGITS.match(str(version_info.get("minor", "")))
    if major and minor:
        return int(major.group(1)), int(minor.group(1))

    git = _GIT_VERSION.match(str(version_info.get("gitVersion", "")))
    if git:
        return int(git.group(1)), int(git.group(2))
    return None


def version_problems(version_info: dict[str, Any]) -> list[Problem]:
    """Check the API server's version against the supported range."""
    supported = f"1.{MIN_KUBERNETES_MINOR} to 1.{MAX_KUBERNETES_MINOR}"
    reported = version_info.get("gitVersion") or f"{version_info.get('major')}.{version_info.get('minor')}"
    parsed = parse_version(version_info)

    if parsed is None:
        message = f"The API server reports no readable version ({reported!r}); the collection supports Kubernetes {supported}."
        return [Problem(PROBLEM_CODE, message)]
    major, minor = parsed
    if major == 1 and MIN_KUBERNETES_MINOR <= minor <= MAX_KUBERNETES_MINOR:
        return []
    if (major, minor) < (1, MIN_KUBERNETES_MINOR):
        fix = (
            f"Upgrade the cluster to at least 1.{MIN_KUBERNETES_MINOR}, the first release that accepts "
            "the CEL validation rules of the Gateway API v1.6 CRDs."
        )
    else:
        fix = f"Use a cluster at 1.{MAX_KUBERNETES_MINOR} or older, or a collection release that supports {reported}."
    return [Problem(PROBLEM_CODE, f"The API server runs Kubernetes {reported}, but the collection supports {supported}. {fix}")]


def gpu_count(node: dict[str, Any]) -> int:
    """Return the node's nvidia.com/gpu capacity, 0 when it has none or the value is not a whole number."""
    capacity = (node.get("status") or {}).get("capacity") or {}
    try:
        return int(str(capacity.get(GPU_RESOURCE, "0")))
    except ValueError:
        return 0


def node_summary(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return name and GPU count of each node, sorted by name."""
    summary = [{"name": (node.get("metadata") or {}).get("name", ""), "gpus": gpu_count(node)} for node in nodes]
    return sorted(summary, key=lambda entry: entry["name"])


def gpu_problems(nodes: list[dict[str, Any]], require_gpu: bool) -> list[Problem]:
    """Check that at least one node offers nvidia.com/gpu capacity, unless require_gpu is off."""
    if not require_gpu or any(entry["gpus"] > 0 for entry in nodes):
        return []
    return [
        Problem(
            PROBLEM_CODE,
            f"No node of the cluster offers {GPU_RESOURCE} capacity ({len(nodes)} nodes checked). "
            "Install the NVIDIA device plugin or GPU Operator on the GPU nodes, or set require_gpu "
            "to false for a cluster without GPUs.",
        )
    ]


def crd_problems(crds: dict[str, bool], crds_will_be_installed: bool) -> list[Problem]:
    """Check that the Gateway API CRDs are served, unless the caller will install them."""
    missing = [name for name, served in crds.items() if not served]
    if crds_will_be_installed or not missing:
        return []
    return [
        Problem(
            PROBLEM_CODE,
            f"The cluster does not serve {', '.join(missing)} (gateway.networking.k8s.io/v1). "
            "Install the Gateway API v1.6 standard CRDs, or set genai_endpoint_crd_sources so "
            "that the role installs them.",
        )
    ]


def permission_problems(missing: list[Permission]) -> list[Problem]:
    """Report the verbs the credentials lack, all in one problem."""
    if not missing:
        return []
    listed = ", ".join(permission.describe() for permission in missing)
    return [
        Problem(
            PROBLEM_CODE,
            f"The credentials may not do {len(missing)} things the role needs: {listed}. "
            "Bind the user or service account to a role that allows them (e.g. cluster-admin "
            "for the first run), or run with other credentials.",
        )
    ]


def required_permissions(namespace: str) -> list[Permission]:
    """List every verb on every resource the role creates, namespaced ones in namespace."""
    return [
        Permission(verb, group, resource, namespace if namespaced else None)
        for group, resource, namespaced in REQUIRED_RESOURCES
        for verb in REQUIRED_VERBS
    ]


def read_version(client: Any) -> dict[str, Any]:
    """Fetch the API server's /version document, fresh rather than from the discovery cache."""
    try:
        return client.client.request("get", "/version", serializer=lambda _client, document: document)
    except DynamicApiError as error:
        raise api_error("read", "version", "/version", None, error) from None
    except Urllib3HTTPError as error:
        raise request_failed("read", "version", "/version", None, error) from None


def read_crds(client: Any) -> dict[str, bool]:
    """Tell for each required CRD whether the API server serves its kind."""
    served = {}
    for api_version, kind, name in REQUIRED_CRDS:
        try:
            resource_for(client, api_version, kind)
            served[name] = True
        except ClusterError:
            served[name] = False
    return served


def _access_review(permission: Permission) -> dict[str, Any]:
    attributes = {"verb": permission.verb, "group": permission.group, "resource": permission.resource}
    if permission.namespace:
        attributes["namespace"] = permission.namespace
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes},
    }


def read_missing_permissions(client: Any, namespace: str) -> tuple[bool, list[Permission], list[str]]:
    """Ask the API server, one SelfSubjectAccessReview per verb and resource, what the credentials may not do.

    Returns whether the check ran, the permissions denied, and warnings. An
    API server that does not serve SelfSubjectAccessReview gives a warning,
    not a problem, because the role's own requests will still show a denial.
    """
    try:
        resource = resource_for(client, "authorization.k8s.io/v1", "SelfSubjectAccessReview")
    except ClusterError:
        return False, [], [
            "The API server does not serve SelfSubjectAccessReview (authorization.k8s.io/v1), "
            "so the credentials' permissions were not checked."
        ]

    missing = []
    for permission in required_permissions(namespace):
        try:
            review = client.client.create(resource, body=_access_review(permission))
        except DynamicApiError as error:
            raise api_error("create", "SelfSubjectAccessReview", permission.describe(), None, error) from None
        except Urllib3HTTPError as error:
            raise request_failed("create", "SelfSubjectAccessReview", permission.describe(), None, error) from None
        status = review.to_dict().get("status") or {}
        if status.get("allowed") is not True:
            missing.append(permission)
    return True, missing, []


def read_cluster_facts(client: Any, namespace: str = naming.DEFAULT_NAMESPACE) -> ClusterFacts:
    """Read version, nodes, CRDs and permissions from the cluster. Raises ClusterError when a read fails."""
    version = read_version(client)
    nodes = node_summary(list_objects(client, "v1", "Node"))
    crds = read_crds(client)
    checked, missing, warnings = read_missing_permissions(client, namespace)
    return ClusterFacts(
        version=version,
        nodes=nodes,
        crds=crds,
        permissions_checked=checked,
        permissions_missing=missing,
        warnings=warnings,
    )


def support_problems(facts: ClusterFacts, options: dict[str, Any]) -> list[Problem]:
    """Apply every check to facts already read; one problem per failed check."""
    return (
        version_problems(facts.version)
        + gpu_problems(facts.nodes, options.get("require_gpu", True))
        + crd_problems(facts.crds, options.get("crds_will_be_installed", False))
        + permission_problems(facts.permissions_missing)
    )


def cluster_support_problems(client: Any, options: dict[str, Any]) -> list[Problem]:
    """Tell why the cluster cannot run the collection's endpoints; an empty list means it can.

    options: require_gpu (default True), crds_will_be_installed (default
    False) and namespace (default gaap-controller, where the namespaced
    permissions are checked). Raises ClusterError when the cluster cannot
    be read.
    """
    facts = read_cluster_facts(client, options.get("namespace") or naming.DEFAULT_NAMESPACE)
    return support_problems(facts, options)


def run_cluster_info(module: Any) -> None:
    """Run the genai_cluster_info module to its exit_json or fail_json. It never writes to the cluster."""
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(KUBERNETES_IMPORT_ERROR))
    params = module.params

    try:
        client = connect(module)
        facts = read_cluster_facts(client, params["namespace"])
    except ClusterError as error:
        module.fail_json(
            msg=f"Cannot read the cluster to check whether it is supported: {error.problem.message}",
            problems=[error.problem.as_dict()],
        )

    for warning in facts.warnings:
        module.warn(warning)
    problems = support_problems(facts, params)
    parsed = parse_version(facts.version)
    module.exit_json(
        changed=False,
        supported=not problems,
        problems=[problem.as_dict() for problem in problems],
        version={
            "major": parsed[0] if parsed else None,
            "minor": parsed[1] if parsed else None,
            "git_version": facts.version.get("gitVersion", ""),
        },
        nodes=facts.nodes,
        gpu_nodes=sum(1 for node in facts.nodes if node["gpus"] > 0),
        crds=facts.crds,
        permissions_checked=facts.permissions_checked,
        permissions_missing=[permission.as_dict() for permission in facts.permissions_missing],
    )
