"""Discovery: /version, groups, resource lists and OpenAPI, as clients read them."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import pytest
from kubernetes import dynamic

from kubesim.testing import RunningKubesim


def _get(cluster: RunningKubesim, path: str, token: str | None = None) -> tuple[int, dict]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(cluster.url + path)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, context=context) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_version_reports_recent_kubernetes(kubesim: RunningKubesim) -> None:
    status, body = _get(kubesim, "/version")
    assert status == 200
    assert body["major"] == "1"
    assert int(body["minor"]) >= 33


def test_request_without_token_is_unauthorized(kubesim: RunningKubesim) -> None:
    status, body = _get(kubesim, "/api/v1/namespaces")
    assert status == 401
    assert body["reason"] == "Unauthorized"


def test_request_with_wrong_token_is_unauthorized(kubesim: RunningKubesim) -> None:
    status, body = _get(kubesim, "/api/v1/namespaces", token="not-the-token")
    assert status == 401


@pytest.mark.parametrize(
    ("api_version", "kind", "namespaced"),
    [
        ("v1", "Namespace", False),
        ("v1", "ServiceAccount", True),
        ("v1", "ConfigMap", True),
        ("v1", "Secret", True),
        ("v1", "Service", True),
        ("v1", "Pod", True),
        ("v1", "Node", False),
        ("v1", "Event", True),
        ("apps/v1", "Deployment", True),
        ("apps/v1", "ReplicaSet", True),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", False),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", False),
        ("rbac.authorization.k8s.io/v1", "Role", True),
        ("rbac.authorization.k8s.io/v1", "RoleBinding", True),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition", False),
    ],
)
def test_builtin_kind_is_discoverable(client: dynamic.DynamicClient, api_version: str, kind: str, namespaced: bool) -> None:
    resource = client.resources.get(api_version=api_version, kind=kind)
    assert resource.namespaced is namespaced


def test_deployment_status_subresource_listed(kubesim: RunningKubesim) -> None:
    status, body = _get(kubesim, "/apis/apps/v1", token=kubesim.token)
    names = {entry["name"] for entry in body["resources"]}
    assert "deployments/status" in names
    assert "deployments/scale" in names


def test_short_names_listed(kubesim: RunningKubesim) -> None:
    status, body = _get(kubesim, "/api/v1", token=kubesim.token)
    short_names = {entry["name"]: entry.get("shortNames") for entry in body["resources"]}
    assert short_names["pods"] == ["po"]
    assert short_names["configmaps"] == ["cm"]


def test_openapi_v3_lists_group_versions(kubesim: RunningKubesim) -> None:
    status, body = _get(kubesim, "/openapi/v3", token=kubesim.token)
    assert "apis/apps/v1" in body["paths"]
    assert "api/v1" in body["paths"]


def test_openapi_v3_document_has_deployment_schema(kubesim: RunningKubesim) -> None:
    status, index = _get(kubesim, "/openapi/v3", token=kubesim.token)
    status, document = _get(kubesim, index["paths"]["apis/apps/v1"]["serverRelativeURL"], token=kubesim.token)
    schema = document["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert schema["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]


def test_unknown_group_is_not_found(kubesim: RunningKubesim) -> None:
    status, body = _get(kubesim, "/apis/example.com/v1", token=kubesim.token)
    assert status == 404
    assert body["reason"] == "NotFound"
