"""The genai_endpoint_info module against a simulated cluster, one state at a time.

Waiting for a state polls with the module's own code in process, because an
Ansible run per poll would make the suite slow. Each test then checks the
result of the module or of that code once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from e2e.helpers import crds_dir, run_module
from e2e.lifecycle_helpers import (
    NAMESPACE,
    api_client,
    create_endpoint_objects,
    describe_in_process,
    endpoint_info,
    expired_certificate_pem,
    only_endpoint,
    post_pod_fault,
    prepare_cluster,
    replace_certificate,
    run_any_module,
    self_signed_certificate_pem,
    unreachable_kubeconfig,
    wait_for_state,
)
from kubesim.testing import running_kubesim


@pytest.fixture(scope="module")
def api(cluster) -> Any:
    """Prepare the shared cluster as the role would: namespace, GatewayClass, controllers."""
    client = api_client(cluster.kubeconfig)
    prepare_cluster(client)
    return client


def proxy_selector(name: str) -> str:
    return f"gateway.envoyproxy.io/owning-gateway-name={name}"


def test_module_creates_listed_endpoint(cluster, api, certificates) -> None:
    created = run_module(
        cluster.kubeconfig,
        {
            "name": "info-alpha",
            "hostname": "info-alpha.genai.example.test",
            "description": "Chat models",
            "cluster": "kubesim",
            "certificate_path": str(certificates.certificate),
            "private_key_path": str(certificates.private_key),
        },
    )
    assert created.get("failed") is not True, created.get("msg")

    result = endpoint_info(cluster.kubeconfig)
    listed = {endpoint["name"]: endpoint for endpoint in result["endpoints"]}

    assert result["changed"] is False
    assert listed["info-alpha"]["hostname"] == "info-alpha.genai.example.test"
    assert listed["info-alpha"]["description"] == "Chat models"
    assert listed["info-alpha"]["cluster"] == "kubesim"


def test_module_reports_active(cluster, api, certificates) -> None:
    create_endpoint_objects(api, certificates, "info-bravo")
    wait_for_state(cluster.kubeconfig, "info-bravo", "Active")
    result = endpoint_info(cluster.kubeconfig, name="info-bravo")
    endpoint = only_endpoint(result)

    assert endpoint is not None
    assert endpoint["state"] == "Active", endpoint["reason"]
    assert endpoint["pods_ready"] == endpoint["pods_desired"]
    assert endpoint["pods_desired"] >= 1
    assert result["controllers"] == [
        {"name": "envoy-gateway", "ready": True, "reason": "ready"},
        {"name": "ai-gateway-controller", "ready": True, "reason": "ready"},
    ]


def test_certificate_days_left(cluster, api, certificates) -> None:
    create_endpoint_objects(api, certificates, "info-charlie")
    endpoint = describe_in_process(cluster.kubeconfig, "info-charlie")

    # tlsfactory makes leaves valid for 90 days by default.
    assert endpoint["certificate_days_left"] in (89, 90)
    assert endpoint["certificate_not_after"]


def test_missing_secret_failed(cluster, api, certificates) -> None:
    from kubernetes import client

    create_endpoint_objects(api, certificates, "info-delta")
    client.CoreV1Api(api).delete_namespaced_secret("info-delta-tls", NAMESPACE)
    endpoint = describe_in_process(cluster.kubeconfig, "info-delta")

    assert endpoint["state"] == "Failed"
    assert "info-delta-tls is missing" in endpoint["reason"]


def test_expired_certificate_failed(cluster, api, certificates) -> None:
    create_endpoint_objects(api, certificates, "info-echo")
    replace_certificate(api, "info-echo-tls", expired_certificate_pem("info-echo.genai.example.test"))
    endpoint = describe_in_process(cluster.kubeconfig, "info-echo")

    assert endpoint["state"] == "Failed"
    assert "expired" in endpoint["reason"]
    assert endpoint["certificate_days_left"] < 0


def test_foreign_certificate_invalid_ref(cluster, api, certificates) -> None:
    create_endpoint_objects(api, certificates, "info-kilo")
    replace_certificate(api, "info-kilo-tls", self_signed_certificate_pem("info-kilo.genai.example.test"))
    endpoint = wait_for_state(cluster.kubeconfig, "info-kilo", "Failed")

    assert endpoint["state"] == "Failed", endpoint["reason"]
    assert "InvalidCertificateRef" in endpoint["reason"]


@pytest.mark.parametrize(
    ("name", "mode"),
    [("info-lima", "ImagePullBackOff"), ("info-mike", "CrashLoopBackOff"), ("info-oscar", "Unschedulable")],
)
def test_pod_fault_failed(cluster, api, certificates, name: str, mode: str) -> None:
    post_pod_fault(api, mode, proxy_selector(name))
    create_endpoint_objects(api, certificates, name)
    endpoint = wait_for_state(cluster.kubeconfig, name, "Failed")

    assert endpoint["state"] == "Failed", endpoint["reason"]
    assert mode in endpoint["reason"]


def test_address_from_load_balancer(cluster, api, certificates) -> None:
    from kubernetes import client

    create_endpoint_objects(api, certificates, "info-foxtrot")
    proxy = wait_for_state(cluster.kubeconfig, "info-foxtrot", "Active")["proxy_deployment"]
    client.CoreV1Api(api).patch_namespaced_service_status(
        proxy, NAMESPACE, {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}
    )
    endpoint = describe_in_process(cluster.kubeconfig, "info-foxtrot")

    assert endpoint["address"] == "192.0.2.10"


def test_unknown_name_empty_list(cluster, api) -> None:
    result = endpoint_info(cluster.kubeconfig, name="never-created")

    assert result.get("failed") is not True, result.get("msg")
    assert result["endpoints"] == []


def test_check_mode_reads_too(cluster, api, certificates) -> None:
    create_endpoint_objects(api, certificates, "info-golf")
    result = run_any_module("gaap.genai.genai_endpoint_info", cluster.kubeconfig, {"name": "info-golf"}, check=True)

    assert result["changed"] is False
    assert [endpoint["name"] for endpoint in result["endpoints"]] == ["info-golf"]


def test_result_has_no_key_material(cluster, api, certificates) -> None:
    create_endpoint_objects(api, certificates, "info-hotel")
    text = json.dumps(endpoint_info(cluster.kubeconfig, name="info-hotel"))
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
    create_endpoint_objects(api_client(slow_cluster.kubeconfig), certificates, "info-india")
    result = endpoint_info(slow_cluster.kubeconfig, name="info-india")
    endpoint = only_endpoint(result)

    assert endpoint["state"] == "Initializing", endpoint["reason"]
    assert endpoint["pods_ready"] == 0
    assert [controller["ready"] for controller in result["controllers"]] == [False, False]


@pytest.fixture(scope="module")
def degraded_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a cluster of its own, because the Degraded test removes a controller."""
    crds = crds_dir()
    with running_kubesim(tmp_path_factory.mktemp("kubesim-degraded"), pod_start_seconds=0.5, crds=[crds]) as running:
        prepare_cluster(api_client(running.kubeconfig))
        yield running


