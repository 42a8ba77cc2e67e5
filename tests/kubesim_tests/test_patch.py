"""Patch semantics: strategic merge by upstream merge keys, JSON merge patch, JSON patch."""

from __future__ import annotations

import pytest

from kubesim import patch, schema
from kubesim.errors import ApiError

POD_SPEC = schema.kind_schema("", "v1", "Pod")


def _pod(*containers: dict) -> dict:
    return {"spec": {"containers": list(containers)}}


def test_containers_merge_by_name() -> None:
    original = _pod({"name": "app", "image": "app:1"}, {"name": "sidecar", "image": "sidecar:1"})
    result = patch.strategic_merge_patch(original, _pod({"name": "app", "image": "app:2"}), POD_SPEC)
    assert result["spec"]["containers"] == [{"name": "app", "image": "app:2"}, {"name": "sidecar", "image": "sidecar:1"}]


def test_new_container_is_appended() -> None:
    original = _pod({"name": "app", "image": "app:1"})
    result = patch.strategic_merge_patch(original, _pod({"name": "extra", "image": "extra:1"}), POD_SPEC)
    assert [container["name"] for container in result["spec"]["containers"]] == ["app", "extra"]


def test_patch_delete_directive_removes_container() -> None:
    original = _pod({"name": "app", "image": "app:1"}, {"name": "old", "image": "old:1"})
    result = patch.strategic_merge_patch(original, _pod({"name": "old", "$patch": "delete"}), POD_SPEC)
    assert result["spec"]["containers"] == [{"name": "app", "image": "app:1"}]


def test_set_element_order_reorders() -> None:
    original = _pod({"name": "a", "image": "a"}, {"name": "b", "image": "b"})
    body = {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}], "containers": [{"name": "a", "image": "a2"}]}}
    result = patch.strategic_merge_patch(original, body, POD_SPEC)
    assert result["spec"]["containers"] == [{"name": "b", "image": "b"}, {"name": "a", "image": "a2"}]


def test_container_ports_merge_by_port() -> None:
    original = _pod({"name": "app", "image": "a", "ports": [{"containerPort": 80}]})
    result = patch.strategic_merge_patch(original, _pod({"name": "app", "ports": [{"containerPort": 443}]}), POD_SPEC)
    assert result["spec"]["containers"][0]["ports"] == [{"containerPort": 80}, {"containerPort": 443}]


def test_args_list_is_replaced() -> None:
    original = _pod({"name": "app", "image": "a", "args": ["--one"]})
    result = patch.strategic_merge_patch(original, _pod({"name": "app", "args": ["--two"]}), POD_SPEC)
    assert result["spec"]["containers"][0]["args"] == ["--two"]


def test_finalizers_merge_as_set() -> None:
    original = {"metadata": {"finalizers": ["a"]}}
    result = patch.strategic_merge_patch(original, {"metadata": {"finalizers": ["b"]}}, POD_SPEC)
    assert result["metadata"]["finalizers"] == ["a", "b"]


def test_retain_keys_drops_others() -> None:
    deployment = schema.kind_schema("apps", "v1", "Deployment")
    original = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    body = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}}
    result = patch.strategic_merge_patch(original, body, deployment)
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_merge_patch_null_deletes() -> None:
    assert patch.merge_patch({"a": 1, "b": {"c": 2}}, {"b": None}) == {"a": 1}


def test_merge_patch_replaces_lists() -> None:
    assert patch.merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        ([{"op": "add", "path": "/b", "value": 2}], {"a": 1, "b": 2}),
        ([{"op": "remove", "path": "/a"}], {}),
        ([{"op": "replace", "path": "/a", "value": 5}], {"a": 5}),
        ([{"op": "copy", "from": "/a", "path": "/c"}], {"a": 1, "c": 1}),
        ([{"op": "move", "from": "/a", "path": "/d"}], {"d": 1}),
        ([{"op": "test", "path": "/a", "value": 1}], {"a": 1}),
    ],
)
def test_json_patch_operations(operations: list, expected: dict) -> None:
    assert patch.json_patch({"a": 1}, operations) == expected


def test_json_patch_failed_test_rejected() -> None:
    with pytest.raises(ApiError) as caught:
        patch.json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])
    assert caught.value.code == 422


def test_json_patch_missing_path_rejected() -> None:
    with pytest.raises(ApiError) as caught:
        patch.json_patch({"a": 1}, [{"op": "replace", "path": "/missing", "value": 2}])
    assert caught.value.code == 422
