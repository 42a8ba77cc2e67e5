"""Self reviews: who the bearer token is and what it may do (kubectl auth whoami / can-i).

The kubeconfig's token is the cluster administrator, so every access review
is allowed, as for a member of system:masters.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError
from .resources import ResourceType

USER = {"username": "kubesim-admin", "groups": ["system:masters", "system:authenticated"]}
REVIEW_KINDS = {"SelfSubjectAccessReview", "SelfSubjectRulesReview", "SelfSubjectReview"}


def review(rt: ResourceType, body: Any) -> dict[str, Any]:
    """Return the review object with its status filled in."""
    if not isinstance(body, dict):
        raise ApiError(400, f"the request body must be a {rt.kind} object")
    result = dict(body, apiVersion=rt.api_version, kind=rt.kind)
    result.setdefault("metadata", {})
    if rt.kind == "SelfSubjectAccessReview":
        result["status"] = {"allowed": True, "reason": "the kubesim token is bound to system:masters"}
    elif rt.kind == "SelfSubjectRulesReview":
        result["status"] = {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    else:
        result["status"] = {"userInfo": dict(USER)}
    return result
