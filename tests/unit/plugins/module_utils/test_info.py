"""State rules of an endpoint, decided from object dicts written by hand."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.gaap.genai.plugins.module_utils import _info as info
from ansible_collections.gaap.genai.plugins.module_utils._info import ControllerState, EndpointObjects

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
NAMESPACE = "gaap-controller"
NAME = "chat"
PROXY = "envoy-gaap-controller-chat-1a2b3c4d"
READY_CONTROLLERS = [ControllerState("envoy-gateway", True, "ready"), ControllerState("ai-gateway-controller", True, "ready")]


def certificate_pem(not_after: datetime.datetime) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chat.example.test")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - datetime.timedelta(days=365))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("chat.example.test")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


VALID_PEM = certificate_pem(NOW + datetime.timedelta(days=60, hours=1))
EXPIRED_PEM = certificate_pem(NOW - datetime.timedelta(days=1))


def secret(pem: str = VALID_PEM) -> dict:
    return {
        "metadata": {"name": f"{NAME}-tls", "namespace": NAMESPACE},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": base64.b64encode(pem.encode()).decode(), "tls.key": "c2VjcmV0LWtleS1ieXRlcw=="},
    }


def condition(condition_type: str, status: str, reason: str = "", message: str = "") -> dict:
    return {"type": condition_type, "status": status, "reason": reason, "message": message}


def gateway(programmed: str = "True", accepted: str = "True", accepted_reason: str = "Accepted", resolved: dict | None = None) -> dict:
    return {
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACE,
            "annotations": {"genai.gaap.io/description": "Chat models", "genai.gaap.io/cluster": "gpu-1"},
        },
        "spec": {"listeners": [{"name": "https", "hostname": "chat.example.test", "port": 443}]},
        "status": {
            "conditions": [
                condition("Accepted", accepted, accepted_reason),
                condition("Programmed", programmed, "Programmed" if programmed == "True" else "Pending"),
            ],
            "listeners": [{"name": "https", "conditions": [resolved or condition("ResolvedRefs", "True", "ResolvedRefs")]}],
        },
    }


def deployment(replicas: int | None = 1) -> dict:
    spec: dict[str, Any] = {} if replicas is None else {"replicas": replicas}
    return {"metadata": {"name": PROXY, "namespace": NAMESPACE}, "spec": spec, "status": {}}


def pod(name: str = "p1", phase: str = "Running", ready: bool = True, waiting: str | None = None, unschedulable: bool = False, deleting: bool = False) -> dict:
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    conditions = [condition("PodScheduled", "False", "Unschedulable")] if unschedulable else []
    metadata: dict[str, Any] = {"name": name, "namespace": NAMESPACE}
    if deleting:
        metadata["deletionTimestamp"] = "2026-06-01T11:59:00Z"
    return {
        "metadata": metadata,
        "spec": {"containers": [{"name": "envoy"}]},
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [{"name": "envoy", "ready": ready, "state": state}],
        },
    }


def objects(**changes: Any) -> EndpointObjects:
    values = {"gateway": gateway(), "secret": secret(), "deployment": deployment(), "service": None, "pods": [pod()]}
    values.update(changes)
    return EndpointObjects(**values)


def decide(endpoint: EndpointObjects, controllers: list[ControllerState]) -> tuple[str, str]:
    facts = info.describe_endpoint(endpoint, controllers, now=NOW)
    return facts["state"], facts["reason"]


NOT_READY_CONTROLLER = [ControllerState("envoy-gateway", False, "0 of 1 replicas ready"), READY_CONTROLLERS[1]]

CASES = [
    # id, objects, controllers, expected state, words expected in the reason
    ("all ready", objects(), READY_CONTROLLERS, "Active", "1 of 1"),
    ("replicas unset means one", objects(deployment=deployment(None)), READY_CONTROLLERS, "Active", "1 of 1"),
    ("two of two ready", objects(deployment=deployment(2), pods=[pod("a"), pod("b")]), READY_CONTROLLERS, "Active", "2 of 2"),
    ("no proxy deployment", objects(deployment=None, pods=[]), READY_CONTROLLERS, "Initializing", PROXY[:20]),
    ("pod creating containers", objects(pods=[pod(phase="Pending", ready=False, waiting="ContainerCreating")]),
     READY_CONTROLLERS, "Initializing", "ContainerCreating"),
    ("no pods yet", objects(pods=[]), READY_CONTROLLERS, "Initializing", "0 of 1"),
    ("gateway not programmed", objects(gateway=gateway(programmed="Unknown")), READY_CONTROLLERS, "Initializing", "not Programmed"),
    ("gateway accepted pending", objects(gateway=gateway(programmed="Unknown", accepted="False", accepted_reason="Pending")),
     READY_CONTROLLERS, "Initializing", "not Programmed"),
    ("starting pods controllers down", objects(pods=[pod(phase="Pending", ready=False, waiting="ContainerCreating")]),
     NOT_READY_CONTROLLER, "Initializing", "0 of 1"),
    ("one of two ready", objects(deployment=deployment(2), pods=[pod("a"), pod("b", ready=False)]), READY_CONTROLLERS, "Degraded", "1 of 2"),
    ("one of two pods exist", objects(deployment=deployment(2), pods=[pod("a")]), READY_CONTROLLERS, "Degraded", "1 of 2"),
    ("controller not ready", objects(), NOT_READY_CONTROLLER, "Degraded", "envoy-gateway"),
    ("controller missing", objects(), [ControllerState("ai-gateway-controller", False, "Deployment not found")], "Degraded", "Deployment not found"),
    ("terminating pod ignored", objects(pods=[pod("a"), pod("old", ready=False, deleting=True)]), READY_CONTROLLERS, "Active", "1 of 1"),
    ("evicted pod ignored", objects(pods=[pod("a"), pod("gone", phase="Failed", ready=False)]), READY_CONTROLLERS, "Active", "1 of 1"),
    ("secret missing", objects(secret=None), READY_CONTROLLERS, "Failed", "chat-tls is missing"),
    ("secret without certificate", objects(secret={"metadata": {"name": "chat-tls"}, "data": {}}), READY_CONTROLLERS, "Failed", "no readable certificate"),
    ("secret with garbage", objects(secret=secret("not a certificate")), READY_CONTROLLERS, "Failed", "no readable certificate"),
    ("certificate expired", objects(secret=secret(EXPIRED_PEM)), READY_CONTROLLERS, "Failed", "expired"),
    ("invalid certificate ref", objects(gateway=gateway(resolved=condition("ResolvedRefs", "False", "InvalidCertificateRef", "secret chat-tls not found"))),
     READY_CONTROLLERS, "Failed", "InvalidCertificateRef"),
    ("gateway not accepted", objects(gateway=gateway(accepted="False", accepted_reason="InvalidParameters")), READY_CONTROLLERS, "Failed", "InvalidParameters"),
    ("image pull back off", objects(pods=[pod(phase="Pending", ready=False, waiting="ImagePullBackOff")]), READY_CONTROLLERS, "Failed", "ImagePullBackOff"),
    ("err image pull", objects(pods=[pod(phase="Pending", ready=False, waiting="ErrImagePull")]), READY_CONTROLLERS, "Failed", "ErrImagePull"),
    ("crash loop back off", objects(deployment=deployment(2), pods=[pod("a"), pod("b", ready=False, waiting="CrashLoopBackOff")]),
     READY_CONTROLLERS, "Failed", "CrashLoopBackOff"),
    ("unschedulable pod", objects(pods=[pod(phase="Pending", ready=False, unschedulable=True)]), READY_CONTROLLERS, "Failed", "Unschedulable"),
    ("scaled to zero", objects(deployment=deployment(0), pods=[]), READY_CONTROLLERS, "Failed", "0 replicas"),
    ("secret missing beats starting", objects(secret=None, pods=[pod(phase="Pending", ready=False, waiting="ContainerCreating")]),
     READY_CONTROLLERS, "Failed", "missing"),
]


@pytest.mark.parametrize(
    ("endpoint", "controllers", "expected", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_state_rules(endpoint: EndpointObjects, controllers: list[ControllerState], expected: str, words: str) -> None:
    state, reason = decide(endpoint, controllers)

    assert state == expected, reason
    assert words in reason


def test_facts_copy_annotations() -> None:
    facts = info.describe_endpoint(objects(), READY_CONTROLLERS, now=NOW)

    assert facts["description"] == "Chat models"
    assert facts["cluster"] == "gpu-1"
    assert facts["hostname"] == "chat.example.test"


def test_facts_count_pods() -> None:
    facts = info.describe_endpoint(objects(deployment=deployment(3), pods=[pod("a"), pod("b", ready=False)]), READY_CONTROLLERS, now=NOW)

    assert facts["pods_ready"] == 1
    assert facts["pods_desired"] == 3


def test_facts_certificate_expiry() -> None:
    facts = info.describe_endpoint(objects(), READY_CONTROLLERS, now=NOW)

    assert facts["certificate_days_left"] == 60
    assert facts["certificate_not_after"].startswith("2026-07-31T13:00:00")


def test_facts_expired_days_negative() -> None:
    facts = info.describe_endpoint(objects(secret=secret(EXPIRED_PEM)), READY_CONTROLLERS, now=NOW)

    assert facts["certificate_days_left"] == -1


def test_facts_never_contain_secret_data() -> None:
    facts = info.describe_endpoint(objects(), READY_CONTROLLERS, now=NOW)
    text = repr(facts)

    assert "c2VjcmV0LWtleS1ieXRlcw==" not in text
    assert secret()["data"]["tls.crt"][:40] not in text


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (None, None),
        ({"status": {}}, None),
        ({"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}}, "203.0.113.10"),
        ({"status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.test"}]}}}, "lb.example.test"),
        ({"status": {"loadBalancer": {"ingress": [{}, {"ip": "203.0.113.11"}]}}}, "203.0.113.11"),
    ],
    ids=["no service", "no status", "ip", "hostname", "first with address"],
)
def test_proxy_address(service: dict | None, expected: str | None) -> None:
    assert info.proxy_address(service) == expected


@pytest.mark.parametrize(
    ("deployment_object", "ready", "reason"),
    [
        (None, False, "Deployment not found"),
        (
            {"metadata": {"generation": 1}, "spec": {"replicas": 1},
             "status": {"observedGeneration": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}},
            True,
            "ready",
        ),
        (
            {"metadata": {"generation": 1}, "spec": {"replicas": 2}, "status": {"observedGeneration": 1, "readyReplicas": 1}},
            False,
            "1 of 2 replicas ready",
        ),
    ],
    ids=["missing", "ready", "partly ready"],
)
def test_controller_state(deployment_object: dict | None, ready: bool, reason: str) -> None:
    state = info.controller_state("envoy-gateway", deployment_object)

    assert state.ready is ready
    assert state.reason == reason