def test_degraded_without_controller(degraded_cluster, certificates) -> None:
    from kubernetes import client

    api = api_client(degraded_cluster.kubeconfig)
    create_endpoint_objects(api, certificates, "info-juliet")
    wait_for_state(degraded_cluster.kubeconfig, "info-juliet", "Active")
    client.AppsV1Api(api).delete_namespaced_deployment("ai-gateway-controller", NAMESPACE)
    endpoint = describe_in_process(degraded_cluster.kubeconfig, "info-juliet")

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
        api = api_client(running.kubeconfig)
        prepare_cluster(api)
        create_endpoint_objects(api, Certificates(directory, "report-soon.genai.example.test"), "report-soon")
        wait_for_state(running.kubeconfig, "report-soon", "Active")
        yield running


@pytest.fixture(scope="module")
def report_with_unreachable(report_cluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run report.yml on the cluster and on one that cannot be reached; return the output."""
    from e2e.lifecycle_helpers import run_report, write_inventory

    directory = tmp_path_factory.mktemp("report")
    down = unreachable_kubeconfig(report_cluster.kubeconfig, directory / "down-kubeconfig")
    inventory = write_inventory(directory / "hosts.yml", {"gpu-1": report_cluster.kubeconfig, "gpu-down": down})
    process = run_report(inventory)
    assert process.returncode != 0, process.stdout[-3000:]
    return process.stdout


def test_report_prints_table_row(report_with_unreachable) -> None:
    import re

    row = r"report-soon\s+report-soon\.genai\.example\.test\s+kubesim\s+Active\s+1/1\s+\S+\s+\S+\s+9\b"

    assert re.search(row, report_with_unreachable), report_with_unreachable[-3000:]


def test_report_fails_near_expiry(report_with_unreachable) -> None:
    import re

    output = report_with_unreachable

    assert "the certificate of report-soon (report-soon.genai.example.test) expires on" in output
    assert re.search(REPORT_RECAP.format(host="gpu-1", failed=1), output, re.MULTILINE), output[-3000:]


def test_report_unreachable_keeps_others(report_with_unreachable) -> None:
    import re

    output = report_with_unreachable

    assert "Cluster gpu-down could not be read" in output
    assert re.search(REPORT_RECAP.format(host="gpu-down", failed=1), output, re.MULTILINE), output[-3000:]


def test_report_passes_lower_threshold(report_cluster, tmp_path: Path) -> None:
    from e2e.lifecycle_helpers import run_report, write_inventory

    inventory = write_inventory(tmp_path / "hosts.yml", {"gpu-1": report_cluster.kubeconfig})
    process = run_report(inventory, "-e", "genai_report_expiry_days=5")

    assert process.returncode == 0, process.stdout[-3000:]
    assert "DAYS-LEFT" in process.stdout
