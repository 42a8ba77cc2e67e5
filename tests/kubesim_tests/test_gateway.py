"""Envoy Gateway and the AI Gateway webhook: proxies, their pods and Gateway status."""

from __future__ import annotations

import base64
import datetime
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kubernetes import dynamic
from kubernetes.dynamic.exceptions import UnprocessibleEntityError

from kubesim.testing import RunningKubesim

from .conftest import make_namespace, wait_for

NAMESPACE = "gaap-controller"
GATEWAY = "ethan-global-endpoint"
PROXY = "envoy-gaap-controller-ethan-global-endpoint-d55ada0a"
GATEWAY_API = "gateway.networking.k8s.io/v1"


def _key_and_certificate(hostname: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def _secret(name: str, certificate: bytes, key: bytes, secret_type: str = "kubernetes.io/tls") -> dict:
    return {
        "apiVersion": "v1", "kind": "Secret", "type": secret_type,
        "metadata": {"name": name, "namespace": NAMESPACE},
        "data": {"tls.crt": base64.b64encode(certificate).decode(), "tls.key": base64.b64encode(key).decode()},
    }


def _controller(name: str, image: str, labels: dict[str, str]) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "controller", "image": image}]}}},
    }


def _gateway(name: str, secret: str) -> dict:
    return {
        "apiVersion": GATEWAY_API, "kind": "Gateway",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "gatewayClassName": "gaap-genai",
            "listeners": [{
                "name": "https", "protocol": "HTTPS", "port": 443, "hostname": "chat.example.com",
                "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": secret}]},
                "allowedRoutes": {"namespaces": {"from": "All"}},
            }],
        },
    }


