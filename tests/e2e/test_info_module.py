"""The genai_endpoint_info module against a simulated cluster, one state at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from e2e.helpers import crds_dir, run_module
from e2e.lifecycle_helpers import (
    NAMESPACE,
    api_client,
    endpoint_info,
    expired_certificate_pem,
    only_endpoint,
    prepare_cluster,
    replace_certificate,
    state_of,
    unreachable_kubeconfig,
    wait_until,
)
from kubesim.testing import running_kubesim


@pytest.fixture(scope="module")
def api(cluster) -> Any:
    """Prepare the shared cluster as the role would: namespace, GatewayClass, controllers."""
    client = api_client(cluster.kubeconfig)
    prepare_cluster(client)
    return client


def create_endpoint(kubeconfig: Path, certificates, name: str, **extra: Any) -> dict:
    result = run_module(
        kubeconfig,
        {
            "name": name,
            "hostname": f"{name}.genai.example.test",
            "certificate_path": str(certificates.certificate),
            "private_key_path": str(certificates.private_key),
            "cluster": "kubesim",
            **extra,
        },
    )
    assert result.get("failed") is not True, result.get("msg")
    return result


def wait_for_state(kubeconfig: Path, name: str, state: str) -> dict:
    return wait_until(lambda: endpoint_info(kubeconfig, name=name), lambda result: state_of(result) == state)


def test_lists_managed_endpoints(cluster, api, certificates) -> None:
    create_endpoint(cluster.kubeconfig, certificates, "info-alpha", description="Chat models")
    result = endpoint_info(cluster.kubeconfig)
    listed = {endpoint["name"]: endpoint for endpoint in result["endpoints"]}

    assert result["changed"] is False
    assert listed["info-alpha"]["hostname"] == "info-alpha.genai.example.test"
    assert listed["info-alpha"]["description"] == "Chat models"
    assert listed["info-alpha"]["cluster"] == "kubesim"


def test_active_when_pods_ready(cluster, api, certificates) -> None:
    create_endpoint(cluster.kubeconfig, certificates, "info-bravo")
    endpoint = only_endpoint(wait_for_state(cluster.kubeconfig, "info-bravo", "Active"))

    assert endpoint is not None
    assert endpoint["state"] == "Active", endpoint["reason"]
    assert endpoint["pods_ready"] == endpoint["pods_desired"]
    assert endpoint["pods_desired"] >= 1


def test_controllers_reported_ready(cluster, api) -> None:
    result = endpoint_info(cluster.kubeconfig)
    controllers = {controller["name"]: controller for controller in result["controllers"]}

    assert set(controllers) == {"envoy-gateway", "ai-gateway-controller"}
    assert wait_until(
        lambda: endpoint_info(cluster.kubeconfig)["controllers"],
        lambda found: all(controller["ready"] for controller in found),
    ) == [
        {"name": "envoy-gateway", "ready": True, "reason": "ready"},
        {"name": "ai-gateway-controller", "ready": True, "reason": "ready"},
    ]


def test_certificate_days_left(cluster, api, certificates) -> None:
    create_endpoint(cluster.kubeconfig, certificates, "info-charlie")
    endpoint = only_endpoint(endpoint_info(cluster.kubeconfig, name="info-charlie"))

    # tlsfactory makes leaves valid for 90 days by default.
    assert endpoint["certificate_days_left"] in (89, 90)
    assert endpoint["certificate_not_after"]


def test_missing_secret_failed(cluster, api, certificates) -> None:
    from kubernetes import client

    create_endpoint(cluster.kubeconfig, certificates, "info-delta")
    client.CoreV1Api(api).delete_namespaced_secret("info-delta-tls", NAMESPACE)
    endpoint = only_endpoint(endpoint_info(cluster.kubeconfig, name="info-delta"))

    assert endpoint["state"] == "Failed"
    assert "info-delta-tls is missing" in endpoint["reason"]


def test_expired_certificate_failed(cluster, api, certificates) -> None:
    create_endpoint(cluster.kubeconfig, certificates, "info-echo")
    replace_certificate(api, "info-echo-tls", expired_certificate_pem("info-echo.genai.example.test"))
    endpoint = only_endpoint(endpoint_info(cluster.kubeconfig, name="info-echo"))

    assert endpoint["state"] == "Failed"
    assert "expired" in endpoint["reason"]
    assert endpoint["certificate_days_left"] < 0


def test_address_from_load_balancer(cluster, api, certificates) -> None:
    from kubernetes import client

    create_endpoint(cluster.kubeconfig, certificates, "info-foxtrot")
    proxy = wait_for_state(cluster.kubeconfig, "info-foxtrot", "Active")["endpoints"][0]["proxy_deployment"]
    client.CoreV1Api(api).patch_namespaced_service_status(
        proxy, NAMESPACE, {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}
    )
    endpoint = only_endpoint(endpoint_info(cluster.kubeconfig, name="info-foxtrot"))

    assert endpoint["address"] == "192.0.2.10"


def test_unknown_name_empty_list(cluster, api) -> None:
    result = endpoint_info(cluster.kubeconfig, name="never-created")

    assert result.get("failed") is not True, result.get("msg")
    assert result["endpoints"] == []


def test_check_mode_reads_too(cluster, api, certificates) -> None:
    from e2e.lifecycle_helpers import run_any_module

    create_endpoint(cluster.kubeconfig, certificates, "info-golf")
    result = run_any_module("gaap.genai.genai_endpoint_info", cluster.kubeconfig, {"name": "info-golf"}, check=True)

    assert result["changed"] is False
    assert [endpoint["name"] for endpoint in result["endpoints"]] == ["info-golf"]


def test_result_has_no_key_material(cluster, api, certificates) -> None:
    import json

    create_endpoint(cluster.kubeconfig, certificates, "info-hotel")
    text = json.dumps(endpoint_info(cluster.kubeconfig))
    key_lines = [line for line in certificates.private_key.read_text().splitlines() if line and not line.startswith("-----")]

    assert [line for line in key_lines if line in text] == []
    assert "tls.key" not in text


def test_unreachable_cluster_fails(cluster, tmp_path: Path) -> None:
    kubeconfig = unreachable_kubeconfig(cluster.kubeconfig, tmp_path / "kubeconfig")
    result = endpoint_info(kubeconfig)

    assert result["failed"] is True
    assert [problem["code"] for problem in result["problems"]] == ["cluster_unreachable"]


@pytest.fixture(scope="module")
def slow_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a cluster whose pods stay in ContainerCreating for an hour."""
    crds = crds_dir()
    with running_kubesim(tmp_path_factory.mktemp("kubesim-slow"), pod_start_seconds=3600, crds=[crds]) as running:
        prepare_cluster(api_client(running.kubeconfig))
        yield running


