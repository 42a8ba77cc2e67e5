"""Create, read, update, delete and their status codes, through the kubernetes DynamicClient."""

from __future__ import annotations

import base64
import json

import pytest
from kubernetes import dynamic
from kubernetes.dynamic.exceptions import ApiException, ConflictError, NotFoundError, UnprocessibleEntityError

from kubesim.testing import RunningKubesim

from .conftest import make_namespace, raw_request

NAMESPACE = "crud"


def status_of(error: ApiException) -> dict:
    """Decode the Status object a failed request returned."""
    body = error.body.decode() if isinstance(error.body, bytes) else error.body
    return json.loads(body)


def causes_of(error: ApiException) -> list[str]:
    return [cause.get("field", "") for cause in status_of(error).get("details", {}).get("causes", [])]


@pytest.fixture(scope="module")
def configmaps(client: dynamic.DynamicClient) -> dynamic.Resource:
    make_namespace(client, NAMESPACE)
    return client.resources.get(api_version="v1", kind="ConfigMap")


def _config_map(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NAMESPACE}, "data": data}


def test_create_sets_server_fields(configmaps: dynamic.Resource) -> None:
    created = configmaps.create(body=_config_map("server-fields", a="1"), namespace=NAMESPACE)
    assert created.metadata.uid
    assert created.metadata.creationTimestamp
    assert int(created.metadata.resourceVersion) > 0


def test_get_returns_created_object(configmaps: dynamic.Resource) -> None:
    configmaps.create(body=_config_map("readable", key="value"), namespace=NAMESPACE)
    fetched = configmaps.get(name="readable", namespace=NAMESPACE)
    assert fetched.data.key == "value"


def test_get_missing_is_not_found(configmaps: dynamic.Resource) -> None:
    with pytest.raises(NotFoundError) as caught:
        configmaps.get(name="absent", namespace=NAMESPACE)
    assert caught.value.status == 404
    assert status_of(caught.value)["message"] == 'configmaps "absent" not found'


def test_create_twice_is_already_exists(configmaps: dynamic.Resource) -> None:
    configmaps.create(body=_config_map("twice"), namespace=NAMESPACE)
    with pytest.raises(ConflictError) as caught:
        configmaps.create(body=_config_map("twice"), namespace=NAMESPACE)
    assert status_of(caught.value)["reason"] == "AlreadyExists"


def test_create_in_missing_namespace_is_not_found(configmaps: dynamic.Resource) -> None:
    body = _config_map("orphan")
    body["metadata"]["namespace"] = "no-such-namespace"
    with pytest.raises(NotFoundError) as caught:
        configmaps.create(body=body, namespace="no-such-namespace")
    assert status_of(caught.value)["message"] == 'namespaces "no-such-namespace" not found'


@pytest.mark.parametrize("name", ["Upper", "under_score", "-leading", "trailing-", "x" * 254])
def test_invalid_name_is_rejected(configmaps: dynamic.Resource, name: str) -> None:
    with pytest.raises(UnprocessibleEntityError) as caught:
        configmaps.create(body=_config_map(name), namespace=NAMESPACE)
    assert "metadata.name" in causes_of(caught.value)


def test_missing_name_is_rejected(configmaps: dynamic.Resource) -> None:
    body = _config_map("x")
    del body["metadata"]["name"]
    with pytest.raises(UnprocessibleEntityError) as caught:
        configmaps.create(body=body, namespace=NAMESPACE)
    assert "name or generateName is required" in status_of(caught.value)["message"]


def test_generate_name_appends_suffix(configmaps: dynamic.Resource) -> None:
    body = _config_map("x")
    body["metadata"] = {"generateName": "generated-", "namespace": NAMESPACE}
    created = configmaps.create(body=body, namespace=NAMESPACE)
    assert created.metadata.name.startswith("generated-")
    assert len(created.metadata.name) == len("generated-") + 5


def test_generate_name_is_cut_to_63(configmaps: dynamic.Resource) -> None:
    body = _config_map("x")
    body["metadata"] = {"generateName": "g" * 70 + "-", "namespace": NAMESPACE}
    created = configmaps.create(body=body, namespace=NAMESPACE)
    assert len(created.metadata.name) == 63


def test_update_bumps_resource_version(configmaps: dynamic.Resource) -> None:
    created = configmaps.create(body=_config_map("updated", a="1"), namespace=NAMESPACE).to_dict()
    created["data"]["a"] = "2"
    updated = configmaps.replace(body=created, namespace=NAMESPACE)
    assert int(updated.metadata.resourceVersion) > int(created["metadata"]["resourceVersion"])
    assert updated.data.a == "2"


