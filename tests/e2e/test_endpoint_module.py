"""The genai_endpoint module against a simulated cluster."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.helpers import BIN, ROOT, ansible_environment, run_module

NAMESPACE = "gaap-controller"


@pytest.fixture(scope="module")
def api(cluster) -> Any:
    from kubernetes import client, config

    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    return api_client


def endpoint_args(certificates, name: str, **extra: Any) -> dict:
    """Build module arguments; each endpoint gets its own name under the wildcard."""
    return {
        "name": name,
        "hostname": f"{name}.genai.example.test",
        "certificate_path": str(certificates.certificate),
        "private_key_path": str(certificates.private_key),
        **extra,
    }


def gateway(api, name: str) -> dict | None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        return client.CustomObjectsApi(api).get_namespaced_custom_object(
            "gateway.networking.k8s.io", "v1", NAMESPACE, "gateways", name
        )
    except ApiException as error:
        if error.status == 404:
            return None
        raise


def secret(api, name: str) -> Any:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        return client.CoreV1Api(api).read_namespaced_secret(name, NAMESPACE)
    except ApiException as error:
        if error.status == 404:
            return None
        raise


def codes(result: dict) -> set[str]:
    return {problem["code"] for problem in result.get("problems", [])}


def test_create_reports_changed(cluster, api, certificates) -> None:
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "alpha"))

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    assert [o["action"] for o in result["objects"]] == ["create", "create"]


def test_create_writes_gateway_listener(cluster, api, certificates) -> None:
    run_module(cluster.kubeconfig, endpoint_args(certificates, "bravo", description="Chat models"))
    listener = gateway(api, "bravo")["spec"]["listeners"][0]

    assert listener["hostname"] == "bravo.genai.example.test"
    assert listener["protocol"] == "HTTPS"
    assert listener["tls"]["certificateRefs"][0]["name"] == "bravo-tls"


def test_create_writes_tls_secret(cluster, api, certificates) -> None:
    run_module(cluster.kubeconfig, endpoint_args(certificates, "charlie"))
    created = secret(api, "charlie-tls")
    chain = base64.b64decode(created.data["tls.crt"]).decode()

    assert created.type == "kubernetes.io/tls"
    assert chain.startswith("-----BEGIN CERTIFICATE-----\n")
    assert "\r" not in chain


def test_second_run_unchanged(cluster, api, certificates) -> None:
    args = endpoint_args(certificates, "delta")
    run_module(cluster.kubeconfig, args)
    second = run_module(cluster.kubeconfig, args)

    assert second["changed"] is False
    assert [o["action"] for o in second["objects"]] == ["none", "none"]


def test_returns_proxy_deployment_name(cluster, api, certificates) -> None:
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "ethan-global-endpoint"))

    assert result["endpoint"]["proxy_deployment"] == "envoy-gaap-controller-ethan-global-endpoint-d55ada0a"


def test_returns_certificate_facts(cluster, api, certificates) -> None:
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "echo"))
    facts = result["endpoint"]["certificate"]

    assert len(facts["fingerprint_sha256"].split(":")) == 32
    assert facts["not_after"]
    assert "*.genai.example.test" in facts["dns_names"]


def test_changed_description_updates(cluster, api, certificates) -> None:
    run_module(cluster.kubeconfig, endpoint_args(certificates, "foxtrot", description="old"))
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "foxtrot", description="new"))
    annotations = gateway(api, "foxtrot")["metadata"]["annotations"]

    assert result["changed"] is True
    assert [o["action"] for o in result["objects"]] == ["none", "update"]
    assert annotations["genai.gaap.io/description"] == "new"


def test_check_mode_creates_nothing(cluster, api, certificates) -> None:
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "golf"), check=True)

    assert result["changed"] is True
    assert gateway(api, "golf") is None
    assert secret(api, "golf-tls") is None


def test_all_problems_reported_together(cluster, api, certificates) -> None:
    args = endpoint_args(certificates, "Bad_Name", hostname="other.example.test")
    result = run_module(cluster.kubeconfig, args)

    assert result["failed"] is True
    assert {"name_invalid", "hostname_mismatch"} <= codes(result)


def test_invalid_input_writes_nothing(cluster, api, certificates) -> None:
    run_module(cluster.kubeconfig, endpoint_args(certificates, "hotel", hostname="192.0.2.10"))

    assert gateway(api, "hotel") is None
    assert secret(api, "hotel-tls") is None


def test_unreadable_certificate_path(cluster, api, certificates, tmp_path: Path) -> None:
    args = endpoint_args(certificates, "india", certificate_path=str(tmp_path / "missing.pem"))
    result = run_module(cluster.kubeconfig, args)

    assert codes(result) == {"certificate_unreadable"}
    assert "missing.pem" in result["msg"]


def test_unreachable_cluster(certificates, tmp_path: Path, cluster) -> None:
    kubeconfig = yaml.safe_load(cluster.kubeconfig.read_text())
    # A port on loopback where nothing listens: the kubeconfig's own port
    # after kubesim has moved on is not stable, so use port 1.
    kubeconfig["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    unreachable = tmp_path / "kubeconfig"
    unreachable.write_text(yaml.safe_dump(kubeconfig))

    result = run_module(unreachable, endpoint_args(certificates, "juliet"))

    assert codes(result) == {"cluster_unreachable"}


def test_missing_namespace_named(cluster, api, certificates) -> None:
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "kilo", namespace="no-such-namespace"))

    assert codes(result) == {"namespace_not_found"}
    assert "no-such-namespace" in result["msg"]


def test_unmanaged_secret_not_taken_over(cluster, api, certificates) -> None:
    from kubernetes import client

    client.CoreV1Api(api).create_namespaced_secret(
        NAMESPACE, {"metadata": {"name": "lima-tls"}, "type": "Opaque", "stringData": {"note": "mine"}}
    )
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "lima"))

    assert codes(result) == {"object_conflict"}
    assert gateway(api, "lima") is None


def test_diff_hides_secret_data(cluster, api, certificates) -> None:
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "mike"), diff=True)
    secret_diff = next(d for d in result["diff"] if d["after_header"].startswith("Secret"))

    data = secret_diff["after"]["data"]

    assert data["tls.key"] == "<hidden>"
    assert data["tls.crt"].startswith("<certificate sha256 ")


def test_rotation_reports_both_certificates(cluster, api, certificates, tmp_path: Path) -> None:
    from e2e.helpers import make_certificates

    run_module(cluster.kubeconfig, endpoint_args(certificates, "papa"))
    renewed = make_certificates(tmp_path / "renewed", certificates.hostname)
    result = run_module(cluster.kubeconfig, endpoint_args(renewed, "papa"))
    endpoint = result["endpoint"]

    assert [o["action"] for o in result["objects"]] == ["update", "none"]
    assert endpoint["previous_certificate"]["fingerprint_sha256"] != endpoint["certificate"]["fingerprint_sha256"]


def test_hostname_conflict_names_other(cluster, api, certificates) -> None:
    shared = "shared.genai.example.test"
    run_module(cluster.kubeconfig, endpoint_args(certificates, "quebec", hostname=shared))
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "romeo", hostname=shared))

    assert codes(result) == {"hostname_conflict"}
    assert "'quebec'" in result["msg"]


def test_absent_removes_objects(cluster, api, certificates) -> None:
    run_module(cluster.kubeconfig, endpoint_args(certificates, "november"))
    result = run_module(cluster.kubeconfig, {"name": "november", "state": "absent"})

    assert result["changed"] is True
    assert gateway(api, "november") is None
    assert secret(api, "november-tls") is None


def test_absent_missing_endpoint_unchanged(cluster, api) -> None:
    result = run_module(cluster.kubeconfig, {"name": "never-created", "state": "absent"})

    assert result["changed"] is False


def test_absent_missing_namespace_unchanged(cluster, api) -> None:
    result = run_module(cluster.kubeconfig, {"name": "gone", "namespace": "no-such-namespace", "state": "absent"})

    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False


def kubesim_faults(api, method: str, rules: list[dict] | None = None) -> dict:
    """Call kubesim's fault endpoint and return its JSON response."""
    configuration = api.configuration
    response = api.call_api(
        method,
        f"{configuration.host}/kubesim/faults",
        header_params={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": configuration.api_key["BearerToken"],
        },
        body={"rules": rules} if rules is not None else None,
    )
    response.read()
    assert response.status == 200, response.data
    return json.loads(response.data)


