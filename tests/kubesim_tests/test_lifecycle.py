"""The kubesim process: start-up, kubeconfig, clean stop, state file, watch and fault injection."""

from __future__ import annotations

import base64
import http.client
import signal
import ssl
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from kubesim.testing import RunningKubesim, running_kubesim, start_kubesim

from .conftest import POD_START_SECONDS, client_for, raw_request, wait_for


def test_kubeconfig_names_kubesim(kubesim: RunningKubesim) -> None:
    document = yaml.safe_load(kubesim.kubeconfig.read_text(encoding="utf-8"))
    assert document["current-context"] == "kubesim"
    assert document["clusters"][0]["name"] == "kubesim"
    assert document["clusters"][0]["cluster"]["server"].startswith("https://127.0.0.1:")
    assert document["users"][0]["user"]["token"]


def test_kubeconfig_readable_by_owner_only(kubesim: RunningKubesim) -> None:
    assert kubesim.kubeconfig.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(tmp_path: Path, stop_signal: signal.Signals) -> None:
    cluster = start_kubesim(tmp_path, pod_start_seconds=POD_START_SECONDS)
    cluster.process.send_signal(stop_signal)
    assert cluster.process.wait(timeout=15) == 0
    assert "kubesim stopped" in cluster.log_text()


def test_state_file_survives_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept", "namespace": "default"}, "data": {"a": "1"}}
    with running_kubesim(tmp_path / "first", state_file=state) as cluster:
        status, created, headers = raw_request(cluster, "POST", "/api/v1/namespaces/default/configmaps", config_map)
        assert status == 201
    with running_kubesim(tmp_path / "second", state_file=state) as cluster:
        status, fetched, headers = raw_request(cluster, "GET", "/api/v1/namespaces/default/configmaps/kept")
    assert status == 200
    assert fetched["metadata"]["uid"] == created["metadata"]["uid"]
    assert int(fetched["metadata"]["resourceVersion"]) >= int(created["metadata"]["resourceVersion"])


def test_error_responses_logged(kubesim: RunningKubesim) -> None:
    raw_request(kubesim, "GET", "/api/v1/namespaces/default/configmaps/logged-absent")
    assert 'configmaps "logged-absent" not found' in kubesim.log_text()


def test_secret_data_never_logged(kubesim: RunningKubesim) -> None:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "Bad_Name", "namespace": "default"}, "stringData": {"k": "hunter2-value"}}
    status, answer, headers = raw_request(kubesim, "POST", "/api/v1/namespaces/default/secrets", body)
    assert status == 422
    assert "hunter2-value" not in kubesim.log_text()


def test_watch_streams_changes(kubesim: RunningKubesim) -> None:
    client = client_for(kubesim)
    config_maps = client.resources.get(api_version="v1", kind="ConfigMap")
    listing = config_maps.get(namespace="default")
    seen: list[tuple[str, str]] = []

    def watch_events() -> None:
        for event in config_maps.watch(namespace="default", resource_version=listing.metadata.resourceVersion, timeout=10):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                return

    thread = threading.Thread(target=watch_events)
    thread.start()
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched", "namespace": "default"}, "data": {"a": "1"}}
    config_maps.create(body=body, namespace="default")
    config_maps.patch(name="watched", namespace="default", body={"data": {"a": "2"}}, content_type="application/merge-patch+json")
    config_maps.delete(name="watched", namespace="default")
    thread.join(timeout=15)
    assert [entry for entry in seen if entry[1] == "watched"] == [("ADDED", "watched"), ("MODIFIED", "watched"), ("DELETED", "watched")]


def test_watch_without_version_lists_first(kubesim: RunningKubesim) -> None:
    client = client_for(kubesim)
    namespaces = client.resources.get(api_version="v1", kind="Namespace")
    events = list(namespaces.watch(timeout=1))
    names = {event["object"].metadata.name for event in events if event["type"] == "ADDED"}
    assert {"default", "kube-system"} <= names


def test_fault_rule_answers_status(kubesim: RunningKubesim) -> None:
    rule = {"rules": [{"type": "status", "code": 503, "path": "/api/v1/namespaces/default/services", "count": 1}]}
    status, answer, response_headers = raw_request(kubesim, "POST", "/kubesim/faults", rule)
    assert status == 200
    status, answer, headers = raw_request(kubesim, "GET", "/api/v1/namespaces/default/services")
    assert status == 503
    assert headers["Retry-After"] == "1"
    status, answer, response_headers = raw_request(kubesim, "GET", "/api/v1/namespaces/default/services")
    assert status == 200
    assert "injected fault status on GET /api/v1/namespaces/default/services" in kubesim.log_text()


