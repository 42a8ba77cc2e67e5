"""Decoding of Kubernetes protobuf request bodies for the few kinds `kubectl create` sends that way.

Typed clients such as `kubectl create configmap|secret|namespace|serviceaccount|deployment`
and `kubectl auth can-i|whoami` send application/vnd.kubernetes.protobuf: the magic "k8s\\0", then a
runtime.Unknown whose raw field is the object's message. The field numbers
are those of the Kubernetes generated.proto files; kubectl 1.33 requests
confirm name, annotations, data, binaryData and type.
NOTE: other kinds get 415; send them as JSON.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from .errors import ApiError

MAGIC = b"k8s\x00"
SUPPORTED_KINDS = ("ConfigMap", "Secret", "Namespace", "ServiceAccount", "Deployment", "the self reviews")


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if position >= len(data):
            raise ValueError("truncated varint")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7


def _fields(data: bytes) -> list[tuple[int, Any]]:
    """Split a message into (field number, value) pairs: ints for varints, bytes for length-delimited."""
    fields = []
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = _varint(data, position)
        elif wire_type == 2:
            length, position = _varint(data, position)
            value = data[position:position + length]
            position += length
        elif wire_type == 1:
            value, position = data[position:position + 8], position + 8
        elif wire_type == 5:
            value, position = data[position:position + 4], position + 4
        else:
            raise ValueError(f"unsupported wire type {wire_type}")
        fields.append((number, value))
    return fields


def _text(value: bytes) -> str:
    return value.decode("utf-8")


def _map_entry(value: bytes, as_bytes: bool) -> tuple[str, str]:
    key, item = "", b""
    for number, entry in _fields(value):
        if number == 1:
            key = _text(entry)
        elif number == 2:
            item = entry
    return key, base64.b64encode(item).decode() if as_bytes else _text(item)


def _object_meta(value: bytes) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    strings = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    for number, entry in _fields(value):
        if number in strings and entry:
            # Go's JSON encoding omits empty strings, so the JSON form does too.
            metadata[strings[number]] = _text(entry)
        elif number in (11, 12):
            key, item = _map_entry(entry, as_bytes=False)
            metadata.setdefault("labels" if number == 11 else "annotations", {})[key] = item
        elif number == 14:
            metadata.setdefault("finalizers", []).append(_text(entry))
    return metadata


def _config_map(fields: list[tuple[int, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for number, entry in fields:
        if number == 2:
            key, item = _map_entry(entry, as_bytes=False)
            obj.setdefault("data", {})[key] = item
        elif number == 3:
            key, item = _map_entry(entry, as_bytes=True)
            obj.setdefault("binaryData", {})[key] = item
        elif number == 4:
            obj["immutable"] = bool(entry)
    return obj


def _secret(fields: list[tuple[int, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for number, entry in fields:
        if number == 2:
            key, item = _map_entry(entry, as_bytes=True)
            obj.setdefault("data", {})[key] = item
        elif number == 3 and entry:
            obj["type"] = _text(entry)
        elif number == 4:
            key, item = _map_entry(entry, as_bytes=False)
            obj.setdefault("stringData", {})[key] = item
        elif number == 5:
            obj["immutable"] = bool(entry)
    return obj


def _namespace(fields: list[tuple[int, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for number, entry in fields:
        if number == 2:
            finalizers = [_text(item) for sub, item in _fields(entry) if sub == 1]
            obj["spec"] = {"finalizers": finalizers} if finalizers else {}
    return obj


def _service_account(fields: list[tuple[int, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for number, entry in fields:
        if number == 3:
            name = next((_text(item) for sub, item in _fields(entry) if sub == 1), "")
            obj.setdefault("imagePullSecrets", []).append({"name": name})
        elif number == 4:
            obj["automountServiceAccountToken"] = bool(entry)
    return obj


def _reject_unknown(message: str, fields: list[tuple[int, Any]], known: set[int]) -> None:
    """Refuse to drop data: a non-empty field this decoder does not know makes the request 415."""
    for number, value in fields:
        if number not in known and value not in (b"", 0):
            raise ApiError(
                415,
                f"kubesim cannot decode field {number} of a protobuf {message}; "
                "send the object as application/json (for example with kubectl apply -f)",
            )


def _label_selector(value: bytes) -> dict[str, Any]:
    fields = _fields(value)
    _reject_unknown("LabelSelector", fields, {1})
    match_labels = dict(_map_entry(entry, as_bytes=False) for number, entry in fields if number == 1)
    return {"matchLabels": match_labels} if match_labels else {}


def _container_port(value: bytes) -> dict[str, Any]:
    fields = _fields(value)
    _reject_unknown("ContainerPort", fields, {1, 3, 4})
    port: dict[str, Any] = {}
    for number, entry in fields:
        if number == 1 and entry:
            port["name"] = _text(entry)
        elif number == 3:
            port["containerPort"] = entry
        elif number == 4 and entry:
            port["protocol"] = _text(entry)
    return port


def _container(value: bytes) -> dict[str, Any]:
    fields = _fields(value)
    _reject_unknown("Container", fields, {1, 2, 3, 4, 6, 8})
    container: dict[str, Any] = {}
    for number, entry in fields:
        if number == 1:
            container["name"] = _text(entry)
        elif number == 2 and entry:
            container["image"] = _text(entry)
        elif number in (3, 4):
            container.setdefault("command" if number == 3 else "args", []).append(_text(entry))
        elif number == 6:
            container.setdefault("ports", []).append(_container_port(entry))
        elif number == 8:
            _reject_unknown("ResourceRequirements", _fields(entry), set())
    return container


def _deployment(fields: list[tuple[int, Any]]) -> dict[str, Any]:
    """Decode the fields `kubectl create deployment` sets; anything else is rejected, not dropped."""
    spec: dict[str, Any] = {}
    for number, entry in fields:
        if number != 2:
            continue
        spec_fields = _fields(entry)
        _reject_unknown("DeploymentSpec", spec_fields, {1, 2, 3, 4})
        for spec_number, spec_entry in spec_fields:
            if spec_number == 1:
                spec["replicas"] = spec_entry
            elif spec_number == 2:
                spec["selector"] = _label_selector(spec_entry)
            elif spec_number == 3:
                template: dict[str, Any] = {"metadata": {}, "spec": {}}
                for template_number, template_entry in _fields(spec_entry):
                    if template_number == 1:
                        template["metadata"] = _object_meta(template_entry)
                    elif template_number == 2:
                        pod_fields = _fields(template_entry)
                        _reject_unknown("PodSpec", pod_fields, {2})
                        template["spec"]["containers"] = [_container(item) for sub, item in pod_fields if sub == 2]
                spec["template"] = template
            elif spec_number == 4:
                _reject_unknown("DeploymentStrategy", _fields(spec_entry), set())
    return {"spec": spec}


RESOURCE_ATTRIBUTE_FIELDS = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"}
NON_RESOURCE_ATTRIBUTE_FIELDS = {1: "path", 2: "verb"}


def _attributes(value: bytes, names: dict[int, str]) -> dict[str, str]:
    # Field and label selectors (8 and 9) do not change a kubesim decision, so they are skipped.
    return {names[number]: _text(entry) for number, entry in _fields(value) if number in names}


def _access_review(fields: list[tuple[int, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for number, entry in fields:
        if number != 2:
            continue
        for spec_number, spec_entry in _fields(entry):
            if spec_number == 1:
                spec["resourceAttributes"] = _attributes(spec_entry, RESOURCE_ATTRIBUTE_FIELDS)
            elif spec_number == 2:
                spec["nonResourceAttributes"] = _attributes(spec_entry, NON_RESOURCE_ATTRIBUTE_FIELDS)
    return {"spec": spec}


def _review(fields: list[tuple[int, Any]]) -> dict[str, Any]:
    # The rules review and the identity review do not depend on their spec.
    return {"spec": {}}


DECODERS: dict[str, Callable[[list[tuple[int, Any]]], dict[str, Any]]] = {
    "ConfigMap": _config_map,
    "Secret": _secret,
    "Namespace": _namespace,
    "ServiceAccount": _service_account,
    "Deployment": _deployment,
    "SelfSubjectAccessReview": _access_review,
    "SelfSubjectRulesReview": _review,
    "SelfSubjectReview": _review,
}


def decode(body: bytes) -> dict[str, Any]:
    """Decode a protobuf request body into the JSON form of the object; raise 415 for kinds not supported."""
    if not body.startswith(MAGIC):
        raise ApiError(400, "the protobuf request body does not start with the Kubernetes magic bytes k8s\\0")
    try:
        api_version = kind = ""
        raw = b""
        for number, value in _fields(body[len(MAGIC):]):
            if number == 1:
                for sub, item in _fields(value):
                    if sub == 1:
                        api_version = _text(item)
                    elif sub == 2:
                        kind = _text(item)
            elif number == 2:
                raw = value
        decoder = DECODERS.get(kind)
        if decoder is None:
            raise ApiError(
                415,
                f"kubesim decodes protobuf bodies only for {', '.join(SUPPORTED_KINDS)}, not {kind or 'this kind'}; "
                "send the object as application/json (for example with kubectl apply -f)",
            )
        fields = _fields(raw)
        obj = {"apiVersion": api_version, "kind": kind}
        metadata = next((value for number, value in fields if number == 1), b"")
        obj["metadata"] = _object_meta(metadata)
        obj.update(decoder(fields))
        return obj
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"the protobuf request body is malformed: {error}") from error
