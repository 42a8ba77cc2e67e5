"""The garbage collector: deletes dependents whose owners are gone, and runs foreground and orphan deletion."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..resources import ResourceType
from .base import Controller

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def _has_owners_or_deletion(obj: dict[str, Any]) -> bool:
    metadata = obj["metadata"]
    return bool(metadata.get("ownerReferences") or metadata.get("deletionTimestamp"))


class GarbageCollector(Controller):
    """Background cascade by ownerReferences, plus the foregroundDeletion and orphan finalizers."""

    def reconcile(self) -> None:
        # Only objects with owners or a pending deletion matter; copying the rest
        # (CRDs are large) would cost more than all the other controllers.
        relevant: list[tuple[ResourceType, dict[str, Any]]] = []
        for rt in self.api.registry.all():
            if rt.storage_version and rt.version != rt.storage_version:
                continue
            relevant += [(rt, obj) for obj in self.api.store.select(rt.key, _has_owners_or_deletion)]
        if not relevant:
            return
        live_uids = self.api.store.uids()
        dependents: dict[str, list[tuple[ResourceType, dict[str, Any]]]] = {}
        for rt, obj in relevant:
            for ref in obj["metadata"].get("ownerReferences") or []:
                dependents.setdefault(ref.get("uid"), []).append((rt, obj))

        for rt, obj in relevant:
            refs = obj["metadata"].get("ownerReferences") or []
            if refs and not any(ref.get("uid") in live_uids for ref in refs) and not obj["metadata"].get("deletionTimestamp"):
                self._delete_object(rt, obj, "Background")

        for rt, obj in relevant:
            finalizers = obj["metadata"].get("finalizers") or []
            if not obj["metadata"].get("deletionTimestamp"):
                continue
            uid = obj["metadata"]["uid"]
            if FOREGROUND in finalizers:
                children = dependents.get(uid, [])
                for child_rt, child in children:
                    if not child["metadata"].get("deletionTimestamp"):
                        self._delete_object(child_rt, child, "Foreground")
                if not children:
                    self._remove_finalizer(rt, obj, FOREGROUND)
            elif ORPHAN in finalizers:
                for child_rt, child in dependents.get(uid, []):
                    self._drop_owner(child_rt, child, uid)
                self._remove_finalizer(rt, obj, ORPHAN)

    def _delete_object(self, rt: ResourceType, obj: dict[str, Any], propagation: str) -> None:
        metadata = obj["metadata"]
        try:
            self.api.delete(rt, metadata.get("namespace", ""), metadata["name"], propagation, preconditions={"uid": metadata["uid"]})
        except ApiError as error:
            if error.code not in (404, 409):
                raise

    def _remove_finalizer(self, rt: ResourceType, obj: dict[str, Any], finalizer: str) -> None:
        updated = dict(obj)
        updated["metadata"] = dict(obj["metadata"], finalizers=[entry for entry in obj["metadata"].get("finalizers", []) if entry != finalizer])
        self.api.update(rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"], updated)

    def _drop_owner(self, rt: ResourceType, obj: dict[str, Any], owner_uid: str) -> None:
        updated = dict(obj)
        refs = [ref for ref in obj["metadata"].get("ownerReferences") or [] if ref.get("uid") != owner_uid]
        updated["metadata"] = dict(obj["metadata"], ownerReferences=refs)
        if not refs:
            updated["metadata"].pop("ownerReferences")
        self.api.update(rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"], updated)