def test_update_with_stale_version_conflicts(configmaps: dynamic.Resource) -> None:
    created = configmaps.create(body=_config_map("stale", a="1"), namespace=NAMESPACE).to_dict()
    fresh = dict(created, data={"a": "2"})
    configmaps.replace(body=fresh, namespace=NAMESPACE)
    stale = dict(created, data={"a": "3"})
    with pytest.raises(ConflictError) as caught:
        configmaps.replace(body=stale, namespace=NAMESPACE)
    assert "the object has been modified" in status_of(caught.value)["message"]


def test_noop_patch_keeps_resource_version(configmaps: dynamic.Resource) -> None:
    created = configmaps.create(body=_config_map("noop", a="1"), namespace=NAMESPACE)
    patched = configmaps.patch(name="noop", namespace=NAMESPACE, body={"data": {"a": "1"}}, content_type="application/merge-patch+json")
    assert patched.metadata.resourceVersion == created.metadata.resourceVersion


def test_merge_patch_removes_null_keys(configmaps: dynamic.Resource) -> None:
    configmaps.create(body=_config_map("merge", a="1", b="2"), namespace=NAMESPACE)
    patched = configmaps.patch(name="merge", namespace=NAMESPACE, body={"data": {"a": None}}, content_type="application/merge-patch+json")
    assert patched.data.to_dict() == {"b": "2"}


def test_json_patch_replaces_value(configmaps: dynamic.Resource) -> None:
    configmaps.create(body=_config_map("jsonpatch", a="1"), namespace=NAMESPACE)
    operations = [{"op": "replace", "path": "/data/a", "value": "9"}, {"op": "add", "path": "/data/b", "value": "2"}]
    patched = configmaps.patch(name="jsonpatch", namespace=NAMESPACE, body=operations, content_type="application/json-patch+json")
    assert patched.data.to_dict() == {"a": "9", "b": "2"}


def test_dry_run_create_stores_nothing(configmaps: dynamic.Resource) -> None:
    created = configmaps.create(body=_config_map("dry"), namespace=NAMESPACE, dry_run="All")
    assert created.metadata.name == "dry"
    with pytest.raises(NotFoundError):
        configmaps.get(name="dry", namespace=NAMESPACE)


def test_dry_run_patch_changes_nothing(configmaps: dynamic.Resource) -> None:
    configmaps.create(body=_config_map("dry-patch", a="1"), namespace=NAMESPACE)
    preview = configmaps.patch(name="dry-patch", namespace=NAMESPACE, body={"data": {"a": "2"}},
                               content_type="application/merge-patch+json", dry_run="All")
    assert preview.data.a == "2"
    assert configmaps.get(name="dry-patch", namespace=NAMESPACE).data.a == "1"


def test_dry_run_delete_keeps_object(configmaps: dynamic.Resource) -> None:
    configmaps.create(body=_config_map("dry-delete"), namespace=NAMESPACE)
    configmaps.delete(name="dry-delete", namespace=NAMESPACE, dry_run="All")
    assert configmaps.get(name="dry-delete", namespace=NAMESPACE).metadata.name == "dry-delete"


def test_delete_removes_object(configmaps: dynamic.Resource) -> None:
    configmaps.create(body=_config_map("deleted"), namespace=NAMESPACE)
    result = configmaps.delete(name="deleted", namespace=NAMESPACE)
    assert result.status == "Success"
    with pytest.raises(NotFoundError):
        configmaps.get(name="deleted", namespace=NAMESPACE)


def test_label_selector_equality(configmaps: dynamic.Resource) -> None:
    for name, tier in (("sel-a", "web"), ("sel-b", "db"), ("sel-c", "web")):
        body = _config_map(name)
        body["metadata"]["labels"] = {"tier": tier, "suite": "selectors"}
        configmaps.create(body=body, namespace=NAMESPACE)
    found = configmaps.get(namespace=NAMESPACE, label_selector="suite=selectors,tier=web")
    assert sorted(item.metadata.name for item in found.items) == ["sel-a", "sel-c"]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("suite=sets,tier in (web,cache)", ["set-a", "set-c"]),
        ("suite=sets,tier notin (web)", ["set-b", "set-c"]),
        ("suite=sets,tier!=web", ["set-b", "set-c"]),
        ("suite=sets,!tier", []),
        ("suite=sets,tier", ["set-a", "set-b", "set-c"]),
    ],
)
def test_label_selector_set_based(configmaps: dynamic.Resource, selector: str, expected: list[str]) -> None:
    for name, tier in (("set-a", "web"), ("set-b", "db"), ("set-c", "cache")):
        body = _config_map(name)
        body["metadata"]["labels"] = {"tier": tier, "suite": "sets"}
        try:
            configmaps.create(body=body, namespace=NAMESPACE)
        except ConflictError:
            pass
    found = configmaps.get(namespace=NAMESPACE, label_selector=selector)
    assert sorted(item.metadata.name for item in found.items) == expected


