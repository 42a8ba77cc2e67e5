"""CustomResourceDefinitions: installing them through the API and validating custom resources."""

from __future__ import annotations

import json

import pytest
import yaml
from kubernetes import dynamic
from kubernetes.dynamic.exceptions import ApiException, UnprocessibleEntityError

from kubesim.testing import RunningKubesim, running_kubesim

from .conftest import POD_START_SECONDS, client_for, crds_dir, make_namespace, raw_request, wait_for

NAMESPACE = "custom"

WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "shortNames": ["wd"]},
        "scope": "Namespaced",
        "versions": [{
            "name": "v1",
            "served": True,
            "storage": True,
            "subresources": {"status": {}},
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {
                        "type": "object",
                        "required": ["size"],
                        "properties": {
                            "size": {"type": "integer", "minimum": 1, "maximum": 10},
                            "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                            "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
                            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                        },
                    },
                    "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
                },
            }},
        }],
    },
}


def _status_of(error: ApiException) -> dict:
    return json.loads(error.body.decode() if isinstance(error.body, bytes) else error.body)


@pytest.fixture(scope="module")
def widgets(client: dynamic.DynamicClient) -> dynamic.Resource:
    make_namespace(client, NAMESPACE)
    crds = client.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crds.create(body=WIDGET_CRD)
    return wait_for(lambda: _widget_resource(client), "the Widget resource to be served")


def _widget_resource(client: dynamic.DynamicClient) -> dynamic.Resource | None:
    client.resources.invalidate_cache()
    try:
        return client.resources.get(api_version="example.com/v1", kind="Widget")
    except Exception:
        return None


def _widget(object_name: str, **spec: object) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": object_name, "namespace": NAMESPACE}, "spec": spec}


def test_crd_is_established(client: dynamic.DynamicClient, widgets: dynamic.Resource) -> None:
    crd = client.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition").get(name="widgets.example.com")
    conditions = {condition.type: condition.status for condition in crd.status.conditions}
    assert conditions["Established"] == "True"


def test_custom_resource_defaults_applied(widgets: dynamic.Resource) -> None:
    created = widgets.create(body=_widget("defaulted", size=2), namespace=NAMESPACE)
    assert created.spec.color == "red"
    assert created.metadata.generation == 1


@pytest.mark.parametrize(
    ("spec", "field", "reason"),
    [
        ({}, "spec.size", "FieldValueRequired"),
        ({"size": "big"}, "spec.size", "FieldValueInvalid"),
        ({"size": 11}, "spec.size", "FieldValueInvalid"),
        ({"size": 1, "color": "green"}, "spec.color", "FieldValueNotSupported"),
        ({"size": 1, "name": "Caps"}, "spec.name", "FieldValueInvalid"),
        ({"size": 1, "name": "toolongname"}, "spec.name", "FieldValueTooLong"),
        ({"size": 1, "tags": ["a", "b", "c"]}, "spec.tags", "FieldValueTooMany"),
    ],
)
def test_schema_violation_is_invalid(widgets: dynamic.Resource, spec: dict, field: str, reason: str) -> None:
    with pytest.raises(UnprocessibleEntityError) as caught:
        widgets.create(body=_widget("invalid", **spec), namespace=NAMESPACE)
    causes = _status_of(caught.value)["details"]["causes"]
    assert {"field": field, "reason": reason} in [{"field": cause["field"], "reason": cause["reason"]} for cause in causes]


def test_strategic_merge_on_custom_resource_unsupported(widgets: dynamic.Resource) -> None:
    widgets.create(body=_widget("smp", size=1), namespace=NAMESPACE)
    with pytest.raises(ApiException) as caught:
        widgets.patch(name="smp", namespace=NAMESPACE, body={"spec": {"size": 2}}, content_type="application/strategic-merge-patch+json")
    assert caught.value.status == 415


def test_merge_patch_bumps_generation(widgets: dynamic.Resource) -> None:
    widgets.create(body=_widget("generation", size=1), namespace=NAMESPACE)
    patched = widgets.patch(name="generation", namespace=NAMESPACE, body={"spec": {"size": 3}}, content_type="application/merge-patch+json")
    assert patched.metadata.generation == 2


