"""playbooks/site.yml through an endpoint's life on one simulated cluster.

The runs build on each other and share one cluster. The first creates two
endpoints. The second rotates one certificate, changes the other's
description and upgrades the pinned AI Gateway controller image. The third
checks what removing everything would do, the fourth removes one endpoint,
and the last removes the other together with the shared controllers.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.helpers import BIN, ROOT, Certificates, ansible_environment, crds_dir, make_certificates
from kubesim.testing import running_kubesim

NAMESPACE = "gaap-controller"
GATEWAY_GROUP = "gateway.networking.k8s.io"
WEBHOOK_SECRET = "ai-gateway-controller-webhook-tls"
UPGRADED_CONTROLLER_IMAGE = "docker.io/envoyproxy/ai-gateway-controller:v1.1.1"


@dataclass
class Snapshot:
    """What the tests compare between runs."""

    proxy_pods: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    gateway_uids: dict[str, str] = field(default_factory=dict)
    webhook_secret_version: str = ""
    webhook_secret_type: str = ""
    webhook_secret_keys: list[str] = field(default_factory=list)
    webhook_dns_names: list[str] = field(default_factory=list)
    webhook_issued_by_ca: bool = False
    controller_pods: list[str] = field(default_factory=list)


@dataclass
class Lifecycle:
    runs: dict[str, subprocess.CompletedProcess]
    snapshots: dict[str, Snapshot]
    kubeconfig: Path


def recap(output: str, host: str = "life") -> dict[str, int]:
    """Return the counters of one host's line in the play recap."""
    match = re.search(rf"^{re.escape(host)}\s*:\s*(.*)$", output, re.MULTILINE)
    assert match, output[-3000:]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def endpoint(name: str, certificates: Certificates, description: str = "", state: str = "present") -> dict[str, str]:
    if state == "absent":
        return {"name": name, "state": "absent"}
    return {
        "name": name,
        "description": description,
        "hostname": f"{name}.genai.example.test",
        "certificate_path": str(certificates.certificate),
        "private_key_path": str(certificates.private_key),
    }


def run_site(directory: Path, endpoints: list[dict[str, str]], kubeconfig: Path, *extra: str) -> subprocess.CompletedProcess:
    """Write a one-cluster inventory into directory, run site.yml on it and keep the output as site.log."""
    directory.mkdir(parents=True, exist_ok=True)
    inventory = {
        "genai_clusters": {
            "hosts": {"life": {"genai_kubeconfig": str(kubeconfig), "genai_endpoints": endpoints}},
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "genai_endpoint_wait_delay": 1,
            },
        }
    }
    (directory / "hosts.yml").write_text(yaml.safe_dump(inventory))
    process = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(directory / "hosts.yml"), "playbooks/site.yml", *extra],
        cwd=ROOT,
        env=ansible_environment(),
        text=True,
        capture_output=True,
        check=False,
    )
    (directory / "site.log").write_text(process.stdout + process.stderr)
    return process


def take_snapshot(kubeconfig: Path) -> Snapshot:
    from kubernetes import client, config

    api = config.new_client_from_config(str(kubeconfig))
    core = client.CoreV1Api(api)
    snapshot = Snapshot()
    for name in ("one", "two"):
        pods = core.list_namespaced_pod(NAMESPACE, label_selector=f"gateway.envoyproxy.io/owning-gateway-name={name}").items
        snapshot.proxy_pods[name] = sorted((pod.metadata.name, pod.metadata.uid) for pod in pods)
        gateways = client.CustomObjectsApi(api).list_namespaced_custom_object(GATEWAY_GROUP, "v1", NAMESPACE, "gateways")
        snapshot.gateway_uids = {item["metadata"]["name"]: item["metadata"]["uid"] for item in gateways["items"]}
    secrets = core.list_namespaced_secret(NAMESPACE, field_selector=f"metadata.name={WEBHOOK_SECRET}").items
    if secrets:
        describe_webhook_secret(secrets[0], snapshot)
    controllers = core.list_namespaced_pod(NAMESPACE, label_selector="app.kubernetes.io/name=ai-gateway-controller").items
    snapshot.controller_pods = sorted(pod.metadata.name for pod in controllers)
    return snapshot


