"""Self reviews: who the bearer token is and what it may do (kubectl auth whoami / can-i).

The kubeconfig's token is the cluster administrator, so every access review
is allowed, as for a member of system:masters, unless a --deny rule names the
verb and resource.
"""

from __future__ import annotations

from typing import Any

from .authorization import USERNAME, Authorizer
from .errors import ApiError, qualified_resource
from .resources import ResourceType

USER = {"username": USERNAME, "groups": ["system:masters", "system:authenticated"]}
REVIEW_KINDS = {"SelfSubjectAccessReview", "SelfSubjectRulesReview", "SelfSubjectReview"}


def review(rt: ResourceType, body: Any, authorizer: Authorizer | None = None) -> dict[str, Any]:
    """Return the review object with its status filled in."""
    if not isinstance(body, dict):
        raise ApiError(400, f"the request body must be a {rt.kind} object")
    result = dict(body, apiVersion=rt.api_version, kind=rt.kind)
    result.setdefault("metadata", {"creationTimestamp": None})
    if rt.kind == "SelfSubjectAccessReview":
        result["status"] = _access_status(body, authorizer or Authorizer())
    elif rt.kind == "SelfSubjectRulesReview":
        result["status"] = {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    else:
        result["status"] = {"userInfo": dict(USER)}
    return result


def _access_status(body: dict[str, Any], authorizer: Authorizer) -> dict[str, Any]:
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    attributes = spec.get("resourceAttributes")
    if not isinstance(attributes, dict):
        if isinstance(spec.get("nonResourceAttributes"), dict):
            return {"allowed": True, "reason": "the kubesim token is bound to system:masters"}
        raise ApiError(422, "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: "
                       "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
                       reason="Invalid", details={"group": "authorization.k8s.io", "kind": "SelfSubjectAccessReview"})

    verb = str(attributes.get("verb") or "")
    resource = str(attributes.get("resource") or "")
    group = str(attributes.get("group") or "")
    rule = authorizer.denying_rule(verb, resource, group, str(attributes.get("subresource") or ""))
    if rule is None:
        return {"allowed": True, "reason": "the kubesim token is bound to system:masters"}
    # RBAC leaves "denied" unset: its answer for a missing rule is "no opinion".
    return {"allowed": False, "reason": f"kubesim denies {verb} on {qualified_resource(resource, group)} (--deny {rule})"}