def test_initializing_while_pods_start(slow_cluster, certificates) -> None:
    create_endpoint(slow_cluster.kubeconfig, certificates, "info-india")
    endpoint = only_endpoint(endpoint_info(slow_cluster.kubeconfig, name="info-india"))

    assert endpoint["state"] == "Initializing", endpoint["reason"]
    assert endpoint["pods_ready"] == 0


def test_controllers_starting_not_ready(slow_cluster) -> None:
    controllers = endpoint_info(slow_cluster.kubeconfig)["controllers"]

    assert [controller["ready"] for controller in controllers] == [False, False]


@pytest.fixture(scope="module")
def degraded_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a cluster of its own, because the Degraded test removes a controller."""
    crds = crds_dir()
    with running_kubesim(tmp_path_factory.mktemp("kubesim-degraded"), pod_start_seconds=0.5, crds=[crds]) as running:
        prepare_cluster(api_client(running.kubeconfig))
        yield running


def test_degraded_without_controller(degraded_cluster, certificates) -> None:
    from kubernetes import client

    create_endpoint(degraded_cluster.kubeconfig, certificates, "info-juliet")
    wait_for_state(degraded_cluster.kubeconfig, "info-juliet", "Active")
    client.AppsV1Api(api_client(degraded_cluster.kubeconfig)).delete_namespaced_deployment(
        "ai-gateway-controller", NAMESPACE
    )
    endpoint = only_endpoint(endpoint_info(degraded_cluster.kubeconfig, name="info-juliet"))

    assert endpoint["state"] == "Degraded", endpoint["reason"]
    assert "ai-gateway-controller" in endpoint["reason"]


# playbooks/report.yml, which prints the module's results as a table.

REPORT_RECAP = r"^{host}\s*:\s*ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed={failed}\b"


@pytest.fixture(scope="module")
def report_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a cluster with one endpoint whose certificate expires in 10 days."""
    import os
    import subprocess
    import sys

    from e2e.helpers import ROOT, Certificates

    crds = crds_dir()
    directory = tmp_path_factory.mktemp("certs-10-days")
    subprocess.run(
        [sys.executable, "-m", "tlsfactory", "--hostname", "report-soon.genai.example.test", "--out", str(directory), "--days", "10"],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
    )
    with running_kubesim(tmp_path_factory.mktemp("kubesim-report"), pod_start_seconds=0.5, crds=[crds]) as running:
        prepare_cluster(api_client(running.kubeconfig))
        create_endpoint(running.kubeconfig, Certificates(directory, "report-soon.genai.example.test"), "report-soon")
        wait_for_state(running.kubeconfig, "report-soon", "Active")
        yield running


