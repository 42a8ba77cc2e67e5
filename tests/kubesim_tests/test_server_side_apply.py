"""Server-side apply: managedFields, removal of dropped fields, conflicts and force."""

from __future__ import annotations

from typing import Any

from kubesim.testing import RunningKubesim

from .conftest import raw_request

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
BASE = "/api/v1/namespaces/default/configmaps"


def _config(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def _apply(cluster: RunningKubesim, name: str, manager: str, body: dict[str, Any], force: bool = False) -> tuple[int, dict[str, Any]]:
    query = f"?fieldManager={manager}" + ("&force=true" if force else "")
    status, answer, headers = raw_request(cluster, "PATCH", f"{BASE}/{name}{query}", body, APPLY)
    return status, answer


def _managers(obj: dict[str, Any]) -> dict[str, str]:
    return {entry["manager"]: entry["operation"] for entry in obj["metadata"].get("managedFields", [])}


def test_apply_creates_with_owner(kubesim: RunningKubesim) -> None:
    status, created = _apply(kubesim, "ssa-create", "team-a", _config("ssa-create", a="1"))
    assert status == 201
    assert _managers(created) == {"team-a": "Apply"}
    assert created["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:a": {}}}


def test_apply_without_manager_rejected(kubesim: RunningKubesim) -> None:
    status, answer, headers = raw_request(kubesim, "PATCH", f"{BASE}/ssa-nomanager", _config("ssa-nomanager", a="1"), APPLY)
    assert status == 400
    assert "fieldManager" in answer["message"]


def test_reapply_same_keeps_version(kubesim: RunningKubesim) -> None:
    status, first = _apply(kubesim, "ssa-same", "team-a", _config("ssa-same", a="1"))
    status, second = _apply(kubesim, "ssa-same", "team-a", _config("ssa-same", a="1"))
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_dropped_field_is_removed(kubesim: RunningKubesim) -> None:
    _apply(kubesim, "ssa-drop", "team-a", _config("ssa-drop", a="1", b="2"))
    status, applied = _apply(kubesim, "ssa-drop", "team-a", _config("ssa-drop", a="1"))
    assert applied["data"] == {"a": "1"}


def test_field_of_other_manager_kept(kubesim: RunningKubesim) -> None:
    _apply(kubesim, "ssa-shared", "team-a", _config("ssa-shared", a="1"))
    _apply(kubesim, "ssa-shared", "team-b", _config("ssa-shared", b="2"))
    status, applied = _apply(kubesim, "ssa-shared", "team-a", _config("ssa-shared", a="3"))
    assert applied["data"] == {"a": "3", "b": "2"}
    assert _managers(applied) == {"team-a": "Apply", "team-b": "Apply"}


def test_conflicting_value_is_conflict(kubesim: RunningKubesim) -> None:
    _apply(kubesim, "ssa-conflict", "team-a", _config("ssa-conflict", a="1"))
    status, answer = _apply(kubesim, "ssa-conflict", "team-b", _config("ssa-conflict", a="2"))
    assert status == 409
    assert answer["reason"] == "Conflict"
    assert answer["details"]["causes"][0]["field"] == ".data.a"
    assert answer["message"] == 'Apply failed with 1 conflict: conflict with "team-a" using v1: .data.a'


def test_force_takes_ownership(kubesim: RunningKubesim) -> None:
    _apply(kubesim, "ssa-force", "team-a", _config("ssa-force", a="1"))
    status, answer = _apply(kubesim, "ssa-force", "team-b", _config("ssa-force", a="2"), force=True)
    assert status == 200
    assert answer["data"] == {"a": "2"}
    assert _managers(answer) == {"team-b": "Apply"}


def test_update_manager_conflicts_with_apply(kubesim: RunningKubesim) -> None:
    _apply(kubesim, "ssa-update", "team-a", _config("ssa-update", a="1"))
    status, patched, headers = raw_request(kubesim, "PATCH", f"{BASE}/ssa-update?fieldManager=editor", {"data": {"a": "9"}}, MERGE)
    assert status == 200
    assert _managers(patched) == {"editor": "Update"}
    status, answer = _apply(kubesim, "ssa-update", "team-a", _config("ssa-update", a="1"))
    assert status == 409
    assert 'conflict with "editor"' in answer["message"]


def test_containers_merge_by_name(kubesim: RunningKubesim) -> None:
    def deployment(*containers: dict[str, str]) -> dict[str, Any]:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ssa-deploy"},
                "spec": {"selector": {"matchLabels": {"app": "ssa"}},
                         "template": {"metadata": {"labels": {"app": "ssa"}}, "spec": {"containers": list(containers)}}}}

    path = "/apis/apps/v1/namespaces/default/deployments/ssa-deploy?fieldManager="
    raw_request(kubesim, "PATCH", path + "team-a", deployment({"name": "app", "image": "app:1"}), APPLY)
    status, answer, headers = raw_request(kubesim, "PATCH", path + "team-b", deployment({"name": "sidecar", "image": "sidecar:1"}), APPLY)
    assert status == 200
    names = [container["name"] for container in answer["spec"]["template"]["spec"]["containers"]]
    assert names == ["app", "sidecar"]
