"""Watch: streams ADDED/MODIFIED/DELETED events as JSON lines over chunked HTTP."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from . import tables
from .errors import ApiError
from .resources import ResourceType
from .selectors import labels_match, parse_field_selector, parse_label_selector

if TYPE_CHECKING:
    from .api import Api
    from .server import RequestHandler

DEFAULT_TIMEOUT_SECONDS = 1800
POLL_SECONDS = 0.5
# A quiet watch that allows bookmarks gets one this often, so a client can resume from a recent version.
BOOKMARK_SECONDS = 10.0


def serve(handler: RequestHandler, api: Api, rt: ResourceType, namespace: str | None, query: dict[str, str], as_table: bool = False) -> None:
    """Stream the events of a watch request until its timeout, the client leaving or server shutdown.

    With `as_table` (kubectl get -w), each object is sent as a one-row Table.
    """
    labels = parse_label_selector(query.get("labelSelector", ""))
    fields = parse_field_selector(query.get("fieldSelector", ""), rt.selectable_fields | {"metadata.name", "metadata.namespace"})

    def matches(obj: dict[str, Any]) -> bool:
        metadata = obj["metadata"]
        if namespace is not None and rt.namespaced and metadata.get("namespace") != namespace:
            return False
        return labels_match(labels, metadata.get("labels")) and all(match(obj) for match in fields)

    try:
        timeout = float(query.get("timeoutSeconds") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError as error:
        raise ApiError(400, f'timeoutSeconds "{query.get("timeoutSeconds")}" is not a number') from error
    deadline = time.monotonic() + timeout

    requested = query.get("resourceVersion", "")
    initial: list[dict[str, Any]] = []
    with api.store.lock:
        if requested in ("", "0") or query.get("sendInitialEvents") == "true":
            objects, revision = api.store.list(rt.key, namespace if rt.namespaced else None)
            initial = [obj for obj in objects if matches(obj)]
        else:
            try:
                revision = int(requested)
            except ValueError as error:
                raise ApiError(400, f'resourceVersion "{requested}" is not valid; pass a value from a list response') from error
            if revision < api.store.oldest_watchable():
                _start(handler)
                expired = ApiError(410, f"too old resource version: {revision} ({api.store.oldest_watchable()})", reason="Expired")
                _send(handler, {"type": "ERROR", "object": expired.status()})
                _finish(handler)
                return

    _start(handler)
    visible: set[tuple[str, str]] = set()
    for obj in initial:
        visible.add(_identity(obj))
        if not _send(handler, {"type": "ADDED", "object": _present(rt, obj, as_table)}):
            return
    if query.get("sendInitialEvents") == "true" and query.get("allowWatchBookmarks") == "true":
        bookmark = {"kind": rt.kind, "apiVersion": rt.api_version,
                    "metadata": {"resourceVersion": str(revision), "annotations": {"k8s.io/initial-events-end": "true"}}}
        if not _send(handler, {"type": "BOOKMARK", "object": bookmark}):
            return

    bookmarks = query.get("allowWatchBookmarks") == "true"
    last_sent = time.monotonic()
    while not handler.server.stopping.is_set() and time.monotonic() < deadline:
        if bookmarks and time.monotonic() - last_sent > BOOKMARK_SECONDS:
            bookmark = {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": {"resourceVersion": str(revision)}}
            if not _send(handler, {"type": "BOOKMARK", "object": bookmark}):
                return
            last_sent = time.monotonic()
        with api.store.changed:
            events = api.store.events_after(revision)
            if not events:
                api.store.changed.wait(timeout=min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
                events = api.store.events_after(revision)
        for event in events:
            revision = event.resource_version
            if event.resource != rt.key:
                continue
            identity = _identity(event.object)
            now_matches = event.type != "DELETED" and matches(event.object)
            was_visible = identity in visible
            if event.type == "DELETED":
                if not was_visible and not matches(event.object):
                    continue
                visible.discard(identity)
                kind = "DELETED"
            elif now_matches and not was_visible:
                visible.add(identity)
                kind = "ADDED"
            elif now_matches:
                kind = "MODIFIED"
            elif was_visible:
                visible.discard(identity)
                kind = "DELETED"
            else:
                continue
            if not _send(handler, {"type": kind, "object": _present(rt, event.object, as_table)}):
                return
            last_sent = time.monotonic()
    _finish(handler)


def _identity(obj: dict[str, Any]) -> tuple[str, str]:
    return (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def _present(rt: ResourceType, obj: dict[str, Any], as_table: bool = False) -> dict[str, Any]:
    result = dict(obj)
    result["apiVersion"] = rt.api_version
    result["kind"] = rt.kind
    if as_table:
        return tables.table(rt, [result], obj["metadata"].get("resourceVersion", ""))
    return result


def _start(handler: RequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Cache-Control", "no-cache, private")
    handler.end_headers()


def _send(handler: RequestHandler, event: dict[str, Any]) -> bool:
    line = json.dumps(event, separators=(",", ":")).encode() + b"\n"
    try:
        handler.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
        handler.wfile.flush()
        return True
    except OSError:
        handler.close_connection = True
        return False


def _finish(handler: RequestHandler) -> None:
    try:
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True
