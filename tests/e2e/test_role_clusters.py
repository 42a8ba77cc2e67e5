"""playbooks/site.yml on several simulated clusters at once.

One inventory contains two supported clusters, the first with two endpoints.
A second run adds a cluster without GPU nodes and without the Gateway API
CRDs: it fails in the preflight while the others still report Active.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from e2e.helpers import BIN, ROOT, Certificates, ansible_environment, crds_dir, make_certificates
from kubesim.testing import running_kubesim

NAMESPACE = "gaap-controller"


def recap(output: str, host: str) -> dict[str, int]:
    """Return the counters of one host's line in the play recap."""
    match = re.search(rf"^{re.escape(host)}\s*:\s*(.*)$", output, re.MULTILINE)
    assert match, output[-3000:]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def endpoint(name: str, certificates: Certificates) -> dict[str, str]:
    return {
        "name": name,
        "hostname": f"{name}.genai.example.test",
        "certificate_path": str(certificates.certificate),
        "private_key_path": str(certificates.private_key),
    }


def write_inventory(path: Path, clusters: dict[str, dict[str, Any]]) -> Path:
    """Write an inventory with one genai_clusters host per cluster, run locally, waiting in 1 s steps."""
    inventory = {
        "genai_clusters": {
            "hosts": clusters,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "genai_endpoint_wait_delay": 1,
            },
        }
    }
    path.write_text(yaml.safe_dump(inventory))
    return path


def run_site(inventory: Path) -> subprocess.CompletedProcess:
    """Run site.yml on the inventory; the output is also kept next to it as site.log."""
    process = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), "-f", "3", "playbooks/site.yml"],
        cwd=ROOT,
        env=ansible_environment(),
        text=True,
        capture_output=True,
        check=False,
    )
    inventory.with_name("site.log").write_text(process.stdout + process.stderr)
    return process


def namespace_exists(kubeconfig: Path) -> bool:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
    return any(item.metadata.name == NAMESPACE for item in api.list_namespace().items)


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Start two GPU clusters with the CRDs and one with neither GPU nodes nor CRDs."""
    crds = crds_dir()
    with (
        running_kubesim(tmp_path_factory.mktemp("gpu-a"), pod_start_seconds=0.5, crds=[crds]) as first,
        running_kubesim(tmp_path_factory.mktemp("gpu-b"), pod_start_seconds=0.5, crds=[crds]) as second,
        running_kubesim(tmp_path_factory.mktemp("cpu-only"), pod_start_seconds=0.5, gpu_nodes=0) as unsupported,
    ):
        yield {"gpu-a": first, "gpu-b": second, "cpu-only": unsupported}


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"), "*.genai.example.test")


@pytest.fixture(scope="module")
def supported_run(clusters, certificates, tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess:
    """Run site.yml on the two GPU clusters: two endpoints on gpu-a, one on gpu-b."""
    inventory = write_inventory(
        tmp_path_factory.mktemp("inventory") / "hosts.yml",
        {
            "gpu-a": {
                "genai_kubeconfig": str(clusters["gpu-a"].kubeconfig),
                "genai_endpoints": [endpoint("alpha", certificates), endpoint("beta", certificates)],
            },
            "gpu-b": {
                "genai_kubeconfig": str(clusters["gpu-b"].kubeconfig),
                "genai_endpoints": [endpoint("gamma", certificates)],
            },
        },
    )
    return run_site(inventory)


@pytest.fixture(scope="module")
def mixed_run(clusters, certificates, supported_run, tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess:
    """Run site.yml again with the cluster that has no GPU node and no CRDs added.

    gpu-b now expects a webhook Secret brought by the user, which does not exist.
    """
    inventory = write_inventory(
        tmp_path_factory.mktemp("inventory-mixed") / "hosts.yml",
        {
            "gpu-a": {
                "genai_kubeconfig": str(clusters["gpu-a"].kubeconfig),
                "genai_endpoints": [endpoint("alpha", certificates), endpoint("beta", certificates)],
            },
            "gpu-b": {
                "genai_kubeconfig": str(clusters["gpu-b"].kubeconfig),
                "genai_endpoints": [endpoint("gamma", certificates)],
                "genai_endpoint_ai_gateway_webhook_secret": "issued-elsewhere-tls",
                "genai_endpoint_ai_gateway_webhook_secret_create": False,
            },
            "cpu-only": {
                "genai_kubeconfig": str(clusters["cpu-only"].kubeconfig),
                "genai_endpoints": [endpoint("delta", certificates)],
            },
        },
    )
    return run_site(inventory)


def test_two_clusters_succeed(supported_run) -> None:
    assert supported_run.returncode == 0, supported_run.stdout[-4000:]


@pytest.mark.parametrize(
    ("name", "cluster"),
    [("alpha", "gpu-a"), ("beta", "gpu-a"), ("gamma", "gpu-b")],
)
def test_each_endpoint_reported_active(supported_run, name: str, cluster: str) -> None:
    line = f"{name} ({name}.genai.example.test) on cluster {cluster} is Active"

    assert line in supported_run.stdout, supported_run.stdout[-4000:]


def test_summary_lists_each_cluster(supported_run) -> None:
    output = supported_run.stdout

    assert "Cluster gpu-a: alpha is Active; beta is Active" in output, output[-4000:]
    assert "Cluster gpu-b: gamma is Active" in output, output[-4000:]


def test_table_lists_both_endpoints(supported_run) -> None:
    output = supported_run.stdout

    for name in ("alpha", "beta"):
        row = rf"{name}\s+{name}\.genai\.example\.test\s+gpu-a\s+Active\s+1/1\s+\S+\s+\S+\s+\d+"
        assert re.search(row, output), output[-4000:]


def test_unsupported_cluster_fails(mixed_run) -> None:
    assert mixed_run.returncode != 0
    assert recap(mixed_run.stdout, "cpu-only")["failed"] == 1, mixed_run.stdout[-4000:]


def test_unsupported_lists_every_reason(mixed_run) -> None:
    output = mixed_run.stdout

    assert re.search(r"cluster_unsupported: No node of the cluster offers nvidia.com/gpu", output), output[-4000:]
    assert re.search(r"cluster_unsupported: The cluster does not serve gateways.gateway.networking.k8s.io", output)


def test_unsupported_cluster_left_unchanged(mixed_run, clusters) -> None:
    assert recap(mixed_run.stdout, "cpu-only")["changed"] == 0
    assert not namespace_exists(clusters["cpu-only"].kubeconfig)


def test_other_cluster_still_active(mixed_run) -> None:
    output = mixed_run.stdout

    assert recap(output, "gpu-a")["failed"] == 0, output[-4000:]
    assert "alpha (alpha.genai.example.test) on cluster gpu-a is Active" in output
    assert "Cluster gpu-a: alpha is Active; beta is Active" in output


def test_summary_names_failed_cluster(mixed_run) -> None:
    assert re.search(r'Cluster cpu-only failed at "Check that the cluster is supported"', mixed_run.stdout)


def test_missing_own_webhook_secret_fails(mixed_run) -> None:
    output = mixed_run.stdout

    assert recap(output, "gpu-b")["failed"] == 1, output[-4000:]
    assert recap(output, "gpu-b")["changed"] == 0
    assert "The Secret issued-elsewhere-tls with the serving certificate" in output