def test_field_selector_metadata_name(configmaps: dynamic.Resource) -> None:
    configmaps.create(body=_config_map("by-field"), namespace=NAMESPACE)
    found = configmaps.get(namespace=NAMESPACE, field_selector="metadata.name=by-field")
    assert [item.metadata.name for item in found.items] == ["by-field"]


def test_field_selector_unsupported_field(configmaps: dynamic.Resource) -> None:
    with pytest.raises(ApiException) as caught:
        configmaps.get(namespace=NAMESPACE, field_selector="data.a=1")
    assert caught.value.status == 400


def test_list_items_omit_kind_for_builtins(kubesim: RunningKubesim, configmaps: dynamic.Resource) -> None:
    configmaps.create(body=_config_map("listed"), namespace=NAMESPACE)
    status, response, headers = raw_request(kubesim, "GET", f"/api/v1/namespaces/{NAMESPACE}/configmaps")
    assert response["kind"] == "ConfigMapList"
    assert "kind" not in response["items"][0]


def test_secret_string_data_folded(client: dynamic.DynamicClient, configmaps: dynamic.Resource) -> None:
    secrets = client.resources.get(api_version="v1", kind="Secret")
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "folded", "namespace": NAMESPACE}, "stringData": {"password": "s3cret"}}
    created = secrets.create(body=body, namespace=NAMESPACE)
    assert base64.b64decode(created.data.password) == b"s3cret"
    assert created.type == "Opaque"
    assert "stringData" not in created.to_dict()


def test_secret_invalid_base64_rejected(client: dynamic.DynamicClient, configmaps: dynamic.Resource) -> None:
    secrets = client.resources.get(api_version="v1", kind="Secret")
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "not-base64", "namespace": NAMESPACE}, "data": {"key": "not base64!"}}
    with pytest.raises(ApiException) as caught:
        secrets.create(body=body, namespace=NAMESPACE)
    assert caught.value.status == 400
    assert "illegal base64 data" in status_of(caught.value)["message"]


def test_tls_secret_requires_key(client: dynamic.DynamicClient, configmaps: dynamic.Resource) -> None:
    secrets = client.resources.get(api_version="v1", kind="Secret")
    body = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": "half-tls", "namespace": NAMESPACE},
            "data": {"tls.crt": base64.b64encode(b"x").decode()}}
    with pytest.raises(UnprocessibleEntityError) as caught:
        secrets.create(body=body, namespace=NAMESPACE)
    assert "data[tls.key]" in causes_of(caught.value)


