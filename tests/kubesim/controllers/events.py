"""Recording v1 Events about objects, as controllers do through the API."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from ..api import now
from ..errors import ApiError

if TYPE_CHECKING:
    from ..api import Api

log = logging.getLogger("kubesim.events")


def record_event(api: Api, involved: dict[str, Any], reason: str, message: str, component: str, event_type: str = "Normal") -> None:
    """Create an Event in the namespace of the object (Node events go to "default")."""
    rt = api.registry.by_kind("", "Event")
    if rt is None:
        return
    metadata = involved["metadata"]
    namespace = metadata.get("namespace") or "default"
    stamp = now()
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{metadata['name']}.{secrets.token_hex(8)}", "namespace": namespace},
        "involvedObject": {
            "apiVersion": involved.get("apiVersion", ""),
            "kind": involved.get("kind", ""),
            "name": metadata["name"],
            "namespace": metadata.get("namespace", ""),
            "uid": metadata.get("uid", ""),
            "resourceVersion": metadata.get("resourceVersion", ""),
        },
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "type": event_type,
        "reportingComponent": component,
        "reportingInstance": "",
    }
    if not metadata.get("namespace"):
        event["involvedObject"].pop("namespace")
    try:
        api.create(rt, namespace, event)
    except ApiError as error:
        # A terminating namespace rejects new Events, and losing those is harmless.
        log.debug("event %s for %s not recorded: %s", reason, metadata["name"], error.message)
