"""Denied verbs for permission tests (--deny VERB:RESOURCE[.GROUP]).

The token user may do everything except what a deny rule names. A denied
request gets the 403 Status that kube-apiserver returns when RBAC has no
rule allowing it, and a SelfSubjectAccessReview for it returns allowed: false.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .errors import ApiError, qualified_resource

log = logging.getLogger("kubesim.authorization")

USERNAME = "kubesim-admin"
VERBS = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*"}


@dataclass(frozen=True)
class DenyRule:
    """One --deny entry. An empty group matches the resource in every group."""

    verb: str
    resource: str
    group: str | None

    def matches(self, verb: str, resource: str, group: str) -> bool:
        if self.verb not in ("*", verb):
            return False
        if self.resource not in ("*", resource):
            return False
        return self.group is None or self.group == group

    def __str__(self) -> str:
        return f"{self.verb}:{self.resource}" + (f".{self.group}" if self.group is not None else "")


def parse_deny_rule(text: str) -> DenyRule:
    """Parse VERB:RESOURCE[.GROUP]; RESOURCE is a plural, optionally with a subresource (deployments/status)."""
    verb, colon, target = text.partition(":")
    verb, target = verb.strip().lower(), target.strip().lower()
    if not colon or not verb or not target:
        raise ValueError(f"deny rule {text!r} is invalid; use VERB:RESOURCE[.GROUP], e.g. create:clusterroles")
    if verb not in VERBS:
        raise ValueError(f"deny rule {text!r} names the unknown verb {verb!r}; use one of {', '.join(sorted(VERBS))}")
    resource, dot, group = target.partition(".")
    # "secrets." would mean the core group, which has no name; "secrets" already matches it.
    if dot and not group:
        raise ValueError(f"deny rule {text!r} ends with a dot; leave out .GROUP to match the resource in every group")
    return DenyRule(verb, resource, group if dot else None)


class Authorizer:
    """Decides whether the token user may perform a verb on a resource."""

    def __init__(self, rules: list[DenyRule] | None = None) -> None:
        self.rules = list(rules or [])

    def denying_rule(self, verb: str, resource: str, group: str, subresource: str = "") -> DenyRule | None:
        full_resource = f"{resource}/{subresource}" if subresource else resource
        for rule in self.rules:
            if rule.matches(verb, full_resource, group):
                return rule
        return None

    def check(self, verb: str, resource: str, group: str, namespace: str, name: str, subresource: str = "") -> None:
        """Raise the 403 an API server returns when the request is denied, and log the denial."""
        rule = self.denying_rule(verb, resource, group, subresource)
        if rule is None:
            return
        log.warning("denied %s on %s%s in %s (--deny %s)", verb, qualified_resource(resource, group),
                    f" {name!r}" if name else "", f"namespace {namespace}" if namespace else "the cluster scope", rule)
        raise forbidden(verb, resource, group, namespace, name, subresource)


def forbidden(verb: str, resource: str, group: str, namespace: str, name: str, subresource: str = "") -> ApiError:
    """Build the Status kube-apiserver returns for a request that no RBAC rule allows (no reason suffix)."""
    target = f"{resource}/{subresource}" if subresource else resource
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    reason = f'User "{USERNAME}" cannot {verb} resource "{target}" in API group "{group}" {scope}'
    subject = qualified_resource(resource, group) + (f' "{name}"' if name else "")
    details: dict[str, str] = {"kind": resource}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    return ApiError(403, f"{subject} is forbidden: {reason}", details=details)
