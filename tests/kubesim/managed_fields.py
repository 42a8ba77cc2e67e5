"""Field ownership for server-side apply: fieldsV1 sets, managedFields entries, apply and conflicts.

A field path is a tuple of fieldsV1 keys: "f:name" for an object field,
"k:{...}" for an entry of a map-type list (by its key fields), "v:value"
for an entry of a set-type list. Other lists are atomic: one field.
"""

from __future__ import annotations

import json
from typing import Any

from . import schema as schemas
from .errors import ApiError
from .resources import ResourceType
from .store import clone

FieldPath = tuple[str, ...]
UNMANAGED_METADATA = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                      "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"}


class SchemaView:
    """A uniform view of a built-in definition (with $ref) or a CRD structural schema."""

    def __init__(self, rt: ResourceType) -> None:
        self.custom = rt.crd_schema is not None
        self.root = rt.crd_schema if self.custom else schemas.kind_schema(rt.group, rt.version, rt.kind)

    def resolve(self, schema: Any) -> Any:
        return schema if self.custom else schemas.resolve(schema)

    def child(self, schema: Any, key: str) -> Any:
        target = self.resolve(schema)
        if not isinstance(target, dict):
            return None
        properties = target.get("properties") or {}
        if key in properties:
            return properties[key]
        additional = target.get("additionalProperties")
        return additional if isinstance(additional, dict) else None

    def items(self, schema: Any) -> Any:
        target = self.resolve(schema)
        return target.get("items") if isinstance(target, dict) else None

    def list_keys(self, schema: Any) -> tuple[str, list[str]]:
        """Return the list type (map, set or atomic) and, for maps, the key fields."""
        if not isinstance(schema, dict):
            return "atomic", []
        list_type = schema.get("x-kubernetes-list-type")
        keys = schema.get("x-kubernetes-list-map-keys") or []
        merge_key = schema.get("x-kubernetes-patch-merge-key")
        if list_type == "map" and keys:
            return "map", list(keys)
        if list_type is None and merge_key and "merge" in schema.get("x-kubernetes-patch-strategy", ""):
            return "map", [merge_key]
        if list_type == "set":
            return "set", []
        return "atomic", []


def _entry_key(entry: dict[str, Any], keys: list[str]) -> str:
    return "k:" + json.dumps({key: entry.get(key) for key in keys if key in entry}, separators=(",", ":"), sort_keys=True)