def test_report_fails_near_expiry(report_cluster, tmp_path: Path) -> None:
    import re

    from e2e.lifecycle_helpers import run_report, write_inventory

    inventory = write_inventory(tmp_path / "hosts.yml", {"gpu-1": report_cluster.kubeconfig})
    process = run_report(inventory)
    output = process.stdout

    assert process.returncode != 0, output[-3000:]
    assert re.search(r"report-soon\s+report-soon\.genai\.example\.test\s+kubesim\s+Active\s+1/1", output), output[-3000:]
    assert "the certificate of report-soon (report-soon.genai.example.test) expires on" in output
    assert re.search(REPORT_RECAP.format(host="gpu-1", failed=1), output, re.MULTILINE), output[-3000:]


def test_report_passes_lower_threshold(report_cluster, tmp_path: Path) -> None:
    from e2e.lifecycle_helpers import run_report, write_inventory

    inventory = write_inventory(tmp_path / "hosts.yml", {"gpu-1": report_cluster.kubeconfig})
    process = run_report(inventory, "-e", "genai_report_expiry_days=5")

    assert process.returncode == 0, process.stdout[-3000:]
    assert "DAYS-LEFT" in process.stdout


def test_report_unreachable_keeps_others(report_cluster, tmp_path: Path) -> None:
    import re

    from e2e.lifecycle_helpers import run_report, write_inventory

    down = unreachable_kubeconfig(report_cluster.kubeconfig, tmp_path / "down-kubeconfig")
    inventory = write_inventory(tmp_path / "hosts.yml", {"gpu-1": report_cluster.kubeconfig, "gpu-down": down})
    process = run_report(inventory, "-e", "genai_report_expiry_days=5")
    output = process.stdout

    assert process.returncode != 0
    assert "Cluster gpu-down could not be read" in output
    assert re.search(r"report-soon\s+report-soon\.genai\.example\.test", output), output[-3000:]
    assert re.search(REPORT_RECAP.format(host="gpu-1", failed=0), output, re.MULTILINE), output[-3000:]
    assert re.search(REPORT_RECAP.format(host="gpu-down", failed=1), output, re.MULTILINE), output[-3000:]
