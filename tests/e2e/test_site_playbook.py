"""playbooks/site.yml end to end on a simulated cluster."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from e2e.helpers import BIN, ROOT, ansible_environment, crds_dir, make_certificates
from kubesim.testing import running_kubesim

RECAP = re.compile(r"^kubesim\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def run_site(kubeconfig: Path, certs_dir: Path) -> subprocess.CompletedProcess:
    environment = ansible_environment(
        {
            "GAAP_DEMO_KUBECONFIG": str(kubeconfig),
            "GAAP_DEMO_DIR": str(certs_dir),
            "GAAP_CRDS_DIR": str(crds_dir()),
        }
    )
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "playbooks/site.yml"],
        cwd=ROOT,
        env=environment,
        text=True,
        capture_output=True,
        check=False,
    )


@pytest.fixture(scope="module")
def bare_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a simulated cluster without CRDs: the role installs them."""
    with running_kubesim(tmp_path_factory.mktemp("kubesim"), pod_start_seconds=0.5) as running:
        yield running


@pytest.fixture(scope="module")
def site_runs(tmp_path_factory: pytest.TempPathFactory, bare_cluster) -> list[subprocess.CompletedProcess]:
    certs = make_certificates(tmp_path_factory.mktemp("site-certs"), "demo.genai.example.test")
    first = run_site(bare_cluster.kubeconfig, certs.directory)
    second = run_site(bare_cluster.kubeconfig, certs.directory) if first.returncode == 0 else first
    return [first, second]


def test_first_run_succeeds(site_runs) -> None:
    first = site_runs[0]

    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]


def test_first_run_reports_active(site_runs) -> None:
    output = site_runs[0].stdout

    assert re.search(r"demo-endpoint.*demo\.genai\.example\.test.*kubesim.*Active", output), output[-4000:]


def test_first_run_changes_cluster(site_runs) -> None:
    (changed, unreachable, failed), = RECAP.findall(site_runs[0].stdout)

    assert int(changed) > 0


def test_second_run_changes_nothing(site_runs) -> None:
    second = site_runs[1]
    recap = RECAP.findall(second.stdout)

    assert second.returncode == 0, second.stdout[-4000:]
    assert recap == [("0", "0", "0")], second.stdout[-4000:]


def test_proxy_pods_have_three_containers(site_runs, bare_cluster) -> None:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(str(bare_cluster.kubeconfig)))
    pods = api.list_namespaced_pod(
        "gaap-controller",
        label_selector="gateway.envoyproxy.io/owning-gateway-name=demo-endpoint",
    ).items

    assert pods
    for pod in pods:
        assert pod.metadata.name.startswith("envoy-gaap-controller-demo-endpoint-")
        assert [c.name for c in pod.spec.containers] == ["envoy", "shutdown-manager", "ai-gateway-extproc"]
        assert pod.status.phase == "Running"
