"""Label selectors (equality- and set-based) and field selectors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import ApiError

Requirement = Callable[[dict[str, str]], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQUALITY_RE = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)\s*$")


def _split_terms(selector: str) -> list[str]:
    """Split a selector at commas that are outside parentheses."""
    terms, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        terms.append(current)
    return terms


def parse_label_selector(selector: str) -> list[Requirement]:
    """Parse a labelSelector query value into requirements; raise 400 when malformed."""
    requirements: list[Requirement] = []
    for term in _split_terms(selector or ""):
        equality = _EQUALITY_RE.match(term)
        if equality:
            key, operator, value = equality.groups()
            if operator == "!=":
                requirements.append(lambda labels, k=key, v=value: labels.get(k) != v)
            else:
                requirements.append(lambda labels, k=key, v=value: labels.get(k) == v)
            continue

        set_based = _SET_RE.match(term)
        if not set_based:
            raise ApiError(400, f'unable to parse requirement: invalid label selector term "{term.strip()}"')
        negate, key, operator, values = set_based.groups()
        if negate and operator:
            raise ApiError(400, f'unable to parse requirement: "!" cannot be combined with {operator} in "{term.strip()}"')
        if operator:
            choices = {value.strip() for value in values.split(",") if value.strip()}
            if operator == "in":
                requirements.append(lambda labels, k=key, c=choices: labels.get(k) in c)
            else:
                requirements.append(lambda labels, k=key, c=choices: labels.get(k) not in c)
        elif negate:
            requirements.append(lambda labels, k=key: k not in labels)
        else:
            requirements.append(lambda labels, k=key: k in labels)
    return requirements


def labels_match(requirements: list[Requirement], labels: dict[str, str] | None) -> bool:
    return all(requirement(labels or {}) for requirement in requirements)


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """Match a metav1.LabelSelector object (matchLabels, matchExpressions) against labels.

    An empty selector matches everything; a None selector matches nothing.
    """
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def selector_to_string(selector: dict[str, Any]) -> str:
    """Render a metav1.LabelSelector as the labelSelector query string."""
    terms = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if operator == "In":
            terms.append(f"{key} in ({','.join(values)})")
        elif operator == "NotIn":
            terms.append(f"{key} notin ({','.join(values)})")
        elif operator == "Exists":
            terms.append(key)
        elif operator == "DoesNotExist":
            terms.append(f"!{key}")
    return ",".join(terms)


def _field_value(obj: dict[str, Any], path: str) -> str | None:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def parse_field_selector(selector: str, supported: set[str]) -> list[Callable[[dict[str, Any]], bool]]:
    """Parse a fieldSelector; fields outside `supported` are rejected as the API server does."""
    requirements: list[Callable[[dict[str, Any]], bool]] = []
    for term in _split_terms(selector or ""):
        match = _EQUALITY_RE.match(term)
        if not match:
            raise ApiError(400, f'invalid field selector term "{term.strip()}": use field=value or field!=value')
        field, operator, value = match.groups()
        if field not in supported:
            raise ApiError(400, f'field label not supported: {field}')
        if operator == "!=":
            requirements.append(lambda obj, f=field, v=value: _field_value(obj, f) != v)
        else:
            requirements.append(lambda obj, f=field, v=value: _field_value(obj, f) == v)
    return requirements
