"""OpenAPI v3 documents per group/version, built from the upstream definitions and CRD schemas.

kubectl reads them for `explain`, for client-side apply patch strategies and
to learn that the server supports fieldValidation. OpenAPI v2 (protobuf
only in kubectl) is not served, so kubectl falls back to v3.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from typing import Any

from . import schema as schemas
from .discovery import GIT_VERSION
from .resources import Registry, ResourceType

COMPONENT_PREFIX = "#/components/schemas/"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
SPECIAL_DEFINITIONS = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"},
}
QUERY_PARAMETERS = ["dryRun", "fieldManager", "fieldValidation", "pretty"]


def _convert(node: Any) -> Any:
    """Convert a JSON Schema 2020-12 fragment of the upstream definitions to OpenAPI 3.0."""
    if isinstance(node, list):
        return [_convert(entry) for entry in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            continue
        if key == "type" and isinstance(value, list):
            types = [entry for entry in value if entry != "null"]
            if types:
                result["type"] = types[0]
            continue
        if key == "oneOf":
            continue
        if key in ("properties", "patternProperties"):
            result[key] = {name: _convert(entry) for name, entry in value.items()}
            continue
        result[key] = _convert(value)
    if "$ref" in node:
        reference = {"$ref": COMPONENT_PREFIX + node["$ref"][len(schemas.REF_PREFIX):]}
        if result:
            result["allOf"] = [reference]
        else:
            result = reference
    return result


@functools.cache
def _converted_definition(name: str) -> dict[str, Any]:
    if name in SPECIAL_DEFINITIONS:
        description = schemas.definitions()[name].get("description", "")
        return {**SPECIAL_DEFINITIONS[name], "description": description}
    return _convert(schemas.definitions()[name])


def _references(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith(schemas.REF_PREFIX):
            name = reference[len(schemas.REF_PREFIX):]
            if name not in found:
                found.add(name)
                _references(schemas.definitions().get(name), found)
        for value in node.values():
            _references(value, found)
    elif isinstance(node, list):
        for value in node:
            _references(value, found)


@functools.cache
def _closure(name: str) -> frozenset[str]:
    found = {name}
    _references(schemas.definitions()[name], found)
    return frozenset(found)


def _custom_schema_name(rt: ResourceType) -> str:
    reversed_group = ".".join(reversed(rt.group.split(".")))
    return f"{reversed_group}.{rt.version}.{rt.kind}"


def _custom_schema(rt: ResourceType) -> dict[str, Any]:
    result = copy.deepcopy(rt.crd_schema or {"type": "object"})
    properties = result.setdefault("properties", {})
    properties.setdefault("apiVersion", {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."})
    properties.setdefault("kind", {"type": "string", "description": "Kind is a string value representing the REST resource this object represents."})
    properties["metadata"] = {"allOf": [{"$ref": COMPONENT_PREFIX + OBJECT_META}], "description": "Standard object's metadata."}
    result["x-kubernetes-group-version-kind"] = [{"group": rt.group, "version": rt.version, "kind": rt.kind}]
    return result


def _operation(rt: ResourceType, action: str, schema_name: str) -> dict[str, Any]:
    gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
    parameters = [{"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for name in QUERY_PARAMETERS]
    if action == "patch":
        parameters.append({"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}})
    reference = {"$ref": COMPONENT_PREFIX + schema_name}
    operation: dict[str, Any] = {
        "operationId": f"{action}{rt.kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
        "parameters": parameters,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": reference}}}},
    }
    if action in ("put", "post"):
        operation["requestBody"] = {"content": {"*/*": {"schema": reference}}, "required": True}
    return operation


def _paths(rt: ResourceType, schema_name: str) -> dict[str, Any]:
    prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else "/api/v1"
    collection = f"{prefix}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{prefix}/{rt.plural}"
    return {
        collection: {"get": _operation(rt, "list", schema_name), "post": _operation(rt, "post", schema_name)},
        collection + "/{name}": {
            "get": _operation(rt, "get", schema_name),
            "put": _operation(rt, "put", schema_name),
            "patch": _operation(rt, "patch", schema_name),
            "delete": _operation(rt, "delete", schema_name),
        },
    }


def group_version_document(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    types = registry.in_group_version(group, version)
    if not types:
        return None
    paths: dict[str, Any] = {}
    names: set[str] = set(_closure(OBJECT_META))
    custom: dict[str, Any] = {}
    for rt in types:
        if rt.crd_schema is not None:
            schema_name = _custom_schema_name(rt)
            custom[schema_name] = _custom_schema(rt)
        else:
            schema_name = schemas.definition_by_gvk().get((rt.group, rt.version, rt.kind), "")
            if not schema_name:
                continue
            names |= _closure(schema_name)
        paths.update(_paths(rt, schema_name))
    components = {name: _converted_definition(name) for name in sorted(names)}
    components.update(custom)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": GIT_VERSION},
        "paths": paths,
        "components": {"schemas": components},
    }


def _fingerprint(registry: Registry, group: str, version: str) -> str:
    material = [
        (rt.plural, rt.kind, rt.namespaced, rt.crd_schema)
        for rt in registry.in_group_version(group, version)
    ]
    return hashlib.sha512(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:64].upper()


def index(registry: Registry) -> dict[str, Any]:
    paths = {}
    for group, versions in registry.groups().items():
        for version in versions:
            relative = f"apis/{group}/{version}" if group else f"api/{version}"
            paths[relative] = {"serverRelativeURL": f"/openapi/v3/{relative}?hash={_fingerprint(registry, group, version)}"}
    return {"paths": paths}


def document(registry: Registry, path: str) -> dict[str, Any] | None:
    """Return the OpenAPI document at a request path under /openapi, or None for 404."""
    parts = [part for part in path.split("/") if part]
    if parts == ["openapi", "v3"]:
        return index(registry)
    if parts[:2] != ["openapi", "v3"]:
        return None
    rest = parts[2:]
    if rest[:1] == ["api"] and len(rest) == 2:
        return group_version_document(registry, "", rest[1])
    if rest[:1] == ["apis"] and len(rest) == 3:
        return group_version_document(registry, rest[1], rest[2])
    return None