def field_set(obj: dict[str, Any], view: SchemaView, subresource: str = "") -> set[FieldPath]:
    """Return the fields an object (or apply configuration) sets."""
    fields: set[FieldPath] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if (key == "status") != (subresource == "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            value = {name: entry for name, entry in value.items() if name not in UNMANAGED_METADATA}
            if not value:
                continue
        _collect(value, view.child(view.root, key), view, ("f:" + key,), fields)
    return fields


def _collect(value: Any, schema: Any, view: SchemaView, path: FieldPath, fields: set[FieldPath]) -> None:
    if isinstance(value, dict) and value:
        for key, entry in value.items():
            _collect(entry, view.child(schema, key), view, path + ("f:" + key,), fields)
        return
    if isinstance(value, list):
        list_type, keys = view.list_keys(view.resolve(schema) if not view.custom else schema)
        if list_type == "map":
            item_schema = view.items(schema)
            for entry in value:
                if isinstance(entry, dict):
                    entry_path = path + (_entry_key(entry, keys),)
                    fields.add(entry_path)
                    for key, sub in entry.items():
                        _collect(sub, view.child(item_schema, key), view, entry_path + ("f:" + key,), fields)
            return
        if list_type == "set":
            for entry in value:
                fields.add(path + ("v:" + json.dumps(entry, separators=(",", ":")),))
            return
    fields.add(path)


def encode(fields: set[FieldPath]) -> dict[str, Any]:
    """Encode a field set as a fieldsV1 object."""
    root: dict[str, Any] = {}
    for path in sorted(fields):
        node = root
        for part in path:
            node = node.setdefault(part, {})
    for path in fields:
        node = root
        for part in path:
            node = node[part]
        if node:
            node["."] = {}
    return root


def decode(fields_v1: dict[str, Any], prefix: FieldPath = ()) -> set[FieldPath]:
    """Decode a fieldsV1 object into a field set."""
    result: set[FieldPath] = set()
    for key, child in (fields_v1 or {}).items():
        if key == ".":
            result.add(prefix)
            continue
        if child:
            result |= decode(child, prefix + (key,))
        else:
            result.add(prefix + (key,))
    return result


def _find(node: Any, part: str) -> tuple[bool, Any]:
    kind, colon, text = part.partition(":")
    if kind == "f":
        if isinstance(node, dict) and text in node:
            return True, node[text]
        return False, None
    if kind == "k" and isinstance(node, list):
        expected_keys = json.loads(text)
        for entry in node:
            if isinstance(entry, dict) and all(entry.get(key) == value for key, value in expected_keys.items()):
                return True, entry
        return False, None
    if kind == "v" and isinstance(node, list):
        value = json.loads(text)
        return (value in node), value
    return False, None


def value_at(obj: Any, path: FieldPath) -> tuple[bool, Any]:
    node = obj
    for part in path:
        found, node = _find(node, part)
        if not found:
            return False, None
    return True, node


def remove_path(obj: Any, path: FieldPath) -> None:
    """Delete the field at `path` from an object, in place, if present."""
    node = obj
    for part in path[:-1]:
        found, node = _find(node, part)
        if not found:
            return
    kind, colon, text = path[-1].partition(":")
    if kind == "f" and isinstance(node, dict):
        node.pop(text, None)
    elif kind == "k" and isinstance(node, list):
        found, entry = _find(node, path[-1])
        if found:
            node.remove(entry)
    elif kind == "v" and isinstance(node, list):
        value = json.loads(text)
        if value in node:
            node.remove(value)


def merge(live: Any, config: Any, schema: Any, view: SchemaView) -> Any:
    """Merge an apply configuration into the live object: maps recurse, map lists merge by key, sets unite."""
    if isinstance(config, dict) and isinstance(live, dict):
        result = clone(live)
        for key, value in config.items():
            result[key] = merge(live.get(key), value, view.child(schema, key), view)
        return result
    if isinstance(config, list) and isinstance(live, list):
        list_type, keys = view.list_keys(schema if view.custom else view.resolve(schema))
        if list_type == "map":
            result = clone(live)
            item_schema = view.items(schema)
            for entry in config:
                if not isinstance(entry, dict):
                    continue
                found, existing = _find(result, _entry_key(entry, keys))
                if found:
                    result[result.index(existing)] = merge(existing, entry, item_schema, view)
                else:
                    result.append(clone(entry))
            return result
        if list_type == "set":
            return clone(live) + [clone(entry) for entry in config if entry not in live]
    return clone(config)


def _path_text(path: FieldPath) -> str:
    """Format a field path as the API server does in conflicts: .spec.containers[name="app"].image."""
    text = ""
    for part in path:
        kind, colon, rest = part.partition(":")
        if kind == "f":
            text += f".{rest}"
        elif kind == "k":
            keys = json.loads(rest)
            text += "[" + ",".join(f"{key}={json.dumps(value)}" for key, value in keys.items()) + "]"
        else:
            text += f"[={rest}]"
    return text


def apply(rt: ResourceType, live: dict[str, Any], config: dict[str, Any], manager: str, force: bool, stamp: str, subresource: str = "") -> dict[str, Any]:
    """Return the object after applying `config` as `manager`, with managedFields updated; raise 409 on conflicts."""
    view = SchemaView(rt)
    config_fields = field_set(config, view, subresource)
    entries = list(live.get("metadata", {}).get("managedFields") or [])
    owned_by_others: set[FieldPath] = set()
    conflicts: list[tuple[str, FieldPath]] = []
    previous: set[FieldPath] = set()

    for entry in entries:
        fields = decode(entry.get("fieldsV1") or {})
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            previous = fields
            continue
        owned_by_others |= fields
        for path in fields & config_fields:
            # A list entry's own path marks membership; only its fields can conflict.
            if path[-1].startswith("k:"):
                continue
            if value_at(live, path) != value_at(config, path):
                conflicts.append((entry.get("manager", ""), path))

    if conflicts and not force:
        causes = [{"reason": "FieldManagerConflict", "message": f'conflict with "{owner}" using {rt.api_version}', "field": _path_text(path)}
                  for owner, path in conflicts]
        owners = ", ".join(sorted({f'"{owner}"' for owner, conflict_path in conflicts}))
        # The wording follows kube-apiserver; kubectl adds its own advice (--force-conflicts) below it.
        if len(conflicts) == 1:
            message = f"Apply failed with 1 conflict: conflict with {owners} using {rt.api_version}: {_path_text(conflicts[0][1])}"
        else:
            listed = "\n".join(f"- {_path_text(path)}" for owner, path in conflicts)
            message = f"Apply failed with {len(conflicts)} conflicts: conflicts with {owners} using {rt.api_version}:\n{listed}"
        raise ApiError(409, message, reason="Conflict", details={"causes": causes})

    result = merge(live, {key: value for key, value in config.items() if key not in ("apiVersion", "kind")}, view.root, view)
    for path in sorted(previous - config_fields - owned_by_others, key=len, reverse=True):
        remove_path(result, path)

    forced = {path for owner, path in conflicts}
    new_entries = []
    for entry in entries:
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            continue
        fields = decode(entry.get("fieldsV1") or {}) - forced
        if fields:
            new_entries.append(dict(entry, fieldsV1=encode(fields)))
    new_entries.append(new_entry(manager, "Apply", rt, config_fields, stamp, subresource))
    result.setdefault("metadata", {})["managedFields"] = new_entries
    return result


def new_entry(manager: str, operation: str, rt: ResourceType, fields: set[FieldPath], stamp: str, subresource: str) -> dict[str, Any]:
    entry = {"manager": manager, "operation": operation, "apiVersion": rt.api_version, "time": stamp, "fieldsType": "FieldsV1", "fieldsV1": encode(fields)}
    if subresource:
        entry["subresource"] = subresource
    return entry


def record_update(rt: ResourceType, old: dict[str, Any] | None, new: dict[str, Any], manager: str, stamp: str, subresource: str = "") -> None:
    """Record an Update by `manager` in new.metadata.managedFields: it takes the fields it changed."""
    view = SchemaView(rt)
    new_fields = field_set(new, view, subresource)
    entries = list(((old or {}).get("metadata") or {}).get("managedFields") or [])
    if old is None:
        changed = new_fields
    else:
        old_fields = field_set(old, view, subresource)
        changed = {path for path in new_fields if path not in old_fields or value_at(old, path) != value_at(new, path)}
        removed = old_fields - new_fields
        changed_or_removed = changed | removed
    result = []
    mine: set[FieldPath] = set()
    for entry in entries:
        fields = decode(entry.get("fieldsV1") or {})
        if entry.get("manager") == manager and entry.get("operation") == "Update" and entry.get("subresource", "") == subresource:
            mine = fields & new_fields
            continue
        if old is not None:
            fields -= changed_or_removed
        if fields:
            result.append(dict(entry, fieldsV1=encode(fields)))
    mine |= changed
    if mine:
        result.append(new_entry(manager, "Update", rt, mine, stamp, subresource))
    new.setdefault("metadata", {})["managedFields"] = result
