"""Defaulting, pruning and validation of custom resources against a structural schema.

CEL rules (x-kubernetes-validations) are evaluated by the subset in cel.py.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from functools import lru_cache
from typing import Any

from . import cel, errors
from .errors import FieldError
from .store import clone

ROOT_FIELDS = {"apiVersion", "kind", "metadata"}
JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
}


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _is_type(value: Any, expected: str) -> bool:
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, float) and value.is_integer())
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    python_type = JSON_TYPES.get(expected)
    return python_type is None or isinstance(value, python_type)


def _child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class CustomResourceValidator:
    """Apply defaults, prune unknown fields and collect field errors for one object."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.unknown: list[str] = []

    def process(self, obj: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        result = clone(obj)
        properties = schema.get("properties") or {}
        for key in list(result):
            if key in ROOT_FIELDS:
                continue
            if key in properties:
                result[key] = self._walk(result[key], properties[key], key)
            elif not schema.get("x-kubernetes-preserve-unknown-fields"):
                self.unknown.append(key)
                del result[key]
        self._apply_defaults(result, schema, "")
        for key in schema.get("required") or []:
            if key not in result and key not in ROOT_FIELDS:
                self.errors.append(errors.required(key))
        if not self.errors:
            self._check_rules(result, schema, "")
        return result

    def _apply_defaults(self, value: dict[str, Any], schema: dict[str, Any], path: str) -> None:
        for key, prop in (schema.get("properties") or {}).items():
            if key not in value and "default" in prop and not (path == "" and key in ROOT_FIELDS):
                value[key] = self._walk(clone(prop["default"]), prop, _child_path(path, key))

    def _walk(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if value is None:
            if schema.get("nullable"):
                return None
            expected = schema.get("type")
            if expected:
                self.errors.append(errors.invalid(path, "null", f'{path} in body must be of type {expected}: "null"'))
            return value

        expected = schema.get("type")
        int_or_string = schema.get("x-kubernetes-int-or-string")
        if int_or_string:
            if not (isinstance(value, str) or _is_type(value, "integer")):
                self.errors.append(errors.invalid(path, _json_type(value), f'{path} in body must be of type integer,string: "{_json_type(value)}"'))
                return value
        elif expected and not _is_type(value, expected):
            self.errors.append(errors.invalid(path, _json_type(value), f'{path} in body must be of type {expected}: "{_json_type(value)}"'))
            return value

        if isinstance(value, dict):
            value = self._walk_object(value, schema, path)
        elif isinstance(value, list):
            value = self._walk_array(value, schema, path)
        elif expected == "integer" and isinstance(value, float):
            value = int(value)

        self._check_value(value, schema, path)
        self._check_combinations(value, schema, path)
        self._check_rules(value, schema, path)
        return value

    def _check_rules(self, value: Any, schema: dict[str, Any], path: str) -> None:
        """Evaluate the CEL rules of x-kubernetes-validations; rules outside the supported subset pass."""
        for rule in schema.get("x-kubernetes-validations") or []:
            if cel.rule_holds(rule.get("rule", ""), value) is not False:
                continue
            field = path + rule.get("fieldPath", "") if path else rule.get("fieldPath", "").lstrip(".")
            message = rule.get("message") or f"failed rule: {' '.join(rule.get('rule', '').split())}"
            reason = rule.get("reason", "FieldValueInvalid")
            if reason == "FieldValueForbidden":
                self.errors.append(errors.forbidden(field, message))
            elif reason == "FieldValueRequired":
                self.errors.append(FieldError(field, reason, f"Required value: {message}"))
            elif reason == "FieldValueDuplicate":
                self.errors.append(FieldError(field, reason, f"Duplicate value: {message}"))
            else:
                reported = _json_type(value) if isinstance(value, (dict, list)) else value
                self.errors.append(errors.invalid(field, reported, message))

    def _check_combinations(self, value: Any, schema: dict[str, Any], path: str) -> None:
        """Check oneOf, anyOf, allOf and not, whose subschemas only validate (no defaults or pruning)."""
        def valid(subschema: dict[str, Any]) -> bool:
            probe = CustomResourceValidator()
            probe._walk(clone(value), subschema, path)
            return not probe.errors

        reported = _json_type(value) if isinstance(value, (dict, list)) else value
        if "oneOf" in schema and sum(1 for subschema in schema["oneOf"] if valid(subschema)) != 1:
            self.errors.append(errors.invalid(path, reported, f"{path} in body must validate one and only one schema (oneOf)"))
        if "anyOf" in schema and not any(valid(subschema) for subschema in schema["anyOf"]):
            self.errors.append(errors.invalid(path, reported, f"{path} in body must validate at least one schema (anyOf)"))
        if "allOf" in schema and not all(valid(subschema) for subschema in schema["allOf"]):
            self.errors.append(errors.invalid(path, reported, f"{path} in body must validate all the schemas (allOf)"))
        if "not" in schema and valid(schema["not"]):
            self.errors.append(errors.invalid(path, reported, f"{path} in body must not validate the schema (not)"))

    def _walk_object(self, value: dict[str, Any], schema: dict[str, Any], path: str) -> dict[str, Any]:
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("x-kubernetes-embedded-resource")
        result: dict[str, Any] = {}
        for key, entry in value.items():
            if properties and key in properties:
                result[key] = self._walk(entry, properties[key], _child_path(path, key))
            elif isinstance(additional, dict):
                result[key] = self._walk(entry, additional, f"{path}[{key}]")
            elif additional is True or preserve or (not properties and additional is None and not schema.get("type")):
                result[key] = entry
            else:
                self.unknown.append(_child_path(path, key))
        self._apply_defaults(result, schema, path)
        for key in schema.get("required") or []:
            if key not in result:
                self.errors.append(errors.required(_child_path(path, key)))
        if "maxProperties" in schema and len(result) > schema["maxProperties"]:
            self.errors.append(errors.too_many(path, len(result), schema["maxProperties"]))
        if "minProperties" in schema and len(result) < schema["minProperties"]:
            self.errors.append(errors.invalid(path, len(result), f"{path} in body should have at least {schema['minProperties']} properties"))
        return result

    def _walk_array(self, value: list[Any], schema: dict[str, Any], path: str) -> list[Any]:
        item_schema = schema.get("items") or {}
        result = [self._walk(entry, item_schema, f"{path}[{index}]") for index, entry in enumerate(value)]
        if "maxItems" in schema and len(result) > schema["maxItems"]:
            self.errors.append(errors.too_many(path, len(result), schema["maxItems"]))
        if "minItems" in schema and len(result) < schema["minItems"]:
            self.errors.append(errors.invalid(path, len(result), f"{path} in body should have at least {schema['minItems']} items"))
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "set":
            seen: list[Any] = []
            for index, entry in enumerate(result):
                if entry in seen:
                    self.errors.append(errors.duplicate(f"{path}[{index}]", entry))
                seen.append(entry)
        elif list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys") or []
            seen_keys: list[tuple[Any, ...]] = []
            for index, entry in enumerate(result):
                if not isinstance(entry, dict):
                    continue
                identity = tuple(entry.get(key) for key in keys)
                if identity in seen_keys:
                    key_text = ", ".join(f'"{key}":{errors._go_value(entry.get(key))}' for key in keys)
                    self.errors.append(errors.duplicate(f"{path}[{index}]", "map[" + key_text + "]"))
                seen_keys.append(identity)
        return result

    def _check_value(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if "enum" in schema and value not in schema["enum"]:
            self.errors.append(errors.unsupported(path, value, schema["enum"]))
        if isinstance(value, str):
            length = len(value)
            if "maxLength" in schema and length > schema["maxLength"]:
                self.errors.append(errors.too_long(path, schema["maxLength"]))
            if "minLength" in schema and length < schema["minLength"]:
                self.errors.append(errors.invalid(path, value, f"{path} in body should be at least {schema['minLength']} chars long"))
            string_format = schema.get("format")
            if string_format in FORMAT_CHECKS and not FORMAT_CHECKS[string_format](value):
                self.errors.append(errors.invalid(path, value, f'{path} in body must be of type {string_format}: "{value}"'))
            pattern = schema.get("pattern")
            if pattern:
                compiled = _compile(pattern)
                if compiled is not None and not compiled.search(value):
                    self.errors.append(errors.invalid(path, value, f"{path} in body should match '{pattern}'"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "maximum" in schema:
                limit = schema["maximum"]
                if value > limit or (schema.get("exclusiveMaximum") and value == limit):
                    relation = "less than" if schema.get("exclusiveMaximum") else "less than or equal to"
                    self.errors.append(errors.invalid(path, value, f"{path} in body should be {relation} {limit}"))
            if "minimum" in schema:
                limit = schema["minimum"]
                if value < limit or (schema.get("exclusiveMinimum") and value == limit):
                    relation = "greater than" if schema.get("exclusiveMinimum") else "greater than or equal to"
                    self.errors.append(errors.invalid(path, value, f"{path} in body should be {relation} {limit}"))


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
# NOTE: only these string formats are checked; others (hostname, uri, ...) pass unchecked.
FORMAT_CHECKS = {
    "ipv4": lambda value: _is_ip(value, 4),
    "ipv6": lambda value: _is_ip(value, 6),
    "date-time": lambda value: bool(DATE_TIME.match(value)),
    "byte": _is_base64,
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
