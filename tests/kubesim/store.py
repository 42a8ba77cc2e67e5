"""The object store: objects by resource, a global resourceVersion and the watch log."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

ResourceKey = tuple[str, str]  # (group, plural)
ObjectKey = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects

WATCH_LOG_SIZE = 20000


def clone(value: Any) -> Any:
    """Copy a JSON-like value; several times faster than copy.deepcopy for this data."""
    if isinstance(value, dict):
        return {key: clone(entry) for key, entry in value.items()}
    if isinstance(value, list):
        return [clone(entry) for entry in value]
    return value


@dataclass(frozen=True)
class WatchEvent:
    """One change: ADDED, MODIFIED or DELETED, with the object after the change."""

    resource_version: int
    type: str
    resource: ResourceKey
    object: dict[str, Any]


class Store:
    """Thread-safe storage that stamps each write with the next resourceVersion.

    Every write appends a WatchEvent to a bounded log, wakes watchers and sets
    the change flag of each subscribed controller.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._objects: dict[ResourceKey, dict[ObjectKey, dict[str, Any]]] = {}
        self._revision = 1
        self._log: deque[WatchEvent] = deque(maxlen=WATCH_LOG_SIZE)
        self._subscribers: list[threading.Event] = []

    @property
    def revision(self) -> int:
        with self.lock:
            return self._revision

    def oldest_watchable(self) -> int:
        """Return the oldest resourceVersion a watch can still start after."""
        with self.lock:
            return self._log[0].resource_version - 1 if len(self._log) == self._log.maxlen else 0

    def subscribe(self) -> threading.Event:
        """Return an event that is set after every write."""
        flag = threading.Event()
        with self.lock:
            self._subscribers.append(flag)
        return flag

    def get(self, resource: ResourceKey, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            obj = self._objects.get(resource, {}).get((namespace, name))
            return clone(obj) if obj is not None else None

    def list(self, resource: ResourceKey, namespace: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Return deep copies of the objects (of one namespace, or all) and the current revision."""
        with self.lock:
            objects = [
                clone(obj)
                for (obj_namespace, obj_name), obj in sorted(self._objects.get(resource, {}).items())
                if namespace is None or obj_namespace == namespace
            ]
            return objects, self._revision

    def select(self, resource: ResourceKey, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Return copies of the objects for which `predicate` (given the stored object, read-only) is true."""
        with self.lock:
            return [clone(obj) for obj in self._objects.get(resource, {}).values() if predicate(obj)]

    def uids(self) -> set[str]:
        """Return the uid of every stored object."""
        with self.lock:
            return {obj["metadata"].get("uid", "") for objects in self._objects.values() for obj in objects.values()}

    def resources(self) -> list[ResourceKey]:
        with self.lock:
            return list(self._objects)

    def put(self, resource: ResourceKey, obj: dict[str, Any], created: bool) -> dict[str, Any]:
        """Store an object under the next resourceVersion and return a copy of it."""
        with self.lock:
            self._revision += 1
            stored = clone(obj)
            stored["metadata"]["resourceVersion"] = str(self._revision)
            metadata = stored["metadata"]
            self._objects.setdefault(resource, {})[(metadata.get("namespace", ""), metadata["name"])] = stored
            self._record(WatchEvent(self._revision, "ADDED" if created else "MODIFIED", resource, stored))
            return clone(stored)

    def remove(self, resource: ResourceKey, namespace: str, name: str) -> dict[str, Any] | None:
        """Delete an object; the DELETED event carries a new resourceVersion."""
        with self.lock:
            stored = self._objects.get(resource, {}).pop((namespace, name), None)
            if stored is None:
                return None
            # The log still contains the stored version, so change a copy.
            obj = clone(stored)
            self._revision += 1
            obj["metadata"]["resourceVersion"] = str(self._revision)
            self._record(WatchEvent(self._revision, "DELETED", resource, obj))
            return clone(obj)

    def events_after(self, revision: int) -> list[WatchEvent]:
        with self.lock:
            return [event for event in self._log if event.resource_version > revision]

    def snapshot(self) -> dict[str, Any]:
        """Return everything needed to restore the store: revision and objects."""
        with self.lock:
            return {
                "revision": self._revision,
                "objects": [
                    {"group": group, "resource": plural, "object": obj}
                    for (group, plural), objects in self._objects.items()
                    for obj in objects.values()
                ],
            }

    def restore(self, snapshot: dict[str, Any]) -> None:
        with self.lock:
            self._revision = int(snapshot.get("revision", 1))
            for entry in snapshot.get("objects", []):
                obj = entry["object"]
                metadata = obj["metadata"]
                key = (metadata.get("namespace", ""), metadata["name"])
                self._objects.setdefault((entry["group"], entry["resource"]), {})[key] = obj

    def _record(self, event: WatchEvent) -> None:
        self._log.append(event)
        self.changed.notify_all()
        for flag in self._subscribers:
            flag.set()