def test_throttled_requests_retried(cluster, api, certificates) -> None:
    # kubesim responds to the next three creates with 503 or 429, as an overloaded API server does.
    kubesim_faults(api, "POST", [{"type": "status", "code": 503, "method": "POST", "count": 2},
                                 {"type": "status", "code": 429, "method": "POST", "count": 1}])
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "sierra"))
    unused = [rule["count"] for rule in kubesim_faults(api, "GET")["rules"]]
    kubesim_faults(api, "DELETE")

    assert result.get("failed") is not True, result.get("msg")
    assert secret(api, "sierra-tls") is not None
    assert unused == [0, 0]


def test_server_error_not_retried(cluster, api, certificates) -> None:
    kubesim_faults(api, "POST", [{"type": "status", "code": 500, "method": "POST", "count": 1}])
    result = run_module(cluster.kubeconfig, endpoint_args(certificates, "tango"))

    kubesim_faults(api, "DELETE")

    assert codes(result) == {"cluster_request_failed"}
    assert gateway(api, "tango") is None


def test_private_key_never_in_verbose_output(cluster, api, certificates, tmp_path: Path) -> None:
    key_text = certificates.private_key.read_text()
    key_lines = [line for line in key_text.splitlines() if line and not line.startswith("-----")]
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Create the endpoint from inline PEM text",
                            "gaap.genai.genai_endpoint": {
                                "name": "oscar",
                                "hostname": "oscar.genai.example.test",
                                "certificate": certificates.certificate.read_text(),
                                "private_key": key_text,
                                "kubeconfig": str(cluster.kubeconfig),
                            },
                            "register": "created",
                        },
                        {"name": "Show the result", "ansible.builtin.debug": {"var": "created"}},
                    ],
                }
            ]
        )
    )
    process = subprocess.run(
        [str(BIN / "ansible-playbook"), "-vvv", "--diff", str(playbook)],
        cwd=ROOT,
        env=ansible_environment(),
        text=True,
        capture_output=True,
        check=False,
    )
    output = process.stdout + process.stderr
    leaked = [line for line in key_lines if line in output]

    assert process.returncode == 0, output[-3000:]
    assert leaked == []
    assert base64.b64encode(key_text.encode()).decode()[:40] not in output


def test_module_doc_renders() -> None:
    process = subprocess.run(
        [str(BIN / "ansible-doc"), "gaap.genai.genai_endpoint"],
        cwd=ROOT,
        env=ansible_environment(),
        text=True,
        capture_output=True,
        check=False,
    )

    assert process.returncode == 0, process.stderr
    assert "hostname_mismatch" in process.stdout
    assert json.dumps("kubeconfig")[1:-1] in process.stdout
