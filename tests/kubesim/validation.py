"""Decoding and validation of request bodies, as the API server does before storing.

Built-in kinds are decoded against the upstream definitions: wrong types are
rejected with 400 as Go's JSON decoder would, unknown fields are dropped
(or rejected under fieldValidation=Strict). Custom resources are validated
against their CRD's openAPIV3Schema with 422 and field paths, after
defaulting and pruning.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from . import errors, quantity
from . import schema as schemas
from .errors import ApiError, FieldError

QUANTITY_DEFINITION = ".api.resource.Quantity"
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)

# Kinds whose names must be RFC 1123 labels (63 characters) or RFC 1035 labels; the rest are subdomains.
LABEL_NAMED_KINDS = {"Namespace"}
DNS1035_NAMED_KINDS = {"Service"}
# Kinds whose names are only checked for path safety, as the API server does (RBAC and Events).
PATH_SEGMENT_NAMED_KINDS = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Event"}


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


class BuiltinDecoder:
    """Decode a built-in object against its upstream definition.

    Unknown fields are collected in `unknown` and removed; a value of the
    wrong JSON type raises 400, as the Go decoder does.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.unknown: list[str] = []

    def decode(self, obj: dict[str, Any], schema: schemas.Schema) -> dict[str, Any]:
        return self._walk(obj, schema, "")

    def _fail(self, path: str, value: Any, expected: str) -> ApiError:
        return ApiError(
            400,
            f'{self.kind} in version "v1" cannot be handled as a {self.kind}: json: cannot unmarshal '
            f"{_type_name(value)} into Go struct field {path or self.kind} of type {expected}",
        )

    def _walk(self, value: Any, schema: schemas.Schema | None, path: str) -> Any:
        if isinstance(schema, dict) and schema.get("$ref", "").endswith(QUANTITY_DEFINITION):
            return self._quantity(value, path)
        target = schemas.resolve(schema)
        if target is None:
            return value
        allowed = schemas.types_of(target)
        if not allowed:
            return value

        if isinstance(value, dict):
            if "object" not in allowed:
                raise self._fail(path, value, "/".join(sorted(allowed)))
            properties = target.get("properties")
            additional = target.get("additionalProperties")
            result = {}
            for key, entry in value.items():
                child_path = f"{path}.{key}" if path else key
                if entry is None:
                    continue
                if properties is not None and key in properties:
                    result[key] = self._walk(entry, properties[key], child_path)
                elif isinstance(additional, dict):
                    result[key] = self._walk(entry, additional, f"{path}[{key}]")
                elif properties is None and additional is None:
                    result[key] = entry
                else:
                    self.unknown.append(child_path)
            return result

        if isinstance(value, list):
            if "array" not in allowed:
                raise self._fail(path, value, "/".join(sorted(allowed)))
            item_schema = target.get("items")
            return [self._walk(entry, item_schema, f"{path}[{index}]") for index, entry in enumerate(value)]

        if isinstance(value, bool):
            if "boolean" not in allowed:
                raise self._fail(path, value, "/".join(sorted(allowed)))
            return value
        if isinstance(value, int):
            if not allowed & {"integer", "number"}:
                raise self._fail(path, value, "/".join(sorted(allowed)))
            return value
        if isinstance(value, float):
            if "number" in allowed:
                return value
            if "integer" in allowed and value.is_integer():
                return int(value)
            raise self._fail(path, value, "/".join(sorted(allowed)))
        if isinstance(value, str):
            if "string" not in allowed:
                raise self._fail(path, value, "/".join(sorted(allowed)))
            if target.get("format") == "byte":
                _check_base64(self.kind, path, value)
            return value
        return value

    def _quantity(self, value: Any, path: str) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self._fail(path, value, "resource.Quantity")
        try:
            return quantity.canonical(value)
        except quantity.QuantityError as error:
            raise ApiError(400, f'{self.kind} in version "v1" cannot be handled as a {self.kind}: {error} (field {path})') from error


def _check_base64(kind: str, path: str, value: str) -> None:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        position = _base64_error_offset(value)
        raise ApiError(
            400,
            f'{kind} in version "v1" cannot be handled as a {kind}: illegal base64 data at input byte {position} '
            f"(field {path}; encode the value with base64, or use stringData for plain text)",
        ) from error


def _base64_error_offset(value: str) -> int:
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    for index, char in enumerate(value):
        if char == "=":
            return index
        if char not in alphabet:
            return index
    return len(value)


def validate_name(kind: str, name: str, field: str = "metadata.name") -> list[FieldError]:
    """Check an object name by the rule its kind uses."""
    if kind in PATH_SEGMENT_NAMED_KINDS:
        if name in (".", "..") or "/" in name or "%" in name:
            return [errors.invalid(field, name, "may not contain '/' or '%' and may not be '.' or '..'")]
        return []
    if kind in LABEL_NAMED_KINDS:
        problems = []
        if len(name) > 63:
            problems.append(errors.invalid(field, name, "must be no more than 63 characters"))
        if not DNS1123_LABEL.match(name):
            problems.append(errors.invalid(field, name, LABEL_MESSAGE))
        return problems
    if kind in DNS1035_NAMED_KINDS:
        problems = []
        if len(name) > 63:
            problems.append(errors.invalid(field, name, "must be no more than 63 characters"))
        if not DNS1035_LABEL.match(name):
            problems.append(errors.invalid(field, name, DNS1035_MESSAGE))
        return problems
    problems = []
    if len(name) > 253:
        problems.append(errors.invalid(field, name, "must be no more than 253 characters"))
    if not DNS1123_SUBDOMAIN.match(name):
        problems.append(errors.invalid(field, name, SUBDOMAIN_MESSAGE))
    return problems


def _validate_qualified_key(key: str, field: str) -> list[FieldError]:
    prefix, slash, name = key.rpartition("/")
    problems = []
    if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        problems.append(errors.invalid(field, key, "prefix part " + SUBDOMAIN_MESSAGE))
    if not name or len(name) > 63 or not QUALIFIED_NAME.match(name):
        problems.append(errors.invalid(
            field, key,
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ))
    return problems


def validate_metadata(kind: str, metadata: dict[str, Any]) -> list[FieldError]:
    """Check name, labels and annotations as ObjectMeta validation does."""
    problems: list[FieldError] = []
    name = metadata.get("name")
    if not name:
        problems.append(FieldError("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"))
    else:
        problems += validate_name(kind, name)
    for key, value in (metadata.get("labels") or {}).items():
        problems += _validate_qualified_key(key, "metadata.labels")
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
            problems.append(errors.invalid(
                "metadata.labels", value,
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ))
    for key in (metadata.get("annotations") or {}):
        problems += _validate_qualified_key(key, "metadata.annotations")
    annotation_bytes = sum(len(k) + len(v or "") for k, v in (metadata.get("annotations") or {}).items())
    if annotation_bytes > 256 * 1024:
        problems.append(FieldError("metadata.annotations", "FieldValueTooLong", f"Too long: may not be more than {256 * 1024} bytes"))
    return problems
