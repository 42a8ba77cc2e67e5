"""Helpers for end-to-end tests of the info modules and the report playbook."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import yaml

from e2e.helpers import BIN, ROOT, ansible_environment

NAMESPACE = "gaap-controller"
CONTROLLERS = ("envoy-gateway", "ai-gateway-controller")
GATEWAY_GROUP = "gateway.networking.k8s.io"


def run_any_module(module: str, kubeconfig: Path, args: dict[str, Any], check: bool = False) -> dict:
    """Run one module of the collection on localhost and return its result."""
    command = [str(BIN / "ansible"), "localhost", "-m", module, "-a", json.dumps({"kubeconfig": str(kubeconfig), **args})]
    if check:
        command.append("--check")
    environment = ansible_environment(
        {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    )
    process = subprocess.run(command, cwd=ROOT, env=environment, text=True, capture_output=True, check=False)
    report = json.loads(process.stdout)
    return report["plays"][0]["tasks"][0]["hosts"]["localhost"]


def endpoint_info(kubeconfig: Path, **args: Any) -> dict:
    return run_any_module("gaap.genai.genai_endpoint_info", kubeconfig, args)


def cluster_info(kubeconfig: Path, **args: Any) -> dict:
    return run_any_module("gaap.genai.genai_cluster_info", kubeconfig, args)


def api_client(kubeconfig: Path) -> Any:
    from kubernetes import config

    return config.new_client_from_config(str(kubeconfig))


def controller_deployment(name: str) -> dict:
    """Build a minimal Deployment in place of a controller that the role installs."""
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "controller"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "controller", "image": f"registry.example.test/{name}:v1"}]},
            },
        },
    }


def prepare_cluster(api: Any) -> None:
    """Create the namespace, the GatewayClass and stand-ins for the two controller Deployments."""
    from kubernetes import client

    client.CoreV1Api(api).create_namespace({"metadata": {"name": NAMESPACE}})
    client.CustomObjectsApi(api).create_cluster_custom_object(
        GATEWAY_GROUP,
        "v1",
        "gatewayclasses",
        {
            "apiVersion": f"{GATEWAY_GROUP}/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "gaap-genai"},
            "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
        },
    )
    apps = client.AppsV1Api(api)
    for name in CONTROLLERS:
        apps.create_namespaced_deployment(NAMESPACE, controller_deployment(name))


def create_endpoint_objects(api: Any, certificates: Any, name: str, description: str = "", cluster: str = "kubesim") -> None:
    """Create an endpoint's Secret and Gateway straight through the API, as genai_endpoint would.

    This skips one Ansible run per endpoint; the genai_endpoint module has
    end-to-end tests of its own.
    """
    from kubernetes import client

    from ansible_collections.gaap.genai.plugins.module_utils._endpoint import (
        EndpointSpec,
        desired_gateway,
        desired_secret,
    )

    spec = EndpointSpec(
        name=name,
        namespace=NAMESPACE,
        hostname=f"{name}.genai.example.test",
        description=description,
        cluster=cluster,
        certificate_chain_pem=certificates.certificate.read_text(),
        private_key_pem=certificates.private_key.read_text(),
    )
    client.CoreV1Api(api).create_namespaced_secret(NAMESPACE, desired_secret(spec))
    client.CustomObjectsApi(api).create_namespaced_custom_object(GATEWAY_GROUP, "v1", NAMESPACE, "gateways", desired_gateway(spec))


def describe_in_process(kubeconfig: Path, name: str) -> dict | None:
    """Compute an endpoint's facts with the module's own code, without starting Ansible."""
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client

    from ansible_collections.gaap.genai.plugins.module_utils._info import (
        describe_endpoint,
        read_controllers,
        read_endpoint_objects,
        read_gateways,
    )

    k8s_client = get_api_client(kubeconfig=str(kubeconfig))
    gateways = read_gateways(k8s_client, NAMESPACE, name)
    if not gateways:
        return None
    return describe_endpoint(read_endpoint_objects(k8s_client, gateways[0]), read_controllers(k8s_client, NAMESPACE))


def wait_for_state(kubeconfig: Path, name: str, state: str) -> dict | None:
    """Wait until the endpoint reaches state, polling in process; return its last facts."""
    return wait_until(
        lambda: describe_in_process(kubeconfig, name),
        lambda facts: facts is not None and facts["state"] == state,
    )


def post_pod_fault(api: Any, mode: str, label_selector: str) -> None:
    """Make kubesim keep the matching pods in a failure mode (ImagePullBackOff, CrashLoopBackOff, Unschedulable)."""
    configuration = api.configuration
    response = api.call_api(
        "POST",
        f"{configuration.host}/kubesim/faults",
        header_params={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": configuration.api_key["BearerToken"],
        },
        body={"rules": [{"type": "pod", "mode": mode, "labelSelector": label_selector, "namespace": NAMESPACE}]},
    )
    assert response.status == 200, response.data


def wait_until(probe: Callable[[], Any], accept: Callable[[Any], bool], attempts: int = 40, delay: float = 0.5) -> Any:
    """Call probe until accept(result) holds, and return the last result.

    The bound keeps a broken simulation from hanging the suite; callers
    assert on the returned value, not on how long it took.
    """
    result = probe()
    for attempt in range(attempts):
        if accept(result):
            break
        time.sleep(delay)
        result = probe()
    return result


def only_endpoint(result: dict) -> dict | None:
    endpoints = result.get("endpoints") or []
    return endpoints[0] if len(endpoints) == 1 else None


def self_signed_certificate_pem(hostname: str, days_valid_from_now: int = 30) -> str:
    """Make a self-signed certificate for hostname with a fresh key; a negative count makes it expired."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=60))
        .not_valid_after(now + datetime.timedelta(days=days_valid_from_now))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def expired_certificate_pem(hostname: str) -> str:
    """Make a self-signed certificate for hostname that expired yesterday."""
    return self_signed_certificate_pem(hostname, days_valid_from_now=-1)


def replace_certificate(api: Any, secret_name: str, pem: str) -> None:
    """Overwrite tls.crt of a Secret, bypassing the module's validation."""
    from kubernetes import client

    encoded = base64.b64encode(pem.encode()).decode()
    client.CoreV1Api(api).patch_namespaced_secret(secret_name, NAMESPACE, {"data": {"tls.crt": encoded}})


def write_inventory(path: Path, clusters: dict[str, Path]) -> Path:
    """Write an inventory with one genai_clusters host per kubeconfig, run locally."""
    hosts = {name: {"genai_kubeconfig": str(kubeconfig)} for name, kubeconfig in clusters.items()}
    inventory = {
        "genai_clusters": {
            "hosts": hosts,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            },
        }
    }
    path.write_text(yaml.safe_dump(inventory))
    return path


def unreachable_kubeconfig(source: Path, target: Path) -> Path:
    """Copy a kubeconfig with its server moved to a loopback port where nothing listens."""
    kubeconfig = yaml.safe_load(source.read_text())
    kubeconfig["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    target.write_text(yaml.safe_dump(kubeconfig))
    return target


def run_report(inventory: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), "playbooks/report.yml", *extra],
        cwd=ROOT,
        env=ansible_environment(),
        text=True,
        capture_output=True,
        check=False,
    )
