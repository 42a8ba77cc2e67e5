"""site.yml stops before changing a cluster when an endpoint's input is wrong."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from e2e.helpers import Certificates, crds_dir, make_certificates
from e2e.test_role_clusters import endpoint, namespace_exists, recap, run_site, write_inventory
from kubesim.testing import running_kubesim


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with running_kubesim(tmp_path_factory.mktemp("kubesim"), pod_start_seconds=0.5, crds=[crds_dir()]) as running:
        yield running


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"), "*.genai.example.test")


def run_with(cluster, tmp_path: Path, endpoints: list[dict[str, str]]) -> subprocess.CompletedProcess:
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        {"gpu": {"genai_kubeconfig": str(cluster.kubeconfig), "genai_endpoints": endpoints}},
    )
    return run_site(inventory)


def test_bad_certificate_changes_nothing(cluster, certificates, tmp_path: Path) -> None:
    broken = endpoint("broken", certificates) | {"certificate_path": str(tmp_path / "missing.pem")}
    process = run_with(cluster, tmp_path, [endpoint("good", certificates), broken])

    assert process.returncode != 0
    assert "certificate_unreadable" in process.stdout
    assert recap(process.stdout, "gpu")["changed"] == 0
    assert not namespace_exists(cluster.kubeconfig)


def test_hostname_mismatch_changes_nothing(cluster, certificates, tmp_path: Path) -> None:
    wrong = endpoint("wrong", certificates) | {"hostname": "chat.other.example.test"}
    process = run_with(cluster, tmp_path, [wrong])

    assert process.returncode != 0
    assert "hostname_mismatch" in process.stdout
    assert not namespace_exists(cluster.kubeconfig)


def test_duplicate_hostname_rejected(cluster, certificates, tmp_path: Path) -> None:
    first = endpoint("first", certificates)
    second = endpoint("second", certificates) | {"hostname": first["hostname"].upper() + "."}
    process = run_with(cluster, tmp_path, [first, second])

    assert process.returncode != 0
    assert "same hostname for more than one endpoint" in process.stdout
    assert not namespace_exists(cluster.kubeconfig)