def test_fault_endpoint_requires_token(kubesim: RunningKubesim) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(kubesim.url + "/kubesim/faults", method="GET"), context=context)
    assert caught.value.code == 401


def test_pod_fault_image_pull_back_off(kubesim: RunningKubesim) -> None:
    rule = {"rules": [{"type": "pod", "mode": "ImagePullBackOff", "labelSelector": "fault=pull"}]}
    raw_request(kubesim, "POST", "/kubesim/faults", rule)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "broken-pull", "namespace": "default", "labels": {"fault": "pull"}},
           "spec": {"containers": [{"name": "app", "image": "registry.example/missing:1"}]}}
    raw_request(kubesim, "POST", "/api/v1/namespaces/default/pods", pod)

    def waiting_reason() -> str | None:
        status, current, headers = raw_request(kubesim, "GET", "/api/v1/namespaces/default/pods/broken-pull")
        statuses = (current.get("status") or {}).get("containerStatuses") or []
        return statuses and (statuses[0]["state"].get("waiting") or {}).get("reason")

    assert wait_for(waiting_reason, "container status of broken-pull") == "ImagePullBackOff"


def test_pod_fault_unschedulable(kubesim: RunningKubesim) -> None:
    rule = {"rules": [{"type": "pod", "mode": "Unschedulable", "labelSelector": "fault=pending"}]}
    raw_request(kubesim, "POST", "/kubesim/faults", rule)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stuck", "namespace": "default", "labels": {"fault": "pending"}},
           "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}}
    raw_request(kubesim, "POST", "/api/v1/namespaces/default/pods", pod)

    def scheduled_reason() -> str | None:
        status, current, headers = raw_request(kubesim, "GET", "/api/v1/namespaces/default/pods/stuck")
        conditions = (current.get("status") or {}).get("conditions") or []
        return next((entry.get("reason") for entry in conditions if entry["type"] == "PodScheduled"), None)

    assert wait_for(scheduled_reason, "PodScheduled condition of stuck") == "Unschedulable"


def test_fault_rate_one_fails_everything(tmp_path: Path) -> None:
    with running_kubesim(tmp_path, fault_rate=1.0) as cluster:
        status, answer, headers = raw_request(cluster, "GET", "/api/v1/namespaces")
    assert status in (429, 500, 503)
    assert answer["kind"] == "Status"


def test_busy_port_fails_with_message(kubesim: RunningKubesim, tmp_path: Path) -> None:
    port = kubesim.url.rsplit(":", 1)[1]
    with pytest.raises(RuntimeError) as caught:
        start_kubesim(tmp_path, port=port)
    assert f"cannot listen on 127.0.0.1:{port}" in str(caught.value)


def test_fault_rule_drops_connection(kubesim: RunningKubesim) -> None:
    rule = {"rules": [{"type": "drop", "path": "/api/v1/namespaces/default/endpoints", "count": 1}]}
    raw_request(kubesim, "POST", "/kubesim/faults", rule)
    with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
        raw_request(kubesim, "GET", "/api/v1/namespaces/default/endpoints")
    status, answer, headers = raw_request(kubesim, "GET", "/api/v1/namespaces/default/endpoints")
    assert status == 200


def test_fault_rule_delays_response(kubesim: RunningKubesim) -> None:
    rule = {"rules": [{"type": "delay", "seconds": 0.3, "path": "/api/v1/namespaces/default/serviceaccounts", "count": 1}]}
    raw_request(kubesim, "POST", "/kubesim/faults", rule)
    status, answer, headers = raw_request(kubesim, "GET", "/api/v1/namespaces/default/serviceaccounts")
    assert status == 200
    assert "injected fault delay on GET /api/v1/namespaces/default/serviceaccounts" in kubesim.log_text()


def test_fault_rules_cleared(kubesim: RunningKubesim) -> None:
    raw_request(kubesim, "POST", "/kubesim/faults", {"rules": [{"type": "status", "code": 500, "path": "/never"}]})
    status, answer, headers = raw_request(kubesim, "DELETE", "/kubesim/faults")
    assert status == 200
    assert answer["rules"] == []