def test_metadata_change_keeps_generation(widgets: dynamic.Resource) -> None:
    widgets.create(body=_widget("labelled", size=1), namespace=NAMESPACE)
    patched = widgets.patch(name="labelled", namespace=NAMESPACE, body={"metadata": {"labels": {"a": "b"}}}, content_type="application/merge-patch+json")
    assert patched.metadata.generation == 1


def test_status_ignored_on_main_resource(widgets: dynamic.Resource) -> None:
    body = _widget("status-main", size=1)
    body["status"] = {"phase": "Ready"}
    created = widgets.create(body=body, namespace=NAMESPACE)
    assert "status" not in created.to_dict()


def test_status_subresource_ignores_spec(kubesim: RunningKubesim, widgets: dynamic.Resource) -> None:
    created = widgets.create(body=_widget("status-sub", size=1), namespace=NAMESPACE).to_dict()
    created["spec"]["size"] = 9
    created["status"] = {"phase": "Ready"}
    status, answer, headers = raw_request(kubesim, "PUT", f"/apis/example.com/v1/namespaces/{NAMESPACE}/widgets/status-sub/status", created)
    assert status == 200
    assert answer["status"] == {"phase": "Ready"}
    assert answer["spec"]["size"] == 1


def test_update_without_resource_version_invalid(kubesim: RunningKubesim, widgets: dynamic.Resource) -> None:
    created = widgets.create(body=_widget("unconditional", size=1), namespace=NAMESPACE).to_dict()
    del created["metadata"]["resourceVersion"]
    status, answer, headers = raw_request(kubesim, "PUT", f"/apis/example.com/v1/namespaces/{NAMESPACE}/widgets/unconditional", created)
    assert status == 422
    assert answer["details"]["causes"][0]["field"] == "metadata.resourceVersion"


def test_custom_list_items_carry_kind(kubesim: RunningKubesim, widgets: dynamic.Resource) -> None:
    widgets.create(body=_widget("listed", size=1), namespace=NAMESPACE)
    status, answer, headers = raw_request(kubesim, "GET", f"/apis/example.com/v1/namespaces/{NAMESPACE}/widgets")
    assert answer["items"][0]["kind"] == "Widget"


def test_deleting_crd_removes_resources(kubesim: RunningKubesim, widgets: dynamic.Resource) -> None:
    crd = json.loads(json.dumps(WIDGET_CRD).replace("widget", "gadget").replace("Widget", "Gadget").replace('"wd"', '"gd"'))
    assert raw_request(kubesim, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)[0] == 201
    gadget = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": NAMESPACE}, "spec": {"size": 1}}
    assert raw_request(kubesim, "POST", f"/apis/example.com/v1/namespaces/{NAMESPACE}/gadgets", gadget)[0] == 201
    assert raw_request(kubesim, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com")[0] == 200
    status, answer, headers = raw_request(kubesim, "GET", f"/apis/example.com/v1/namespaces/{NAMESPACE}/gadgets/g")
    assert status == 404


def test_gateway_api_crds_install_through_api(tmp_path: object) -> None:
    directory = crds_dir()
    if directory is None:
        pytest.skip("GAAP_CRDS_DIR is unset or not a directory; point it at the upstream CRD manifests")
    with running_kubesim(tmp_path, pod_start_seconds=POD_START_SECONDS) as cluster:
        for path in sorted(directory.glob("*.yaml")):
            for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
                if document and document.get("kind") == "CustomResourceDefinition":
                    status, answer, headers = raw_request(cluster, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", document)
                    assert status == 201, answer.get("message")
        client = client_for(cluster)
        gateways = client.resources.get(api_version="gateway.networking.k8s.io/v1", kind="Gateway")
        assert gateways.namespaced is True
        assert client.resources.get(api_version="gateway.envoyproxy.io/v1alpha1", kind="EnvoyProxy").namespaced is True
