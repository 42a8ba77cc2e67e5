"""The genai_cluster_info module against simulated clusters with and without GPUs and CRDs."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from e2e.helpers import crds_dir
from e2e.lifecycle_helpers import cluster_info
from kubesim.testing import running_kubesim

SSAR_NOT_SERVED = (
    "kubesim does not serve SelfSubjectAccessReview (authorization.k8s.io/v1) yet, "
    "so the permission checks cannot run against it"
)


@pytest.fixture(scope="module")
def bare_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a cluster with no GPU node and no CRDs."""
    with running_kubesim(tmp_path_factory.mktemp("kubesim-bare"), gpu_nodes=0) as running:
        yield running


@pytest.fixture(scope="module")
def gpu_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a cluster with two GPU nodes and the Gateway API CRDs."""
    crds = crds_dir()
    with running_kubesim(tmp_path_factory.mktemp("kubesim-gpu"), gpu_nodes=2, crds=[crds]) as running:
        yield running


@pytest.fixture(scope="module")
def bare_result(bare_cluster) -> dict:
    return cluster_info(bare_cluster.kubeconfig)


def messages(result: dict) -> str:
    return " ".join(problem["message"] for problem in result["problems"])


def test_bare_cluster_unsupported(bare_result) -> None:
    assert bare_result.get("failed") is not True, bare_result.get("msg")
    assert bare_result["supported"] is False
    assert {problem["code"] for problem in bare_result["problems"]} == {"cluster_unsupported"}


def test_bare_cluster_lacks_gpus(bare_result) -> None:
    assert bare_result["gpu_nodes"] == 0
    assert "nvidia.com/gpu" in messages(bare_result)


def test_bare_cluster_lacks_crds(bare_result) -> None:
    assert bare_result["crds"] == {
        "gateways.gateway.networking.k8s.io": False,
        "gatewayclasses.gateway.networking.k8s.io": False,
    }
    assert "gatewayclasses.gateway.networking.k8s.io" in messages(bare_result)


def test_version_in_range(bare_result) -> None:
    assert bare_result["version"]["major"] == 1
    assert 31 <= bare_result["version"]["minor"] <= 35
    assert "Kubernetes" not in messages(bare_result)


def test_options_lift_both_checks(bare_cluster) -> None:
    result = cluster_info(bare_cluster.kubeconfig, require_gpu=False, crds_will_be_installed=True)

    assert result["supported"] is True, messages(result)
    assert result["problems"] == []


def test_gpu_cluster_supported(gpu_cluster) -> None:
    result = cluster_info(gpu_cluster.kubeconfig)

    assert result["supported"] is True, messages(result)
    assert result["gpu_nodes"] == 2


def test_permissions_all_granted(gpu_cluster) -> None:
    result = cluster_info(gpu_cluster.kubeconfig)
    if not result["permissions_checked"]:
        pytest.skip(SSAR_NOT_SERVED)

    assert result["permissions_missing"] == []


@pytest.fixture(scope="module")
def denied_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a cluster that denies creating ClusterRoles and deleting Secrets."""
    crds = crds_dir()
    try:
        running_context = running_kubesim(
            tmp_path_factory.mktemp("kubesim-denied"),
            gpu_nodes=1,
            crds=[crds],
            deny=["create:clusterroles", "delete:secrets"],
        )
        running = running_context.__enter__()
    except (TypeError, RuntimeError, OSError) as error:
        last_line = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        pytest.skip(f"kubesim cannot deny verbs yet; it needs a --deny VERB:RESOURCE option ({last_line})")
    try:
        yield running
    finally:
        running_context.__exit__(None, None, None)


def test_denied_verbs_reported(denied_cluster) -> None:
    result = cluster_info(denied_cluster.kubeconfig)
    if not result["permissions_checked"]:
        pytest.skip(SSAR_NOT_SERVED)
    missing = {(entry["verb"], entry["resource"]) for entry in result["permissions_missing"]}

    assert missing == {("create", "clusterroles"), ("delete", "secrets")}
    assert result["supported"] is False
    assert "create clusterroles.rbac.authorization.k8s.io" in messages(result)


def test_unsupported_does_not_fail(bare_result) -> None:
    assert bare_result.get("failed") is not True
    assert bare_result["changed"] is False