def test_invalid_fault_rule_rejected(kubesim: RunningKubesim) -> None:
    status, answer, headers = raw_request(kubesim, "POST", "/kubesim/faults", {"rules": [{"type": "explode"}]})
    assert status == 400
    assert "fault type" in answer["message"]


def test_invalid_yaml_not_echoed(kubesim: RunningKubesim) -> None:
    body = "apiVersion: v1\nkind: Secret\nmetadata: {name: leak}\nstringData: {password: hunter2-yaml: [}\n"
    context = ssl.create_default_context(cadata=_ca_text(kubesim))
    request = urllib.request.Request(kubesim.url + "/api/v1/namespaces/default/secrets/leak?fieldManager=test", data=body.encode(), method="PATCH")
    request.add_header("Authorization", f"Bearer {kubesim.token}")
    request.add_header("Content-Type", "application/apply-patch+yaml")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, context=context)
    assert caught.value.code == 400
    assert "hunter2-yaml" not in caught.value.read().decode()
    assert "hunter2-yaml" not in kubesim.log_text()


def _ca_text(cluster: RunningKubesim) -> str:
    document = yaml.safe_load(cluster.kubeconfig.read_text(encoding="utf-8"))
    return base64.b64decode(document["clusters"][0]["cluster"]["certificate-authority-data"]).decode()


def test_state_saved_while_running(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    cluster = start_kubesim(tmp_path / "run", state_file=state)
    try:
        config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "early", "namespace": "default"}}
        raw_request(cluster, "POST", "/api/v1/namespaces/default/configmaps", config_map)
        wait_for(lambda: state.exists() and "early" in state.read_text(encoding="utf-8"), "the state file to contain the ConfigMap", timeout=20)
    finally:
        cluster.process.kill()
        cluster.process.wait()


def test_create_error_logged_with_name(kubesim: RunningKubesim) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Logged_Name", "namespace": "default"}}
    status, answer, headers = raw_request(kubesim, "POST", "/api/v1/namespaces/default/configmaps", body)
    assert status == 422
    assert "returned 422 Invalid for POST /api/v1/namespaces/default/configmaps (ConfigMap default/Logged_Name)" in kubesim.log_text()


def test_pod_fault_crash_loop(kubesim: RunningKubesim) -> None:
    rule = {"rules": [{"type": "pod", "mode": "CrashLoopBackOff", "labelSelector": "fault=crash", "namespace": "default"}]}
    raw_request(kubesim, "POST", "/kubesim/faults", rule)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crashing", "namespace": "default", "labels": {"fault": "crash"}},
           "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}}
    raw_request(kubesim, "POST", "/api/v1/namespaces/default/pods", pod)

    def crash_status() -> dict | None:
        status, current, headers = raw_request(kubesim, "GET", "/api/v1/namespaces/default/pods/crashing")
        statuses = (current.get("status") or {}).get("containerStatuses") or []
        waiting = statuses and (statuses[0]["state"].get("waiting") or {})
        return statuses[0] if waiting and waiting.get("reason") == "CrashLoopBackOff" else None

    status = wait_for(crash_status, "container of crashing in CrashLoopBackOff")
    assert status["ready"] is False
    assert status["lastState"]["terminated"]["exitCode"] == 1


def test_stuck_rollout_exceeds_deadline(kubesim: RunningKubesim) -> None:
    rule = {"rules": [{"type": "pod", "mode": "ImagePullBackOff", "labelSelector": "app=stuck-rollout"}]}
    raw_request(kubesim, "POST", "/kubesim/faults", rule)
    labels = {"app": "stuck-rollout"}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "stuck-rollout", "namespace": "default"},
                  "spec": {"progressDeadlineSeconds": 1, "selector": {"matchLabels": labels},
                           "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "registry.example/missing:1"}]}}}}
    raw_request(kubesim, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment)

    def progressing() -> dict | None:
        status, current, headers = raw_request(kubesim, "GET", "/apis/apps/v1/namespaces/default/deployments/stuck-rollout")
        condition = next((entry for entry in (current.get("status") or {}).get("conditions") or [] if entry["type"] == "Progressing"), None)
        return condition if condition and condition["status"] == "False" else None

    condition = wait_for(progressing, "Progressing=False on stuck-rollout")
    assert condition["reason"] == "ProgressDeadlineExceeded"
