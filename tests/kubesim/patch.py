"""JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch."""

from __future__ import annotations

from typing import Any

from . import schema as schemas
from .errors import ApiError
from .store import clone

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder/"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON merge patch: objects merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = clone(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: Any, operations: Any) -> Any:
    """Apply a JSON patch (a list of operations) and return the new document."""
    if not isinstance(operations, list):
        raise ApiError(400, "the body of a JSON patch must be a list of operations")
    document = clone(target)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise ApiError(400, f"invalid JSON patch operation {operation!r}: each operation needs op and path")
        document = _apply_operation(document, operation)
    return document


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(400, f'invalid JSON pointer "{path}": it must start with "/"')
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _parent(document: Any, parts: list[str], path: str) -> Any:
    node = document
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise ApiError(422, f"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"")
    return node


def _get(document: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return document
    parent = _parent(document, parts, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise ApiError(422, f"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"")


def _remove(document: Any, path: str) -> Any:
    parts = _pointer(path)
    parent = _parent(document, parts, path)
    last = parts[-1] if parts else ""
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise ApiError(422, f"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"")


def _add(document: Any, path: str, value: Any, replace: bool) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(document, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise ApiError(422, f"the server rejected our request due to an error in our request: doc is missing key: \"{path}\"")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise ApiError(422, f"the server rejected our request due to an error in our request: index out of range in \"{path}\"")
    else:
        raise ApiError(422, f"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"")
    return document


def _apply_operation(document: Any, operation: dict[str, Any]) -> Any:
    op = operation["op"]
    path = operation["path"]
    if op == "add":
        return _add(document, path, clone(operation.get("value")), replace=False)
    if op == "replace":
        return _add(document, path, clone(operation.get("value")), replace=True)
    if op == "remove":
        _remove(document, path)
        return document
    if op in ("move", "copy"):
        source = operation.get("from", "")
        value = _remove(document, source) if op == "move" else clone(_get(document, source))
        return _add(document, path, value, replace=False)
    if op == "test":
        if _get(document, path) != operation.get("value"):
            raise ApiError(422, f"the server rejected our request due to an error in our request: testing value {path} failed")
        return document
    raise ApiError(400, f'unsupported JSON patch operation "{op}": use add, remove, replace, move, copy or test')


def strategic_merge_patch(original: dict[str, Any], patch: dict[str, Any], schema: schemas.Schema | None) -> dict[str, Any]:
    """Apply a strategic merge patch using the patch strategies of the upstream schema."""
    if not isinstance(patch, dict):
        raise ApiError(400, "the body of a strategic merge patch must be a JSON object")
    return _merge_map(original if isinstance(original, dict) else {}, patch, schema)


def _merge_map(original: dict[str, Any], patch: dict[str, Any], schema: schemas.Schema | None) -> dict[str, Any]:
    directive = patch.get(DIRECTIVE)
    if directive == "replace":
        return _strip_directives({key: value for key, value in patch.items() if key != DIRECTIVE})
    if directive == "delete":
        return {}

    result = clone(original)
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in (DIRECTIVE, RETAIN_KEYS):
            continue
        if key.startswith(SET_ELEMENT_ORDER):
            orders[key[len(SET_ELEMENT_ORDER):]] = value
            continue
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
            field = key[len(DELETE_FROM_PRIMITIVE_LIST):]
            if isinstance(result.get(field), list):
                result[field] = [entry for entry in result[field] if entry not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
            continue

        field_schema = schemas.child(schema, key)
        strategies, merge_key = schemas.patch_strategy(field_schema)
        current = result.get(key)
        if isinstance(value, dict) and "replace" not in strategies:
            if value.get(DIRECTIVE) == "delete":
                result.pop(key, None)
            else:
                result[key] = _merge_map(current if isinstance(current, dict) else {}, value, field_schema)
        elif isinstance(value, list) and "merge" in strategies:
            result[key] = _merge_list(current if isinstance(current, list) else [], value, field_schema, merge_key)
        else:
            result[key] = _strip_directives(value)

    for field, order in orders.items():
        if isinstance(result.get(field), list):
            field_schema = schemas.child(schema, field)
            result[field] = _order_list(result[field], order, schemas.patch_strategy(field_schema)[1])

    retain = patch.get(RETAIN_KEYS)
    if isinstance(retain, list):
        result = {key: value for key, value in result.items() if key in retain}
    return result


def _merge_list(original: list[Any], patch: list[Any], schema: schemas.Schema | None, merge_key: str | None) -> list[Any]:
    item_schema = schemas.items(schema)
    if merge_key is None:
        # A merged list of primitives is a union that keeps the original order.
        replace = [entry for entry in patch if isinstance(entry, dict) and entry.get(DIRECTIVE) == "replace"]
        if replace:
            return [entry for entry in patch if not isinstance(entry, dict)]
        result = list(original)
        for entry in patch:
            if entry not in result:
                result.append(clone(entry))
        return result

    if any(isinstance(entry, dict) and entry.get(DIRECTIVE) == "replace" for entry in patch):
        return [_strip_directives(entry) for entry in patch if not (isinstance(entry, dict) and DIRECTIVE in entry)]

    result = clone(original)
    for entry in patch:
        if not isinstance(entry, dict):
            raise ApiError(400, f"strategic merge patch: list entry {entry!r} is not an object with merge key {merge_key}")
        key_value = entry.get(merge_key)
        index = next((i for i, existing in enumerate(result) if isinstance(existing, dict) and existing.get(merge_key) == key_value), None)
        if entry.get(DIRECTIVE) == "delete":
            if index is not None:
                result.pop(index)
            continue
        if index is None:
            result.append(_strip_directives(entry))
        else:
            result[index] = _merge_map(result[index], entry, item_schema)
    return result


def _order_list(values: list[Any], order: list[Any], merge_key: str | None) -> list[Any]:
    """Reorder a merged list as $setElementOrder requests; entries it omits go last."""
    def identity(entry: Any) -> Any:
        return entry.get(merge_key) if merge_key and isinstance(entry, dict) else entry

    expected_order = [identity(entry) for entry in order]
    ordered = sorted(
        values,
        key=lambda entry: expected_order.index(identity(entry)) if identity(entry) in expected_order else len(expected_order),
    )
    return ordered


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _strip_directives(entry)
            for key, entry in value.items()
            if not key.startswith("$")
        }
    if isinstance(value, list):
        return [_strip_directives(entry) for entry in value]
    return value