def describe_webhook_secret(secret: Any, snapshot: Snapshot) -> None:
    """Record the webhook Secret's type, keys, serving certificate SANs and whether its ca.crt issued it."""
    from cryptography import x509

    snapshot.webhook_secret_version = secret.metadata.resource_version
    snapshot.webhook_secret_type = secret.type
    snapshot.webhook_secret_keys = sorted(secret.data)
    leaf = x509.load_pem_x509_certificate(base64.b64decode(secret.data["tls.crt"]))
    authority = x509.load_pem_x509_certificate(base64.b64decode(secret.data["ca.crt"]))
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    snapshot.webhook_dns_names = sorted(san.get_values_for_type(x509.DNSName))
    try:
        leaf.verify_directly_issued_by(authority)
        snapshot.webhook_issued_by_ca = True
    except (ValueError, TypeError):
        snapshot.webhook_issued_by_ca = False


def make_short_lived_certificates(directory: Path, days: int) -> Certificates:
    subprocess.run(
        [sys.executable, "-m", "tlsfactory", "--hostname", "*.genai.example.test", "--out", str(directory), "--days", str(days)],
        check=True,
        env={**ansible_environment(), "PYTHONPATH": str(ROOT / "tests")},
    )
    return Certificates(directory, "*.genai.example.test")


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Run site.yml five times on one cluster and keep each run's output and a snapshot after it."""
    crds = crds_dir()
    first_certificates = make_certificates(tmp_path_factory.mktemp("certs"), "*.genai.example.test")
    rotated_certificates = make_short_lived_certificates(tmp_path_factory.mktemp("certs-rotated"), 30)
    runs: dict[str, subprocess.CompletedProcess] = {}
    snapshots: dict[str, Snapshot] = {}
    base = tmp_path_factory.mktemp("runs")

    with running_kubesim(tmp_path_factory.mktemp("kubesim"), pod_start_seconds=0.5, crds=[crds]) as cluster:
        kubeconfig = cluster.kubeconfig
        steps: list[tuple[str, list[dict[str, str]], tuple[str, ...]]] = [
            ("create", [endpoint("one", first_certificates), endpoint("two", first_certificates, "Chat")], ()),
            (
                "update",
                [endpoint("one", rotated_certificates), endpoint("two", first_certificates, "Chat and embeddings")],
                ("-e", f"genai_endpoint_ai_gateway_controller_image={UPGRADED_CONTROLLER_IMAGE}"),
            ),
            (
                "check-teardown",
                [endpoint("one", first_certificates, state="absent"), endpoint("two", first_certificates, state="absent")],
                ("--check", "-e", "genai_endpoint_remove_controllers=true"),
            ),
            (
                "remove",
                [endpoint("one", rotated_certificates), endpoint("two", first_certificates, state="absent")],
                ("-e", f"genai_endpoint_ai_gateway_controller_image={UPGRADED_CONTROLLER_IMAGE}"),
            ),
            (
                "teardown",
                [endpoint("one", first_certificates, state="absent"), endpoint("two", first_certificates, state="absent")],
                ("-e", "genai_endpoint_remove_controllers=true"),
            ),
        ]
        for name, endpoints, extra in steps:
            runs[name] = run_site(base / name, endpoints, kubeconfig, *extra)
            snapshots[name] = take_snapshot(kubeconfig)
            if runs[name].returncode != 0:
                break
        yield Lifecycle(runs, snapshots, kubeconfig)


def run_output(lifecycle: Lifecycle, step: str) -> str:
    process = lifecycle.runs.get(step)
    if process is None:
        pytest.fail(f"step {step} did not run because an earlier step failed")
    assert process.returncode == 0, process.stdout[-4000:]
    return process.stdout


def test_create_reports_both_active(lifecycle) -> None:
    output = run_output(lifecycle, "create")

    assert "one (one.genai.example.test) on cluster life is Active" in output
    assert "two (two.genai.example.test) on cluster life is Active" in output


