"""Checks of whether a cluster is supported, on facts written by hand and a fake client."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from ansible_collections.gaap.genai.plugins.module_utils import _support as support
from ansible_collections.gaap.genai.plugins.module_utils._support import ClusterFacts, Permission


def node(name: str, gpus: str | None = None) -> dict:
    capacity = {"cpu": "8", "memory": "32Gi"}
    if gpus is not None:
        capacity["nvidia.com/gpu"] = gpus
    return {"metadata": {"name": name}, "status": {"capacity": capacity}}


@pytest.mark.parametrize(
    ("version_info", "expected"),
    [
        ({"major": "1", "minor": "33", "gitVersion": "v1.33.2"}, (1, 33)),
        ({"major": "1", "minor": "31+", "gitVersion": "v1.31.4-gke.100"}, (1, 31)),
        ({"major": "", "minor": "", "gitVersion": "v1.32.1-eks-abc"}, (1, 32)),
        ({"gitVersion": "1.30.0"}, (1, 30)),
        ({"major": "", "minor": "", "gitVersion": "unknown"}, None),
        ({}, None),
    ],
    ids=["plain", "minor with plus", "git only", "git without v", "unreadable", "empty"],
)
def test_parse_version(version_info: dict, expected: tuple[int, int] | None) -> None:
    assert support.parse_version(version_info) == expected


@pytest.mark.parametrize(
    ("git_version", "supported"),
    [
        ("v1.28.9", False),
        ("v1.29.0", False),
        ("v1.30.5", False),
        ("v1.31.0", True),
        ("v1.33.2", True),
        ("v1.35.1", True),
        ("v1.36.0", False),
        ("v2.0.0", False),
    ],
)
def test_version_range(git_version: str, supported: bool) -> None:
    problems = support.version_problems({"gitVersion": git_version})

    assert (problems == []) is supported


def test_old_version_names_fix() -> None:
    (problem,) = support.version_problems({"major": "1", "minor": "29", "gitVersion": "v1.29.3"})

    assert problem.code == "cluster_unsupported"
    assert "v1.29.3" in problem.message
    assert "Upgrade the cluster to at least 1.31" in problem.message


def test_new_version_names_range() -> None:
    (problem,) = support.version_problems({"gitVersion": "v1.36.0"})

    assert "1.31 to 1.35" in problem.message


def test_unreadable_version_is_problem() -> None:
    (problem,) = support.version_problems({"gitVersion": "dev"})

    assert "no readable version" in problem.message


@pytest.mark.parametrize(
    ("nodes", "require_gpu", "problem_count"),
    [
        ([node("cpu-1"), node("gpu-1", "8")], True, 0),
        ([node("cpu-1"), node("cpu-2", "0")], True, 1),
        ([], True, 1),
        ([node("cpu-1")], False, 0),
        ([node("odd", "lots")], True, 1),
    ],
    ids=["one gpu node", "no gpu nodes", "no nodes", "gpu not required", "unparsable capacity"],
)
def test_gpu_problems(nodes: list[dict], require_gpu: bool, problem_count: int) -> None:
    problems = support.gpu_problems(support.node_summary(nodes), require_gpu)

    assert len(problems) == problem_count


def test_gpu_problem_names_option() -> None:
    (problem,) = support.gpu_problems(support.node_summary([node("cpu-1")]), True)

    assert "nvidia.com/gpu" in problem.message
    assert "require_gpu" in problem.message


def test_node_summary_counts_gpus() -> None:
    summary = support.node_summary([node("b", "4"), node("a")])

    assert summary == [{"name": "a", "gpus": 0}, {"name": "b", "gpus": 4}]


@pytest.mark.parametrize(
    ("crds", "will_install", "problem_count"),
    [
        ({"gateways.gateway.networking.k8s.io": True, "gatewayclasses.gateway.networking.k8s.io": True}, False, 0),
        ({"gateways.gateway.networking.k8s.io": False, "gatewayclasses.gateway.networking.k8s.io": False}, False, 1),
        ({"gateways.gateway.networking.k8s.io": False, "gatewayclasses.gateway.networking.k8s.io": False}, True, 0),
        ({"gateways.gateway.networking.k8s.io": True, "gatewayclasses.gateway.networking.k8s.io": False}, False, 1),
    ],
    ids=["served", "missing", "missing but installed later", "one missing"],
)
def test_crd_problems(crds: dict[str, bool], will_install: bool, problem_count: int) -> None:
    assert len(support.crd_problems(crds, will_install)) == problem_count


def test_crd_problem_names_missing() -> None:
    crds = {"gateways.gateway.networking.k8s.io": True, "gatewayclasses.gateway.networking.k8s.io": False}
    (problem,) = support.crd_problems(crds, False)

    assert "gatewayclasses.gateway.networking.k8s.io" in problem.message
    assert "gateways.gateway.networking.k8s.io," not in problem.message


def test_permission_problem_lists_each() -> None:
    missing = [
        Permission("create", "rbac.authorization.k8s.io", "clusterroles"),
        Permission("delete", "", "secrets", "gaap-controller"),
    ]
    (problem,) = support.permission_problems(missing)

    assert "create clusterroles.rbac.authorization.k8s.io" in problem.message
    assert "delete secrets in gaap-controller" in problem.message


def test_required_permissions_cover_table() -> None:
    permissions = support.required_permissions("gaap-controller")

    assert len(permissions) == 5 * 11
    assert Permission("patch", "apps", "deployments", "gaap-controller") in permissions
    assert Permission("create", "apiextensions.k8s.io", "customresourcedefinitions", None) in permissions


def test_one_problem_per_reason() -> None:
    facts = ClusterFacts(
        version={"gitVersion": "v1.27.0"},
        nodes=[{"name": "cpu-1", "gpus": 0}],
        crds={"gateways.gateway.networking.k8s.io": False},
        permissions_missing=[Permission("create", "", "namespaces")],
    )
    problems = support.support_problems(facts, {"require_gpu": True, "crds_will_be_installed": False})

    assert len(problems) == 4
    assert {problem.code for problem in problems} == {"cluster_unsupported"}


def test_supported_cluster_no_problems() -> None:
    facts = ClusterFacts(
        version={"gitVersion": "v1.33.0"},
        nodes=[{"name": "gpu-1", "gpus": 8}],
        crds={"gateways.gateway.networking.k8s.io": True},
    )

    assert support.support_problems(facts, {}) == []


class FakeResult:
    def __init__(self, document: dict) -> None:
        self.document = document

    def to_dict(self) -> dict:
        return self.document


class FakeDynamicClient:
    """Answers /version and SelfSubjectAccessReviews the way an API server does."""

    def __init__(self, denied: set[tuple[str, str]]) -> None:
        self.denied = denied
        self.reviews: list[dict] = []

    def request(self, method: str, path: str, serializer: Any = None) -> dict:
        assert (method, path) == ("get", "/version")
        return serializer(self, {"major": "1", "minor": "33", "gitVersion": "v1.33.1"})

    def create(self, resource: Any, body: dict) -> FakeResult:
        self.reviews.append(body)
        attributes = body["spec"]["resourceAttributes"]
        allowed = (attributes["verb"], attributes["resource"]) not in self.denied
        return FakeResult({**body, "status": {"allowed": allowed}})


class FakeClient:
    """Stands in for kubernetes.core's K8SClient: resource lookup and list."""

    def __init__(self, served: set[str], nodes: list[dict], denied: set[tuple[str, str]] = frozenset()) -> None:
        self.served = served
        self.nodes = nodes
        self.client = FakeDynamicClient(set(denied))

    def resource(self, kind: str, api_version: str) -> Any:
        if kind not in self.served:
            raise LookupError(f"{kind} not served")
        return SimpleNamespace(kind=kind, api_version=api_version)

    def get(self, resource: Any, namespace: str | None = None, label_selector: str | None = None) -> Any:
        assert resource.kind == "Node"
        return SimpleNamespace(items=[FakeResult(item) for item in self.nodes])


