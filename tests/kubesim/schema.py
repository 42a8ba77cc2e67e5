"""Upstream OpenAPI definitions of the built-in kinds, and walking them.

The definitions come from kubernetes-validate's bundled copy of the upstream
OpenAPI document (JSON Schema form: `$defs`, `$ref`, nullable type lists), so
no built-in schema is written by hand here.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import kubernetes_validate

KUBERNETES_MINOR = 33
REF_PREFIX = "#/$defs/"

Schema = dict[str, Any]


@functools.cache
def definitions() -> dict[str, Schema]:
    """Load the upstream definitions for the simulated Kubernetes minor version."""
    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    path = base / f"v1.{KUBERNETES_MINOR}.0-local" / "_definitions.json"
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)["$defs"]


@functools.cache
def definition_by_gvk() -> dict[tuple[str, str, str], str]:
    """Map (group, version, kind) to the definition name that describes it."""
    result: dict[tuple[str, str, str], str] = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            key = (gvk["group"], gvk["version"], gvk["kind"])
            # Prefer the definition from the kind's own API package.
            if key not in result or f".{gvk['version']}.{gvk['kind']}" in name:
                result[key] = name
    return result


def resolve(schema: Schema | None) -> Schema | None:
    """Follow `$ref` (also inside a single-entry allOf) to the referenced definition."""
    while schema is not None:
        if "$ref" in schema:
            ref = schema["$ref"]
            schema = definitions().get(ref[len(REF_PREFIX):]) if ref.startswith(REF_PREFIX) else None
        elif len(schema.get("allOf", [])) == 1:
            schema = schema["allOf"][0]
        else:
            return schema
    return None


def types_of(schema: Schema) -> set[str]:
    """Return the JSON types a schema admits, without "null"."""
    kind = schema.get("type")
    if kind is None:
        found: set[str] = set()
        for option in schema.get("oneOf", []) + schema.get("anyOf", []):
            found |= types_of(resolve(option) or {})
        return found
    if isinstance(kind, str):
        return {kind}
    return {entry for entry in kind if entry != "null"}


def child(schema: Schema | None, key: str) -> Schema | None:
    """Return the schema of property `key` of an object schema, unresolved, or None."""
    target = resolve(schema)
    if target is None:
        return None
    properties = target.get("properties")
    if properties and key in properties:
        return properties[key]
    additional = target.get("additionalProperties")
    if isinstance(additional, dict):
        return additional
    return None


def items(schema: Schema | None) -> Schema | None:
    """Return the schema of the items of an array schema, or None."""
    target = resolve(schema)
    if target is None:
        return None
    return target.get("items")


def patch_strategy(schema: Schema | None) -> tuple[set[str], str | None]:
    """Return the strategic merge patch strategies and merge key of a field schema."""
    if schema is None:
        return set(), None
    strategies = {part for part in schema.get("x-kubernetes-patch-strategy", "").split(",") if part}
    return strategies, schema.get("x-kubernetes-patch-merge-key")


def kind_schema(group: str, version: str, kind: str) -> Schema | None:
    """Return the definition of a built-in kind, or None when upstream has none."""
    name = definition_by_gvk().get((group, version, kind))
    return definitions()[name] if name else None
