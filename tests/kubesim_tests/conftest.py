"""Fixtures: a kubesim process per test module and clients pointed at it."""

from __future__ import annotations

import base64
import json
import os
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import config, dynamic
from kubernetes.dynamic.exceptions import NotFoundError

from kubesim.testing import RunningKubesim, running_kubesim

POD_START_SECONDS = 0.5
WAIT_SECONDS = 30.0


def crds_dir() -> Path | None:
    value = os.environ.get("GAAP_CRDS_DIR")
    if not value or not Path(value).is_dir():
        return None
    return Path(value)


@pytest.fixture(scope="module")
def kubesim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKubesim]:
    """A kubesim without CRDs, shared by the tests of one module."""
    with running_kubesim(tmp_path_factory.mktemp("kubesim"), pod_start_seconds=POD_START_SECONDS) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def kubesim_with_crds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKubesim]:
    """A kubesim with the upstream Gateway API and Envoy Gateway CRDs installed at start-up."""
    directory = crds_dir()
    if directory is None:
        pytest.skip("GAAP_CRDS_DIR is unset or not a directory; point it at the upstream CRD manifests")
    with running_kubesim(tmp_path_factory.mktemp("kubesim"), pod_start_seconds=POD_START_SECONDS, crds=[directory]) as cluster:
        yield cluster


def client_for(cluster: RunningKubesim) -> dynamic.DynamicClient:
    return dynamic.DynamicClient(config.new_client_from_config(config_file=str(cluster.kubeconfig)))


@pytest.fixture(scope="module")
def client(kubesim: RunningKubesim) -> dynamic.DynamicClient:
    return client_for(kubesim)


@pytest.fixture(scope="module")
def crd_client(kubesim_with_crds: RunningKubesim) -> dynamic.DynamicClient:
    return client_for(kubesim_with_crds)


def wait_for(check: Callable[[], Any], description: str, timeout: float = WAIT_SECONDS) -> Any:
    """Poll `check` until it returns a truthy value; fail naming `description` after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except NotFoundError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {description}")
        time.sleep(0.1)


def raw_request(
    cluster: RunningKubesim, method: str, path: str, body: Any = None, content_type: str = "application/json"
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Send one API request without a client library; return status, decoded body and headers."""
    context = ssl.create_default_context(cadata=_ca_pem(cluster))
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(cluster.url + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {cluster.token}")
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, context=context) as response:
            return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), dict(error.headers)


def _ca_pem(cluster: RunningKubesim) -> str:
    document = yaml.safe_load(cluster.kubeconfig.read_text(encoding="utf-8"))
    return base64.b64decode(document["clusters"][0]["cluster"]["certificate-authority-data"]).decode()


def make_namespace(client: dynamic.DynamicClient, name: str) -> None:
    namespaces = client.resources.get(api_version="v1", kind="Namespace")
    namespaces.create(body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