ALL_SERVED = {"Node", "Gateway", "GatewayClass", "SelfSubjectAccessReview"}


def test_facts_read_from_client() -> None:
    client = FakeClient(ALL_SERVED, [node("gpu-1", "2")])
    facts = support.read_cluster_facts(client, "gaap-controller")

    assert facts.version["gitVersion"] == "v1.33.1"
    assert facts.nodes == [{"name": "gpu-1", "gpus": 2}]
    assert facts.crds == {"gateways.gateway.networking.k8s.io": True, "gatewayclasses.gateway.networking.k8s.io": True}
    assert facts.permissions_missing == []


def test_access_reviews_like_can_i() -> None:
    client = FakeClient(ALL_SERVED, [])
    support.read_cluster_facts(client, "gaap-controller")
    reviews = client.client.reviews
    secrets = next(r for r in reviews if r["spec"]["resourceAttributes"]["resource"] == "secrets")
    namespaces = next(r for r in reviews if r["spec"]["resourceAttributes"]["resource"] == "namespaces")

    assert len(reviews) == 55
    assert secrets["apiVersion"] == "authorization.k8s.io/v1"
    assert secrets["spec"]["resourceAttributes"]["namespace"] == "gaap-controller"
    assert "namespace" not in namespaces["spec"]["resourceAttributes"]


def test_denied_verb_reported() -> None:
    client = FakeClient(ALL_SERVED, [node("gpu-1", "1")], denied={("create", "clusterroles")})
    problems = support.cluster_support_problems(client, {})

    assert len(problems) == 1
    assert "create clusterroles.rbac.authorization.k8s.io" in problems[0].message


def test_missing_crds_reported() -> None:
    client = FakeClient({"Node", "SelfSubjectAccessReview"}, [node("gpu-1", "1")])
    problems = support.cluster_support_problems(client, {})

    assert len(problems) == 1
    assert "gateways.gateway.networking.k8s.io" in problems[0].message


def test_access_review_not_served_warns() -> None:
    client = FakeClient({"Node", "Gateway", "GatewayClass"}, [node("gpu-1", "1")])
    facts = support.read_cluster_facts(client, "gaap-controller")

    assert facts.permissions_checked is False
    assert "SelfSubjectAccessReview" in facts.warnings[0]
    assert support.support_problems(facts, {}) == []
