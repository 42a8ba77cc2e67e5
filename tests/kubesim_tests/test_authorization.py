"""Denied verbs: --deny rules, access reviews and the 403 a denied request gets."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubesim.authorization import DenyRule, parse_deny_rule
from kubesim.testing import RunningKubesim, running_kubesim

from .conftest import POD_START_SECONDS, raw_request

KUBECTL = shutil.which("kubectl")
DENY = ["create:clusterroles", "delete:secrets", "update:deployments/status.apps"]


@pytest.fixture(scope="module")
def denying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKubesim]:
    with running_kubesim(tmp_path_factory.mktemp("kubesim"), pod_start_seconds=POD_START_SECONDS, gpu_nodes=0, deny=DENY) as cluster:
        yield cluster


def access_review(cluster: RunningKubesim, verb: str, resource: str, group: str = "", namespace: str | None = None) -> dict:
    attributes = {"verb": verb, "group": group, "resource": resource}
    if namespace is not None:
        attributes["namespace"] = namespace
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": attributes}}
    code, review, headers = raw_request(cluster, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)
    assert code == 201
    return review["status"]


@pytest.mark.parametrize(("text", "expected"), [
    ("create:clusterroles", DenyRule("create", "clusterroles", None)),
    ("delete:secrets", DenyRule("delete", "secrets", None)),
    ("create:clusterroles.rbac.authorization.k8s.io", DenyRule("create", "clusterroles", "rbac.authorization.k8s.io")),
    ("*:deployments.apps", DenyRule("*", "deployments", "apps")),
    ("update:deployments/status", DenyRule("update", "deployments/status", None)),
])
def test_deny_rule_parsed(text: str, expected: DenyRule) -> None:
    assert parse_deny_rule(text) == expected


@pytest.mark.parametrize("text", ["create", "create:", ":secrets", "fly:secrets", "delete:secrets."])
def test_deny_rule_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="deny rule"):
        parse_deny_rule(text)


@pytest.mark.parametrize(("verb", "resource", "group", "namespace", "allowed"), [
    ("create", "clusterroles", "rbac.authorization.k8s.io", None, False),
    ("delete", "secrets", "", "gaap-controller", False),
    ("get", "secrets", "", "gaap-controller", True),
    ("create", "roles", "rbac.authorization.k8s.io", "gaap-controller", True),
    ("create", "deployments", "apps", "gaap-controller", True),
])
def test_access_review_follows_rules(denying: RunningKubesim, verb: str, resource: str, group: str, namespace: str | None, allowed: bool) -> None:
    status = access_review(denying, verb, resource, group, namespace)

    assert status["allowed"] is allowed
    assert "denied" not in status


def test_access_review_reason_names_rule(denying: RunningKubesim) -> None:
    status = access_review(denying, "create", "clusterroles", "rbac.authorization.k8s.io")

    assert status["reason"] == "kubesim denies create on clusterroles.rbac.authorization.k8s.io (--deny create:clusterroles)"


def test_access_review_without_attributes(denying: RunningKubesim) -> None:
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {}}
    code, status, headers = raw_request(denying, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)

    assert code == 422
    assert status["reason"] == "Invalid"


def test_denied_create_cluster_scope(denying: RunningKubesim) -> None:
    body = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader"}, "rules": []}
    code, status, headers = raw_request(denying, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", body)

    assert code == 403
    assert status["reason"] == "Forbidden"
    assert status["message"] == ('clusterroles.rbac.authorization.k8s.io is forbidden: User "kubesim-admin" cannot create resource '
                                 '"clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope')
    assert status["details"] == {"group": "rbac.authorization.k8s.io", "kind": "clusterroles"}


def test_denied_delete_namespaced(denying: RunningKubesim) -> None:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token"}, "stringData": {"key": "value"}}
    created, answer, headers = raw_request(denying, "POST", "/api/v1/namespaces/default/secrets", body)
    code, status, headers = raw_request(denying, "DELETE", "/api/v1/namespaces/default/secrets/token")

    assert created == 201
    assert code == 403
    assert status["message"] == ('secrets "token" is forbidden: User "kubesim-admin" cannot delete resource "secrets" '
                                 'in API group "" in the namespace "default"')
    assert status["details"] == {"name": "token", "kind": "secrets"}


def test_denied_subresource_only(denying: RunningKubesim) -> None:
    code, status, headers = raw_request(denying, "PUT", "/apis/apps/v1/namespaces/default/deployments/web/status", {})

    assert code == 403
    assert 'cannot update resource "deployments/status" in API group "apps"' in status["message"]


def test_other_verbs_still_allowed(denying: RunningKubesim) -> None:
    code, answer, headers = raw_request(denying, "GET", "/api/v1/namespaces/default/secrets")

    assert code == 200


def test_denial_logged(denying: RunningKubesim) -> None:
    raw_request(denying, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {"metadata": {"name": "logged"}})

    assert "denied create on clusterroles.rbac.authorization.k8s.io in the cluster scope (--deny create:clusterroles)" in denying.log_text()


def test_invalid_rule_stops_start(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="--deny"):
        with running_kubesim(tmp_path, deny=["fly:secrets"]):
            pass


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed; install it to run the kubectl checks")
def test_kubectl_sees_denial(denying: RunningKubesim) -> None:
    can_i = subprocess.run([KUBECTL, "--kubeconfig", str(denying.kubeconfig), "auth", "can-i", "create", "clusterroles"],
                           capture_output=True, text=True, check=False, timeout=30)
    create = subprocess.run([KUBECTL, "--kubeconfig", str(denying.kubeconfig), "create", "clusterrole", "viewer", "--verb=get", "--resource=pods"],
                            capture_output=True, text=True, check=False, timeout=30)

    assert can_i.stdout.split()[0] == "no"
    assert create.returncode == 1
    assert "Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io is forbidden" in create.stderr
