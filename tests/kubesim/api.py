"""The API semantics shared by the HTTP server and the simulated controllers.

Create, update, patch and delete run the same steps as kube-apiserver:
decode against the schema, default, admit, validate, check preconditions,
then write through the store so that resourceVersion and watches follow.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import crd_validation, errors, kinds, managed_fields, patch, schema as schemas
from .errors import ApiError
from .resources import Registry, ResourceType, crd_types
from .selectors import labels_match, parse_field_selector, parse_label_selector
from .store import Store, clone
from .validation import BuiltinDecoder, validate_metadata

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_NAME_LENGTH = 63
RANDOM_SUFFIX_LENGTH = 5
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply",
}
CUSTOM_PATCH_TYPES = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
BUILTIN_PATCH_TYPES = CUSTOM_PATCH_TYPES + ", application/strategic-merge-patch+json"

CONTROLLER_MANAGER = "kube-controller-manager"

Admission = Callable[["Api", ResourceType, dict[str, Any]], None]


def now(offset_seconds: float = 0) -> str:
    """Return the current time (plus an offset) as a Kubernetes timestamp (RFC 3339, seconds, UTC)."""
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def random_suffix(length: int = RANDOM_SUFFIX_LENGTH) -> str:
    return "".join(random.choice(NAME_ALPHABET) for position in range(length))


def generate_name(base: str) -> str:
    """Append a random suffix to generateName, cutting the base so the result fits 63 characters."""
    limit = MAX_NAME_LENGTH - RANDOM_SUFFIX_LENGTH
    return base[:limit] + random_suffix()


@dataclass
class WriteOptions:
    """Query options shared by the write verbs."""

    dry_run: bool = False
    field_validation: str = "Warn"
    # The manager named by the fieldManager parameter; required for apply.
    field_manager: str = ""
    # The manager recorded for other writes when fieldManager is absent (from the User-Agent).
    default_manager: str = CONTROLLER_MANAGER
    force: bool = False
    warnings: list[str] = field(default_factory=list)
    # Set when server-side apply has computed managedFields already.
    applied: bool = False

    @property
    def manager(self) -> str:
        return self.field_manager or self.default_manager


def _strip_volatile(obj: dict[str, Any]) -> dict[str, Any]:
    """Copy an object without the fields a no-op write does not change."""
    result = clone(obj)
    metadata = result.get("metadata", {})
    metadata.pop("resourceVersion", None)
    metadata.pop("managedFields", None)
    return result


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key not in ("metadata", "status", "apiVersion", "kind")}


class Api:
    """Object semantics on top of the store, for one simulated cluster."""

    def __init__(self, store: Store, registry: Registry) -> None:
        self.store = store
        self.registry = registry
        self.admission: list[Admission] = []

    # Reading

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get(rt.key, namespace if rt.namespaced else "", name)
        if obj is None:
            raise errors.not_found(rt.plural, rt.group, name)
        return self._present(rt, obj)

    def find(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        obj = self.store.get(rt.key, namespace if rt.namespaced else "", name)
        return self._present(rt, obj) if obj is not None else None

    def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> tuple[list[dict[str, Any]], int]:
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt.selectable_fields | {"metadata.name", "metadata.namespace"})
        objects, revision = self.store.list(rt.key, namespace if rt.namespaced else None)
        selected = [
            self._present(rt, obj)
            for obj in objects
            if labels_match(labels, obj["metadata"].get("labels")) and all(match(obj) for match in fields)
        ]
        return selected, revision

    def _present(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        return obj

    # Writing

    def create(self, rt: ResourceType, namespace: str, body: dict[str, Any], options: WriteOptions | None = None) -> dict[str, Any]:
        options = options or WriteOptions()
        obj = self._check_body(rt, body)
        metadata = obj.setdefault("metadata", {})
        if metadata.get("resourceVersion"):
            raise ApiError(400, "resourceVersion should not be set on objects to be created")
        if rt.namespaced:
            if metadata.get("namespace") and namespace and metadata["namespace"] != namespace:
                raise ApiError(400, "the namespace of the provided object does not match the namespace sent on the request")
            metadata["namespace"] = namespace or metadata.get("namespace") or "default"
            self._require_namespace(rt, metadata["namespace"], metadata.get("name") or metadata.get("generateName", ""))
        else:
            metadata.pop("namespace", None)
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = generate_name(metadata["generateName"])

        if "status" in rt.subresources and rt.kind not in ("Namespace",):
            obj.pop("status", None)
        obj = self._decode_and_check(rt, obj, options, admit=True)

        metadata = obj["metadata"]
        for volatile in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            metadata.pop(volatile, None)
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = now()
        if rt.crd_schema is None:
            kinds.prepare_created(rt.kind, obj)
        if rt.has_generation:
            metadata["generation"] = 1
        else:
            metadata.pop("generation", None)
        if rt.kind == "CustomResourceDefinition":
            self._establish_crd(obj)
        if options.applied:
            view = managed_fields.SchemaView(rt)
            fields = managed_fields.field_set(obj, view)
            metadata["managedFields"] = [managed_fields.new_entry(options.manager, "Apply", rt, fields, metadata["creationTimestamp"], "")]
        else:
            metadata.pop("managedFields", None)
            managed_fields.record_update(rt, None, obj, options.manager, metadata["creationTimestamp"])

        key_namespace = metadata.get("namespace", "")
        with self.store.lock:
            if self.store.get(rt.key, key_namespace, metadata["name"]) is not None:
                raise errors.already_exists(rt.plural, rt.group, metadata["name"])
            if options.dry_run:
                return self._present(rt, obj)
            stored = self.store.put(rt.key, self._to_storage(rt, obj), created=True)
        if rt.kind == "CustomResourceDefinition":
            self.registry.set_crd(metadata["name"], crd_types(stored))
        return self._present(rt, stored)

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: dict[str, Any],
        options: WriteOptions | None = None,
        subresource: str = "",
    ) -> dict[str, Any]:
        options = options or WriteOptions()
        obj = self._check_body(rt, body)
        metadata = obj.setdefault("metadata", {})
        if metadata.get("name") and metadata["name"] != name:
            raise ApiError(400, f"the name of the object ({metadata['name']}) does not match the name on the URL ({name})")
        if rt.namespaced and metadata.get("namespace") and metadata["namespace"] != namespace:
            raise ApiError(400, "the namespace of the provided object does not match the namespace sent on the request")

        with self.store.lock:
            old = self.store.get(rt.key, namespace if rt.namespaced else "", name)
            if old is None:
                raise errors.not_found(rt.plural, rt.group, name)
            requested_version = metadata.get("resourceVersion")
            if requested_version and requested_version != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.plural, rt.group, name)
            if not requested_version and rt.is_custom and subresource == "":
                raise errors.invalid_object(rt.kind, rt.group, name, [
                    errors.invalid("metadata.resourceVersion", 0, "must be specified for an update"),
                ])
            return self._write_update(rt, old, obj, options, subresource)

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        content_type: str,
        options: WriteOptions | None = None,
        subresource: str = "",
    ) -> dict[str, Any]:
        options = options or WriteOptions()
        patch_type = PATCH_TYPES.get(content_type)
        if patch_type is None or (patch_type == "strategic" and rt.is_custom):
            accepted = CUSTOM_PATCH_TYPES if rt.is_custom else BUILTIN_PATCH_TYPES
            raise ApiError(415, f"the body of the request was in an unknown format - accepted media types include: {accepted}")

        with self.store.lock:
            old = self.store.get(rt.key, namespace if rt.namespaced else "", name)
            if old is None:
                if patch_type == "apply":
                    return self._apply_create(rt, namespace, name, body, options)
                raise errors.not_found(rt.plural, rt.group, name)
            current = self._present(rt, clone(old))
            if patch_type == "json":
                patched = patch.json_patch(current, body)
            elif patch_type == "merge":
                patched = patch.merge_patch(current, body)
            elif patch_type == "strategic":
                patched = patch.strategic_merge_patch(current, body, schemas.kind_schema(rt.group, rt.version, rt.kind))
            else:
                patched = self._apply(rt, current, body, options, subresource)
            if not isinstance(patched, dict):
                raise ApiError(400, "the patch did not produce a JSON object")
            requested_version = (patched.get("metadata") or {}).get("resourceVersion")
            if requested_version and requested_version != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.plural, rt.group, name)
            return self._write_update(rt, old, patched, options, subresource)

    def delete(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        propagation: str = "",
        dry_run: bool = False,
        preconditions: dict[str, Any] | None = None,
        grace_period_seconds: int | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Delete an object; return what the API returns and whether it is gone already."""
        key_namespace = namespace if rt.namespaced else ""
        with self.store.lock:
            old = self.store.get(rt.key, key_namespace, name)
            if old is None:
                raise errors.not_found(rt.plural, rt.group, name)
            self._check_preconditions(rt, old, preconditions or {})
            metadata = old["metadata"]
            finalizers = list(metadata.get("finalizers") or [])
            if propagation == "Foreground" and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            if propagation == "Orphan" and "orphan" not in finalizers:
                finalizers.append("orphan")

            if dry_run:
                return self._present(rt, old), not finalizers
            if rt.kind == "Namespace":
                return self._begin_namespace_deletion(rt, old), False
            if rt.kind == "Pod" and old["spec"].get("nodeName") and grace_period_seconds != 0:
                # A pod on a node terminates gracefully; the kubelet removes it once its containers stop.
                if not metadata.get("deletionTimestamp"):
                    grace = grace_period_seconds if grace_period_seconds is not None else old["spec"].get("terminationGracePeriodSeconds", 30)
                    metadata["deletionTimestamp"] = now(offset_seconds=grace)
                    metadata["deletionGracePeriodSeconds"] = grace
                    metadata["finalizers"] = finalizers or metadata.get("finalizers")
                    if not metadata["finalizers"]:
                        metadata.pop("finalizers")
                    old = self.store.put(rt.key, old, created=False)
                return self._present(rt, old), False
            if finalizers:
                if not metadata.get("deletionTimestamp") or finalizers != metadata.get("finalizers"):
                    metadata["deletionTimestamp"] = metadata.get("deletionTimestamp") or now()
                    metadata["deletionGracePeriodSeconds"] = 0
                    metadata["finalizers"] = finalizers
                    old = self.store.put(rt.key, old, created=False)
                return self._present(rt, old), False
            removed = self.remove(rt, key_namespace, name)
        return removed, True

    def bind_pod(self, rt: ResourceType, namespace: str, name: str, node_name: str, status: dict[str, Any]) -> dict[str, Any]:
        """Set a pod's nodeName and status in one write, as the pods/binding subresource does."""
        with self.store.lock:
            old = self.store.get(rt.key, namespace, name)
            if old is None:
                raise errors.not_found(rt.plural, rt.group, name)
            if old["spec"].get("nodeName"):
                raise ApiError(409, f'pod {name} is already assigned to node "{old["spec"]["nodeName"]}"', reason="Conflict")
            new = clone(old)
            new["spec"]["nodeName"] = node_name
            new["status"] = status
            managed_fields.record_update(rt, self._present(rt, clone(old)), new, "kube-scheduler", now())
            return self._present(rt, self.store.put(rt.key, new, created=False))

    def remove(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        """Remove an object from storage now, with the side effects of its kind."""
        removed = self.store.remove(rt.key, namespace, name)
        if removed is None:
            raise errors.not_found(rt.plural, rt.group, name)
        if rt.kind == "CustomResourceDefinition":
            self._remove_crd(removed)
        return self._present(rt, removed)

    def deleted_status(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """Build the Status a DELETE returns for kinds that do not return the object."""
        details: dict[str, Any] = {"name": obj["metadata"]["name"], "kind": rt.plural, "uid": obj["metadata"].get("uid", "")}
        if rt.group:
            details["group"] = rt.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    # Steps of a write

    def _check_body(self, rt: ResourceType, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, f"the request body must be a JSON object describing a {rt.kind}")
        obj = clone(body)
        kind = obj.get("kind")
        if not kind:
            obj["kind"] = rt.kind
        elif kind != rt.kind:
            raise ApiError(400, f"the kind in the request body ({kind}) does not match the resource {rt.plural} ({rt.kind}); send it to the {kind} endpoint")
        api_version = obj.get("apiVersion")
        group = api_version.rpartition("/")[0] if api_version else rt.group
        if api_version and group != rt.group:
            raise ApiError(400, f"the API version in the data ({api_version}) does not match the expected API version ({rt.api_version})")
        obj["apiVersion"] = rt.api_version
        if not isinstance(obj.get("metadata", {}), dict):
            raise ApiError(400, f"{rt.kind} in version \"{rt.version}\" cannot be handled as a {rt.kind}: metadata must be an object")
        return obj

    def _require_namespace(self, rt: ResourceType, namespace: str, name: str) -> None:
        namespace_obj = self.store.get(("", "namespaces"), "", namespace)
        if namespace_obj is None:
            raise errors.not_found("namespaces", "", namespace)
        if namespace_obj["metadata"].get("deletionTimestamp"):
            resource = errors.qualified_resource(rt.plural, rt.group)
            details = {"name": name, "kind": rt.plural}
            if rt.group:
                details["group"] = rt.group
            raise ApiError(
                403,
                f'{resource} "{name}" is forbidden: unable to create new content in namespace {namespace} because it is being terminated',
                reason="Forbidden",
                details=details,
            )

    def _decode_and_check(self, rt: ResourceType, obj: dict[str, Any], options: WriteOptions, admit: bool) -> dict[str, Any]:
        field_errors: list[errors.FieldError] = []
        if rt.crd_schema is not None:
            validator = crd_validation.CustomResourceValidator()
            obj = validator.process(obj, rt.crd_schema)
            unknown = validator.unknown
            field_errors += validator.errors
        else:
            kind_schema = schemas.kind_schema(rt.group, rt.version, rt.kind)
            unknown = []
            if kind_schema is not None:
                decoder = BuiltinDecoder(rt.kind)
                obj = decoder.decode(obj, kind_schema)
                unknown = decoder.unknown
        self._report_unknown(rt, unknown, options)

        if rt.crd_schema is None:
            kinds.default_object(rt.kind, obj)
        if admit and self.admission:
            for admission in self.admission:
                admission(self, rt, obj)
            # The API server decodes (and so defaults) an object again after mutating admission.
            if rt.crd_schema is None:
                kinds.default_object(rt.kind, obj)
        field_errors = validate_metadata(rt.kind, obj.get("metadata") or {}) + field_errors
        if rt.crd_schema is None:
            field_errors += kinds.validate_object(rt.kind, obj)
        if field_errors:
            raise errors.invalid_object(rt.kind, rt.group, (obj.get("metadata") or {}).get("name", ""), field_errors)
        return obj

    def _report_unknown(self, rt: ResourceType, unknown: list[str], options: WriteOptions) -> None:
        if not unknown:
            return
        if options.field_validation == "Strict":
            listed = ", ".join(f'unknown field "{path}"' for path in unknown)
            raise ApiError(400, f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: strict decoding error: {listed}')
        if options.field_validation != "Ignore":
            options.warnings += [f'unknown field "{path}"' for path in unknown]

    def _write_update(
        self,
        rt: ResourceType,
        old: dict[str, Any],
        new: dict[str, Any],
        options: WriteOptions,
        subresource: str,
    ) -> dict[str, Any]:
        new = clone(new)
        new["apiVersion"] = rt.api_version
        new["kind"] = rt.kind
        new_metadata = new.setdefault("metadata", {})
        old_metadata = old["metadata"]
        for immutable in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            if immutable in old_metadata:
                new_metadata[immutable] = old_metadata[immutable]
            else:
                new_metadata.pop(immutable, None)
        new_metadata["resourceVersion"] = old_metadata["resourceVersion"]

        if subresource == "status":
            merged = clone(self._present(rt, clone(old)))
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            new = merged
        elif "status" in rt.subresources:
            if "status" in old:
                new["status"] = clone(old["status"])
            else:
                new.pop("status", None)

        if rt.crd_schema is None:
            kinds.carry_over(rt.kind, old, new)
        new = self._decode_and_check(rt, new, options, admit=False)
        if rt.crd_schema is None and subresource == "":
            problems = kinds.validate_update(rt.kind, old, new)
            if problems:
                raise errors.invalid_object(rt.kind, rt.group, old_metadata["name"], problems)
        if rt.has_generation and subresource != "status" and _spec_part(new) != _spec_part(self._present(rt, clone(old))):
            new["metadata"]["generation"] = old_metadata.get("generation", 1) + 1
        if old_metadata.get("deletionTimestamp"):
            added = set(new["metadata"].get("finalizers") or []) - set(old_metadata.get("finalizers") or [])
            if added:
                raise errors.invalid_object(rt.kind, rt.group, old_metadata["name"], [
                    errors.forbidden(
                        "metadata.finalizers",
                        f"no new finalizers can be added if the object is being deleted, found new finalizers {sorted(added)!r}",
                    ),
                ])
        if rt.kind == "CustomResourceDefinition":
            self._establish_crd(new, previous=old)
        if options.applied:
            new["metadata"]["managedFields"] = new["metadata"].get("managedFields") or []
        else:
            new["metadata"]["managedFields"] = old_metadata.get("managedFields") or []
            managed_fields.record_update(rt, self._present(rt, clone(old)), new, options.manager, now(), subresource)

        if _strip_volatile(new) == _strip_volatile(self._present(rt, clone(old))):
            return self._present(rt, old)
        if options.dry_run:
            return self._present(rt, new)

        key_namespace = old_metadata.get("namespace", "")
        if old_metadata.get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            self.store.put(rt.key, self._to_storage(rt, new), created=False)
            return self.remove(rt, key_namespace, old_metadata["name"])
        stored = self.store.put(rt.key, self._to_storage(rt, new), created=False)
        if rt.kind == "CustomResourceDefinition":
            self.registry.set_crd(old_metadata["name"], crd_types(stored))
        return self._present(rt, stored)

    def _to_storage(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        stored = clone(obj)
        if rt.storage_version:
            stored["apiVersion"] = f"{rt.group}/{rt.storage_version}" if rt.group else rt.storage_version
        return stored

    def _check_preconditions(self, rt: ResourceType, obj: dict[str, Any], preconditions: dict[str, Any]) -> None:
        metadata = obj["metadata"]
        uid = preconditions.get("uid")
        if uid and uid != metadata.get("uid"):
            raise ApiError(409, f"Precondition failed: UID in precondition: {uid}, UID in object meta: {metadata.get('uid')}", reason="Conflict")
        version = preconditions.get("resourceVersion")
        if version and version != metadata.get("resourceVersion"):
            raise ApiError(
                409,
                f"Precondition failed: ResourceVersion in precondition: {version}, ResourceVersion in object meta: {metadata.get('resourceVersion')}",
                reason="Conflict",
            )

    # Server-side apply

    def _apply_create(self, rt: ResourceType, namespace: str, name: str, body: Any, options: WriteOptions) -> dict[str, Any]:
        if not options.field_manager:
            raise ApiError(400, "PATCH, application/apply-patch+yaml requires fieldManager to be set; pass --field-manager or fieldManager=NAME")
        if not isinstance(body, dict):
            raise ApiError(400, "the apply configuration must be a YAML or JSON object")
        obj = clone(body)
        metadata = obj.setdefault("metadata", {})
        if metadata.get("name") and metadata["name"] != name:
            raise ApiError(400, f"the name of the object ({metadata['name']}) does not match the name on the URL ({name})")
        metadata["name"] = name
        options.applied = True
        return self.create(rt, namespace, obj, options)

    def _apply(self, rt: ResourceType, current: dict[str, Any], body: Any, options: WriteOptions, subresource: str) -> dict[str, Any]:
        if not options.field_manager:
            raise ApiError(400, "PATCH, application/apply-patch+yaml requires fieldManager to be set; pass --field-manager or fieldManager=NAME")
        if not isinstance(body, dict):
            raise ApiError(400, "the apply configuration must be a YAML or JSON object")
        config = clone(body)
        self._check_body(rt, config)
        metadata = config.get("metadata") or {}
        if metadata.get("name") and metadata["name"] != current["metadata"]["name"]:
            raise ApiError(400, f"the name of the object ({metadata['name']}) does not match the name on the URL ({current['metadata']['name']})")
        requested_version = metadata.pop("resourceVersion", None)
        if requested_version and requested_version != current["metadata"]["resourceVersion"]:
            raise errors.conflict(rt.plural, rt.group, current["metadata"]["name"])
        options.applied = True
        result = managed_fields.apply(rt, current, config, options.field_manager, options.force, now(), subresource)
        result["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return result

    # CustomResourceDefinitions and namespaces

    def _establish_crd(self, crd: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        """Set the status the apiextensions controllers give an accepted CRD.

        On an update the conditions keep their lastTransitionTime and
        storedVersions keeps every version ever stored, as on a real server,
        so re-applying an unchanged CRD is a no-op write.
        """
        spec = crd.get("spec", {})
        previous_status = (previous or {}).get("status") or {}
        earlier = {condition.get("type"): condition for condition in previous_status.get("conditions") or []}
        stamp = now()

        conditions = [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
        ]
        for condition in conditions:
            before = earlier.get(condition["type"]) or {}
            unchanged = before.get("status") == condition["status"] and before.get("lastTransitionTime")
            condition["lastTransitionTime"] = before["lastTransitionTime"] if unchanged else stamp

        storage = [version["name"] for version in spec.get("versions", []) if version.get("storage")]
        stored = list(previous_status.get("storedVersions") or [])
        stored += [name for name in storage if name not in stored]
        crd["status"] = {
            "acceptedNames": clone(spec.get("names", {})),
            "conditions": conditions,
            "storedVersions": stored,
        }

    def _remove_crd(self, crd: dict[str, Any]) -> None:
        spec = crd.get("spec", {})
        key = (spec.get("group", ""), spec.get("names", {}).get("plural", ""))
        objects, revision = self.store.list(key)
        for obj in objects:
            self.store.remove(key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self.registry.remove_crd(crd["metadata"]["name"])

    def _begin_namespace_deletion(self, rt: ResourceType, namespace: dict[str, Any]) -> dict[str, Any]:
        if not namespace["metadata"].get("deletionTimestamp"):
            namespace["metadata"]["deletionTimestamp"] = now()
            namespace["metadata"]["deletionGracePeriodSeconds"] = 0
            namespace.setdefault("status", {})["phase"] = "Terminating"
            namespace = self.store.put(rt.key, namespace, created=False)
        return self._present(rt, namespace)