def test_create_makes_webhook_secret(lifecycle) -> None:
    run_output(lifecycle, "create")
    snapshot = lifecycle.snapshots["create"]

    assert snapshot.webhook_secret_type == "kubernetes.io/tls"
    assert snapshot.webhook_secret_keys == ["ca.crt", "tls.crt", "tls.key"]
    assert snapshot.webhook_dns_names == [
        f"ai-gateway-controller.{NAMESPACE}.svc",
        f"ai-gateway-controller.{NAMESPACE}.svc.cluster.local",
    ]
    assert snapshot.webhook_issued_by_ca is True


def test_update_keeps_webhook_secret(lifecycle) -> None:
    run_output(lifecycle, "update")

    assert lifecycle.snapshots["update"].webhook_secret_version == lifecycle.snapshots["create"].webhook_secret_version


def test_rotation_keeps_proxy_pods(lifecycle) -> None:
    run_output(lifecycle, "update")
    before = lifecycle.snapshots["create"].proxy_pods["one"]
    after = lifecycle.snapshots["update"].proxy_pods["one"]

    assert before
    assert after == before


def test_rotation_reports_new_expiry(lifecycle) -> None:
    output = run_output(lifecycle, "update")
    row = r"^\s*- one\s+one\.genai\.example\.test\s+life\s+Active\s+1/1\s+\S+\s+\S+\s+(\d+)\s*$"
    days_left = [int(days) for days in re.findall(row, output, re.MULTILINE)]

    assert days_left in ([29], [30]), output[-4000:]


def test_description_updates_in_place(lifecycle) -> None:
    output = run_output(lifecycle, "update")

    assert lifecycle.snapshots["update"].gateway_uids["two"] == lifecycle.snapshots["create"].gateway_uids["two"]
    assert lifecycle.snapshots["update"].proxy_pods["two"] == lifecycle.snapshots["create"].proxy_pods["two"]
    assert "two (two.genai.example.test) on cluster life is Active" in output


def test_image_upgrade_rolls_controller(lifecycle) -> None:
    output = run_output(lifecycle, "update")
    before = lifecycle.snapshots["create"].controller_pods
    after = lifecycle.snapshots["update"].controller_pods

    assert after
    assert set(after).isdisjoint(before)
    assert re.search(r"Apply the Envoy AI Gateway controller Service and Deployment\] \*+\nchanged: \[life\]", output)
    assert re.search(r"Wait until the controller pods are Running and ready\] \*+\nok: \[life\]", output)


def test_check_mode_removes_nothing(lifecycle) -> None:
    output = run_output(lifecycle, "check-teardown")

    assert "one on cluster life would be Removed (check mode)" in output
    assert "Controllers would be removed (check mode)" in output
    assert lifecycle.snapshots["check-teardown"].gateway_uids == lifecycle.snapshots["update"].gateway_uids
    assert lifecycle.snapshots["check-teardown"].proxy_pods == lifecycle.snapshots["update"].proxy_pods


def test_removal_reports_removed(lifecycle) -> None:
    output = run_output(lifecycle, "remove")

    assert "two on cluster life is Removed" in output
    assert "one (one.genai.example.test) on cluster life is Active" in output


def test_removal_deletes_proxy_pods(lifecycle) -> None:
    run_output(lifecycle, "remove")

    assert lifecycle.snapshots["remove"].proxy_pods["two"] == []
    assert "two" not in lifecycle.snapshots["remove"].gateway_uids


def test_removal_keeps_other_endpoint(lifecycle) -> None:
    run_output(lifecycle, "remove")

    assert lifecycle.snapshots["remove"].proxy_pods["one"] == lifecycle.snapshots["update"].proxy_pods["one"]


def test_teardown_removes_namespace(lifecycle) -> None:
    from kubernetes import client, config

    output = run_output(lifecycle, "teardown")
    api = config.new_client_from_config(str(lifecycle.kubeconfig))
    namespaces = [item.metadata.name for item in client.CoreV1Api(api).list_namespace().items]

    classes = client.CustomObjectsApi(api).list_cluster_custom_object(GATEWAY_GROUP, "v1", "gatewayclasses")["items"]

    assert "Controllers removed" in output
    assert NAMESPACE not in namespaces
    assert [item["metadata"]["name"] for item in classes] == []