@pytest.fixture(scope="module")
def cluster(crd_client: dynamic.DynamicClient) -> dict[str, dynamic.Resource]:
    client = crd_client
    make_namespace(client, NAMESPACE)
    resources = {
        "deployments": client.resources.get(api_version="apps/v1", kind="Deployment"),
        "services": client.resources.get(api_version="v1", kind="Service"),
        "pods": client.resources.get(api_version="v1", kind="Pod"),
        "secrets": client.resources.get(api_version="v1", kind="Secret"),
        "classes": client.resources.get(api_version=GATEWAY_API, kind="GatewayClass"),
        "gateways": client.resources.get(api_version=GATEWAY_API, kind="Gateway"),
        "routes": client.resources.get(api_version=GATEWAY_API, kind="HTTPRoute"),
    }
    resources["deployments"].create(body=_controller("envoy-gateway", "docker.io/envoyproxy/gateway:v1.6.0",
                                                     {"app.kubernetes.io/name": "envoy-gateway", "control-plane": "envoy-gateway"}), namespace=NAMESPACE)
    resources["deployments"].create(body=_controller("ai-gateway-controller", "docker.io/envoyproxy/ai-gateway-controller:v0.4.0",
                                                     {"app.kubernetes.io/name": "ai-gateway-controller"}), namespace=NAMESPACE)
    for name in ("envoy-gateway", "ai-gateway-controller"):
        wait_for(lambda name=name: (resources["deployments"].get(name=name, namespace=NAMESPACE).status or {}).get("readyReplicas"), f"{name} ready")

    key, certificate = _key_and_certificate("chat.example.com")
    resources["secrets"].create(body=_secret(f"{GATEWAY}-tls", certificate, key), namespace=NAMESPACE)
    resources["classes"].create(body={"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": "gaap-genai"},
                                      "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}})
    resources["gateways"].create(body=_gateway(GATEWAY, f"{GATEWAY}-tls"), namespace=NAMESPACE)
    return resources


def _condition(obj: dynamic.ResourceInstance | dict, condition_type: str) -> dict | None:
    conditions = (obj.get("status") or {}).get("conditions") or [] if isinstance(obj, dict) else (obj.status or {}).get("conditions") or []
    return next((dict(entry) for entry in conditions if entry["type"] == condition_type), None)


def _programmed_gateway(cluster: dict, name: str) -> dict | None:
    gateway = cluster["gateways"].get(name=name, namespace=NAMESPACE).to_dict()
    condition = _condition(gateway, "Programmed")
    return gateway if condition and condition["status"] == "True" else None


def test_gateway_class_accepted(cluster: dict) -> None:
    def accepted() -> bool:
        condition = _condition(cluster["classes"].get(name="gaap-genai").to_dict(), "Accepted")
        return bool(condition and condition["status"] == "True")

    wait_for(accepted, "GatewayClass gaap-genai accepted")


def test_proxy_deployment_named_and_labelled(cluster: dict) -> None:
    deployment = wait_for(lambda: cluster["deployments"].get(name=PROXY, namespace=NAMESPACE), f"deployment {PROXY}")
    labels = deployment.metadata.labels.to_dict()
    assert labels == {
        "app.kubernetes.io/name": "envoy",
        "app.kubernetes.io/component": "proxy",
        "app.kubernetes.io/managed-by": "envoy-gateway",
        "gateway.envoyproxy.io/owning-gateway-name": GATEWAY,
        "gateway.envoyproxy.io/owning-gateway-namespace": NAMESPACE,
    }
    assert deployment.spec.template.metadata.labels.to_dict() == labels


def test_proxy_service_is_load_balancer(cluster: dict) -> None:
    service = wait_for(lambda: cluster["services"].get(name=PROXY, namespace=NAMESPACE), f"service {PROXY}")
    assert service.spec.type == "LoadBalancer"
    service = wait_for(lambda: (svc := cluster["services"].get(name=PROXY, namespace=NAMESPACE)).status.loadBalancer.ingress and svc, "load balancer address")
    assert service.status.loadBalancer.ingress[0].ip


def test_proxy_pod_has_three_containers(cluster: dict) -> None:
    selector = f"gateway.envoyproxy.io/owning-gateway-name={GATEWAY}"
    pods = wait_for(lambda: cluster["pods"].get(namespace=NAMESPACE, label_selector=selector).items, "proxy pods")
    names = [container.name for container in pods[0].spec.containers]
    assert names == ["envoy", "shutdown-manager", "ai-gateway-extproc"]


def test_extproc_image_follows_controller(cluster: dict) -> None:
    selector = f"gateway.envoyproxy.io/owning-gateway-name={GATEWAY}"
    pods = wait_for(lambda: cluster["pods"].get(namespace=NAMESPACE, label_selector=selector).items, "proxy pods")
    images = {container.name: container.image for container in pods[0].spec.containers}
    assert images["ai-gateway-extproc"] == "docker.io/envoyproxy/ai-gateway-extproc:v0.4.0"


def test_envoy_readiness_probe(cluster: dict) -> None:
    deployment = wait_for(lambda: cluster["deployments"].get(name=PROXY, namespace=NAMESPACE), f"deployment {PROXY}")
    probes = {container.name: container.readinessProbe.httpGet for container in deployment.spec.template.spec.containers}
    assert (probes["envoy"].path, probes["envoy"].port) == ("/ready", 19003)
    assert (probes["shutdown-manager"].path, probes["shutdown-manager"].port) == ("/healthz", 19002)


def test_gateway_programmed_with_address(cluster: dict) -> None:
    gateway = wait_for(lambda: _programmed_gateway(cluster, GATEWAY), f"Gateway {GATEWAY} programmed")
    assert gateway["status"]["addresses"][0]["type"] == "IPAddress"
    listener = gateway["status"]["listeners"][0]
    assert listener["name"] == "https"
    assert {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"} in listener["supportedKinds"]
    resolved = next(entry for entry in listener["conditions"] if entry["type"] == "ResolvedRefs")
    assert resolved["status"] == "True"


def test_route_attaches_to_listener(cluster: dict) -> None:
    route = {"apiVersion": GATEWAY_API, "kind": "HTTPRoute", "metadata": {"name": "chat", "namespace": NAMESPACE},
             "spec": {"parentRefs": [{"name": GATEWAY}], "rules": [{"backendRefs": [{"name": "backend", "port": 8080}]}]}}
    cluster["routes"].create(body=route, namespace=NAMESPACE)

    def attached() -> bool:
        gateway = cluster["gateways"].get(name=GATEWAY, namespace=NAMESPACE).to_dict()
        return gateway["status"]["listeners"][0]["attachedRoutes"] == 1

    wait_for(attached, "route attached to the listener")
    parents = cluster["routes"].get(name="chat", namespace=NAMESPACE).to_dict()["status"]["parents"]
    assert parents[0]["controllerName"] == "gateway.envoyproxy.io/gatewayclass-controller"


def _resolved_refs(cluster: dict, name: str) -> dict | None:
    gateway = cluster["gateways"].get(name=name, namespace=NAMESPACE).to_dict()
    listeners = (gateway.get("status") or {}).get("listeners") or []
    if not listeners:
        return None
    return next((entry for entry in listeners[0]["conditions"] if entry["type"] == "ResolvedRefs"), None)


def test_missing_secret_invalid_certificate_ref(cluster: dict) -> None:
    cluster["gateways"].create(body=_gateway("no-secret", "no-secret-tls"), namespace=NAMESPACE)
    condition = wait_for(lambda: _resolved_refs(cluster, "no-secret"), "listener status of no-secret")
    assert condition["status"] == "False"
    assert condition["reason"] == "InvalidCertificateRef"


def test_opaque_secret_invalid_certificate_ref(cluster: dict) -> None:
    key, certificate = _key_and_certificate("chat.example.com")
    cluster["secrets"].create(body=_secret("opaque-tls", certificate, key, "Opaque"), namespace=NAMESPACE)
    cluster["gateways"].create(body=_gateway("opaque", "opaque-tls"), namespace=NAMESPACE)
    condition = wait_for(lambda: _resolved_refs(cluster, "opaque"), "listener status of opaque")
    assert condition["reason"] == "InvalidCertificateRef"


def test_mismatched_key_invalid_certificate_ref(cluster: dict) -> None:
    key, certificate = _key_and_certificate("chat.example.com")
    other_key, other_certificate = _key_and_certificate("chat.example.com")
    cluster["secrets"].create(body=_secret("mismatch-tls", certificate, other_key), namespace=NAMESPACE)
    cluster["gateways"].create(body=_gateway("mismatch", "mismatch-tls"), namespace=NAMESPACE)
    condition = wait_for(lambda: _resolved_refs(cluster, "mismatch"), "listener status of mismatch")
    assert condition["reason"] == "InvalidCertificateRef"
    assert "does not match" in condition["message"]


def test_garbage_certificate_invalid_certificate_ref(cluster: dict) -> None:
    cluster["secrets"].create(body=_secret("garbage-tls", b"not a certificate", b"not a key"), namespace=NAMESPACE)
    cluster["gateways"].create(body=_gateway("garbage", "garbage-tls"), namespace=NAMESPACE)
    condition = wait_for(lambda: _resolved_refs(cluster, "garbage"), "listener status of garbage")
    assert condition["reason"] == "InvalidCertificateRef"


def test_deleted_gateway_removes_proxy(cluster: dict) -> None:
    cluster["gateways"].create(body=_gateway("short-lived", f"{GATEWAY}-tls"), namespace=NAMESPACE)
    selector = "gateway.envoyproxy.io/owning-gateway-name=short-lived"
    wait_for(lambda: cluster["deployments"].get(namespace=NAMESPACE, label_selector=selector).items, "proxy of short-lived")
    cluster["gateways"].delete(name="short-lived", namespace=NAMESPACE)
    wait_for(lambda: not cluster["deployments"].get(namespace=NAMESPACE, label_selector=selector).items, "proxy deployment removed")
    wait_for(lambda: not cluster["services"].get(namespace=NAMESPACE, label_selector=selector).items, "proxy service removed")
    wait_for(lambda: not cluster["pods"].get(namespace=NAMESPACE, label_selector=selector).items, "proxy pods removed")


@pytest.mark.parametrize(
    ("address", "accepted"),
    [
        ({"type": "IPAddress", "value": "192.0.2.10"}, True),
        ({"type": "IPAddress", "value": "2001:db8::1"}, True),
        ({"type": "IPAddress", "value": "not-an-ip"}, False),
        ({"type": "Hostname", "value": "gateway.example.com"}, True),
    ],
)
def test_gateway_address_one_of(cluster: dict, address: dict, accepted: bool) -> None:
    body = _gateway(f"address-{abs(hash(address['value'])) % 100000}", f"{GATEWAY}-tls")
    body["spec"]["addresses"] = [address]
    if accepted:
        cluster["gateways"].create(body=body, namespace=NAMESPACE, dry_run="All")
        return
    with pytest.raises(UnprocessibleEntityError) as caught:
        cluster["gateways"].create(body=body, namespace=NAMESPACE, dry_run="All")
    assert "spec.addresses[0]" in str(caught.value.body)


def test_proxy_pod_name_fits_63(cluster: dict) -> None:
    selector = f"gateway.envoyproxy.io/owning-gateway-name={GATEWAY}"
    pods = wait_for(lambda: cluster["pods"].get(namespace=NAMESPACE, label_selector=selector).items, "proxy pods")
    name = pods[0].metadata.name
    assert len(name) == 63
    assert name.startswith(PROXY + "-")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed; install it to run the kubectl checks")
def test_kubectl_apply_route_twice(kubesim_with_crds: RunningKubesim, cluster: dict, tmp_path: Path) -> None:
    manifest = tmp_path / "route.yaml"
    manifest.write_text(
        f"apiVersion: {GATEWAY_API}\nkind: HTTPRoute\nmetadata:\n  name: applied\n  namespace: {NAMESPACE}\n"
        f"spec:\n  parentRefs:\n  - name: {GATEWAY}\n  rules:\n  - backendRefs:\n    - name: backend\n      port: 8080\n",
        encoding="utf-8",
    )
    command = ["kubectl", "--kubeconfig", str(kubesim_with_crds.kubeconfig), "--cache-dir", str(tmp_path / "cache"), "apply", "-f", str(manifest)]
    first = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert first.stdout.strip() == "httproute.gateway.networking.k8s.io/applied created", first.stderr
    route = wait_for(lambda: (found := cluster["routes"].get(name="applied", namespace=NAMESPACE)).to_dict().get("status", {}).get("parents") and found,
                     "status of route applied")
    version = route.metadata.resourceVersion
    second = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    # kubectl says "configured" here, as on a real cluster: the CRD defaults fill list entries
    # (parentRefs group and kind), so its merge patch replaces the atomic lists with the same values.
    assert second.returncode == 0, second.stderr
    assert cluster["routes"].get(name="applied", namespace=NAMESPACE).metadata.resourceVersion == version


def test_duplicate_listener_names_rejected(cluster: dict) -> None:
    body = _gateway("twin-listeners", f"{GATEWAY}-tls")
    second = dict(body["spec"]["listeners"][0], hostname="other.example.com")
    body["spec"]["listeners"].append(second)
    with pytest.raises(UnprocessibleEntityError) as caught:
        cluster["gateways"].create(body=body, namespace=NAMESPACE, dry_run="All")
    assert "Listener name must be unique within the Gateway" in str(caught.value.body)


def test_http_listener_with_tls_rejected(cluster: dict) -> None:
    body = _gateway("plain-http", f"{GATEWAY}-tls")
    body["spec"]["listeners"][0]["protocol"] = "HTTP"
    with pytest.raises(UnprocessibleEntityError) as caught:
        cluster["gateways"].create(body=body, namespace=NAMESPACE, dry_run="All")
    assert "spec.listeners" in str(caught.value.body)
