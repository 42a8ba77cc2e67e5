"""kubectl against kubesim: the commands the project and its users rely on."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from kubesim.testing import RunningKubesim

from .conftest import wait_for

KUBECTL = shutil.which("kubectl")
NAMESPACE = "kubectl-demo"

MANIFEST = f"""
apiVersion: v1
kind: Namespace
metadata:
  name: {NAMESPACE}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: {NAMESPACE}
data:
  level: info
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {NAMESPACE}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: registry.example/web:1
        ports:
        - containerPort: 8080
"""

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed; install it to run the kubectl checks")


@pytest.fixture(scope="module")
def kubectl(kubesim: RunningKubesim, tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("kubectl-cache")

    def run(*arguments: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [KUBECTL, "--kubeconfig", str(kubesim.kubeconfig), "--cache-dir", str(cache), *arguments]
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False, timeout=60)
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(arguments)} failed: {result.stderr}"
        return result

    return run


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("manifests") / "demo.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    return path


def test_apply_creates_objects(kubectl, manifest: Path) -> None:
    output = kubectl("apply", "-f", str(manifest)).stdout
    assert f"namespace/{NAMESPACE} created" in output
    assert "deployment.apps/web created" in output


def test_second_apply_unchanged(kubectl, manifest: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    output = kubectl("apply", "-f", str(manifest)).stdout
    assert "configmap/settings unchanged" in output
    assert "deployment.apps/web unchanged" in output


def test_apply_change_configured(kubectl, manifest: Path, tmp_path: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    changed = tmp_path / "changed.yaml"
    changed.write_text(MANIFEST.replace("level: info", "level: debug"), encoding="utf-8")
    output = kubectl("apply", "-f", str(changed)).stdout
    assert "configmap/settings configured" in output
    document = json.loads(kubectl("get", "configmap", "settings", "-n", NAMESPACE, "-o", "json").stdout)
    assert document["data"] == {"level": "debug"}


def test_get_json_returns_object(kubectl, manifest: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    document = json.loads(kubectl("get", "deployment", "web", "-n", NAMESPACE, "-o", "json").stdout)
    assert document["kind"] == "Deployment"
    assert document["spec"]["replicas"] == 2


def test_get_table_lists_pods(kubectl, manifest: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    kubectl("wait", "--for=condition=Available", "deployment/web", "-n", NAMESPACE, "--timeout=30s")
    output = kubectl("get", "pods", "-n", NAMESPACE).stdout
    assert output.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert output.count("Running") == 2


def test_wait_pods_ready_by_label(kubectl, manifest: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    output = kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=web", "-n", NAMESPACE, "--timeout=30s").stdout
    assert output.count("condition met") == 2


def test_rollout_status_succeeds(kubectl, manifest: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    output = kubectl("rollout", "status", "deployment/web", "-n", NAMESPACE, "--timeout=30s").stdout
    assert 'deployment "web" successfully rolled out' in output


def test_apply_server_side(kubectl, tmp_path: Path) -> None:
    path = tmp_path / "ssa.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: default\ndata:\n  a: '1'\n", encoding="utf-8")
    assert "configmap/ssa serverside-applied" in kubectl("apply", "--server-side", "-f", str(path)).stdout
    assert "configmap/ssa serverside-applied" in kubectl("apply", "--server-side", "-f", str(path)).stdout


def test_explain_deployment_spec(kubectl) -> None:
    output = kubectl("explain", "deployment.spec").stdout
    assert "KIND:       Deployment" in output
    assert "replicas" in output


def test_server_dry_run_creates_nothing(kubectl, tmp_path: Path) -> None:
    path = tmp_path / "dry.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry\n  namespace: default\n", encoding="utf-8")
    assert "(server dry run)" in kubectl("apply", "--dry-run=server", "-f", str(path)).stdout
    result = kubectl("get", "configmap", "dry", "-n", "default", check=False)
    assert result.returncode != 0
    assert 'configmaps "dry" not found' in result.stderr


def test_unknown_field_rejected_strictly(kubectl, tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\n  namespace: default\ndatta:\n  a: b\n", encoding="utf-8")
    result = kubectl("apply", "-f", str(path), check=False)
    assert result.returncode != 0
    assert 'unknown field "datta"' in result.stderr


def test_delete_removes_objects(kubectl, manifest: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    output = kubectl("delete", "deployment", "web", "-n", NAMESPACE).stdout
    assert 'deployment.apps "web" deleted' in output
    result = kubectl("get", "deployment", "web", "-n", NAMESPACE, check=False)
    assert "NotFound" in result.stderr


def test_delete_namespace_removes_contents(kubectl, manifest: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    output = kubectl("delete", "namespace", NAMESPACE, "--timeout=60s").stdout
    assert f'namespace "{NAMESPACE}" deleted' in output
    result = kubectl("get", "configmap", "settings", "-n", NAMESPACE, check=False)
    assert "NotFound" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["create", "namespace", "created-ns"], "namespace/created-ns created"),
        (["create", "configmap", "created-cm", "--from-literal=a=b", "-n", "default"], "configmap/created-cm created"),
        (["create", "secret", "generic", "created-secret", "--from-literal=password=s3cret", "-n", "default"], "secret/created-secret created"),
        (["create", "serviceaccount", "created-sa", "-n", "default"], "serviceaccount/created-sa created"),
    ],
)
def test_create_imperative_protobuf(kubectl, arguments: list[str], expected: str) -> None:
    assert expected in kubectl(*arguments).stdout


def test_created_secret_data_encoded(kubectl) -> None:
    kubectl("create", "secret", "generic", "encoded", "--from-literal=password=s3cret", "-n", "default")
    document = json.loads(kubectl("get", "secret", "encoded", "-n", "default", "-o", "json").stdout)
    assert base64.b64decode(document["data"]["password"]) == b"s3cret"
    assert document["type"] == "Opaque"


def test_get_wide_shows_pod_node(kubectl, manifest: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    kubectl("wait", "--for=condition=Available", "deployment/web", "-n", NAMESPACE, "--timeout=30s")
    header = kubectl("get", "pods", "-n", NAMESPACE, "-o", "wide").stdout.splitlines()[0].split()
    assert header[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert "NODE" in header
    assert "IP" in header


def test_get_events_columns(kubectl, manifest: Path) -> None:
    kubectl("apply", "-f", str(manifest))
    kubectl("wait", "--for=condition=Available", "deployment/web", "-n", NAMESPACE, "--timeout=30s")
    header = kubectl("get", "events", "-n", NAMESPACE).stdout.splitlines()[0].split()
    assert header == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]


def test_auth_can_i_allowed(kubectl) -> None:
    assert kubectl("auth", "can-i", "create", "deployments").stdout.strip() == "yes"


def test_auth_whoami_names_admin(kubectl) -> None:
    assert "kubesim-admin" in kubectl("auth", "whoami").stdout


def test_get_watch_prints_new_object(kubesim: RunningKubesim, kubectl, tmp_path: Path) -> None:
    command = [KUBECTL, "--kubeconfig", str(kubesim.kubeconfig), "--cache-dir", str(tmp_path / "cache"),
               "get", "configmaps", "-n", "default", "--watch", "--output-watch-events"]
    watcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(watcher.stdout.readline, "")), daemon=True)
        reader.start()
        wait_for(lambda: any("kube-root-ca.crt" in line for line in lines), "the initial list of kubectl get -w")
        kubectl("create", "configmap", "watched-by-kubectl", "-n", "default", "--from-literal=a=b")
        wait_for(lambda: any("watched-by-kubectl" in line for line in lines), "kubectl get -w to print the new ConfigMap")
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)
    event_line = next(line for line in lines if "watched-by-kubectl" in line)
    assert event_line.split()[0] == "ADDED"


def test_scale_changes_replicas(kubectl, tmp_path: Path) -> None:
    path = tmp_path / "scaled.yaml"
    path.write_text(MANIFEST.replace(f"name: {NAMESPACE}", "name: scaling").replace(f"namespace: {NAMESPACE}", "namespace: scaling"), encoding="utf-8")
    kubectl("apply", "-f", str(path))
    assert "deployment.apps/web scaled" in kubectl("scale", "deployment/web", "--replicas=3", "-n", "scaling").stdout
    kubectl("rollout", "status", "deployment/web", "-n", "scaling", "--timeout=30s")
    document = json.loads(kubectl("get", "deployment", "web", "-n", "scaling", "-o", "json").stdout)
    assert document["status"]["readyReplicas"] == 3


def test_create_deployment_protobuf(kubectl) -> None:
    kubectl("create", "deployment", "created-web", "--image=registry.example/web:1", "--replicas=2", "--port=8080", "-n", "default")
    document = json.loads(kubectl("get", "deployment", "created-web", "-n", "default", "-o", "json").stdout)
    assert document["spec"]["replicas"] == 2
    assert document["spec"]["selector"] == {"matchLabels": {"app": "created-web"}}
    container = document["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example/web:1"
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