def test_wrong_field_type_rejected(client: dynamic.DynamicClient, configmaps: dynamic.Resource) -> None:
    deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "typed", "namespace": NAMESPACE},
            "spec": {"replicas": "two", "selector": {"matchLabels": {"app": "x"}},
                     "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}}}
    with pytest.raises(ApiException) as caught:
        deployments.create(body=body, namespace=NAMESPACE)
    assert caught.value.status == 400
    assert "spec.replicas" in status_of(caught.value)["message"]


def test_selector_mismatch_rejected(client: dynamic.DynamicClient, configmaps: dynamic.Resource) -> None:
    deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "mismatch", "namespace": NAMESPACE},
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                     "template": {"metadata": {"labels": {"app": "y"}}, "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}}}
    with pytest.raises(UnprocessibleEntityError) as caught:
        deployments.create(body=body, namespace=NAMESPACE)
    assert "`selector` does not match template `labels`" in status_of(caught.value)["message"]


def test_unknown_field_dropped_with_warning(kubesim: RunningKubesim, configmaps: dynamic.Resource) -> None:
    body = _config_map("unknown-field")
    body["extra"] = {"a": 1}
    status, created, headers = raw_request(kubesim, "POST", f"/api/v1/namespaces/{NAMESPACE}/configmaps", body)
    assert status == 201
    assert "extra" not in created
    assert headers["Warning"] == '299 - "unknown field \\"extra\\""'


def test_unknown_field_strict_rejected(kubesim: RunningKubesim, configmaps: dynamic.Resource) -> None:
    body = _config_map("unknown-strict")
    body["extra"] = {"a": 1}
    status, answer, headers = raw_request(kubesim, "POST", f"/api/v1/namespaces/{NAMESPACE}/configmaps?fieldValidation=Strict", body)
    assert status == 400
    assert 'strict decoding error: unknown field "extra"' in answer["message"]


def test_finalizer_delays_deletion(configmaps: dynamic.Resource) -> None:
    body = _config_map("finalized")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    configmaps.create(body=body, namespace=NAMESPACE)
    configmaps.delete(name="finalized", namespace=NAMESPACE)
    pending = configmaps.get(name="finalized", namespace=NAMESPACE)
    assert pending.metadata.deletionTimestamp
    configmaps.patch(name="finalized", namespace=NAMESPACE, body={"metadata": {"finalizers": None}}, content_type="application/merge-patch+json")
    with pytest.raises(NotFoundError):
        configmaps.get(name="finalized", namespace=NAMESPACE)


def test_list_limit_and_continue(configmaps: dynamic.Resource) -> None:
    for index in range(5):
        body = _config_map(f"page-{index}")
        body["metadata"]["labels"] = {"suite": "paging"}
        configmaps.create(body=body, namespace=NAMESPACE)
    first = configmaps.get(namespace=NAMESPACE, label_selector="suite=paging", limit=2)
    assert len(first.items) == 2
    assert first.metadata["continue"]
    rest = configmaps.get(namespace=NAMESPACE, label_selector="suite=paging", limit=10, _continue=first.metadata["continue"])
    names = [item.metadata.name for item in first.items + rest.items]
    assert names == [f"page-{index}" for index in range(5)]


def test_immutable_config_map_rejects_change(configmaps: dynamic.Resource) -> None:
    body = _config_map("frozen", a="1")
    body["immutable"] = True
    configmaps.create(body=body, namespace=NAMESPACE)
    with pytest.raises(UnprocessibleEntityError) as caught:
        configmaps.patch(name="frozen", namespace=NAMESPACE, body={"data": {"a": "2"}}, content_type="application/merge-patch+json")
    assert "field is immutable when `immutable` is set" in status_of(caught.value)["message"]


def test_deployment_selector_immutable(client: dynamic.DynamicClient, configmaps: dynamic.Resource) -> None:
    deployments = client.resources.get(api_version="apps/v1", kind="Deployment")
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fixed-selector", "namespace": NAMESPACE},
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                     "template": {"metadata": {"labels": {"app": "x", "tier": "web"}}, "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}}}
    deployments.create(body=body, namespace=NAMESPACE)
    patch_body = {"spec": {"selector": {"matchLabels": {"tier": "web"}}}}
    with pytest.raises(UnprocessibleEntityError) as caught:
        deployments.patch(name="fixed-selector", namespace=NAMESPACE, body=patch_body, content_type="application/merge-patch+json")
    assert "spec.selector" in causes_of(caught.value)


def test_pod_spec_change_forbidden(client: dynamic.DynamicClient, configmaps: dynamic.Resource) -> None:
    pods = client.resources.get(api_version="v1", kind="Pod")
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fixed-pod", "namespace": NAMESPACE},
            "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}
    pods.create(body=body, namespace=NAMESPACE)
    patched = pods.patch(name="fixed-pod", namespace=NAMESPACE, body={"spec": {"containers": [{"name": "c", "image": "busybox:2"}]}})
    assert patched.spec.containers[0].image == "busybox:2"
    with pytest.raises(UnprocessibleEntityError) as caught:
        pods.patch(name="fixed-pod", namespace=NAMESPACE, body={"spec": {"containers": [{"name": "c", "args": ["x"]}]}})
    assert "pod updates may not change fields" in status_of(caught.value)["message"]


def test_service_keeps_cluster_ip_on_replace(client: dynamic.DynamicClient, configmaps: dynamic.Resource) -> None:
    services = client.resources.get(api_version="v1", kind="Service")
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "stable-ip", "namespace": NAMESPACE},
            "spec": {"ports": [{"port": 80}], "selector": {"app": "x"}}}
    created = services.create(body=body, namespace=NAMESPACE)
    replaced = services.replace(body=dict(body, metadata=dict(body["metadata"], resourceVersion=created.metadata.resourceVersion)), namespace=NAMESPACE)
    assert replaced.spec.clusterIP == created.spec.clusterIP


def test_create_with_resource_version_rejected(configmaps: dynamic.Resource) -> None:
    body = _config_map("versioned")
    body["metadata"]["resourceVersion"] = "42"
    with pytest.raises(ApiException) as caught:
        configmaps.create(body=body, namespace=NAMESPACE)
    assert caught.value.status == 400
    assert status_of(caught.value)["message"] == "resourceVersion should not be set on objects to be created"
