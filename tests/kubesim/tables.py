"""Server-side printing (meta.k8s.io/v1 Table) and list pagination."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from .errors import ApiError
from .resources import ResourceType

NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}
AGE_COLUMN = {"name": "Age", "type": "string", "format": "", "description": "Time since the object was created.", "priority": 0}


def age(timestamp: str | None) -> str:
    """Format the time since a timestamp as kubectl does (e.g. 42s, 5m3s, 2d)."""
    if not timestamp:
        return "<unknown>"
    created = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    seconds = max(0, int((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def _pod_cells(obj: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    status = obj.get("status") or {}
    statuses = status.get("containerStatuses") or []
    total = len((obj.get("spec") or {}).get("containers") or [])
    ready = sum(1 for entry in statuses if entry.get("ready"))
    restarts = sum(entry.get("restartCount", 0) for entry in statuses)
    shown = status.get("phase", "Pending")
    for entry in statuses:
        waiting = (entry.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            shown = waiting["reason"]
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        shown = "Terminating"
    columns = [
        {"name": "Ready", "type": "string", "format": "", "description": "The aggregate readiness state of this pod for accepting traffic.", "priority": 0},
        {"name": "Status", "type": "string", "format": "", "description": "The aggregate status of the containers in this pod.", "priority": 0},
        {"name": "Restarts", "type": "string", "format": "", "description": "The number of times the containers in this pod have been restarted.", "priority": 0},
    ]
    return columns, [f"{ready}/{total}", shown, str(restarts)]


def _deployment_cells(obj: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    status = obj.get("status") or {}
    desired = (obj.get("spec") or {}).get("replicas", 0)
    columns = [
        {"name": "Ready", "type": "string", "format": "", "description": "Number of the pod with ready state", "priority": 0},
        {"name": "Up-to-date", "type": "integer", "format": "", "description": "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", "priority": 0},
        {"name": "Available", "type": "integer", "format": "", "description": "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", "priority": 0},
    ]
    return columns, [f"{status.get('readyReplicas', 0)}/{desired}", status.get("updatedReplicas", 0), status.get("availableReplicas", 0)]


def _jsonpath(obj: dict[str, Any], path: str) -> Any:
    node: Any = obj
    for part in path.strip(".").split("."):
        if part.endswith("]") and "[" in part:
            name, _, index = part[:-1].partition("[")
            node = node.get(name) if isinstance(node, dict) else None
            if isinstance(node, list) and index.isdigit() and int(index) < len(node):
                node = node[int(index)]
            elif index.startswith("?("):
                # Filters such as [?(@.type=="Ready")] select the first matching list entry.
                condition = index[2:-1]
                key, _, wanted = condition.partition("==")
                key = key.strip().lstrip("@.")
                wanted = wanted.strip().strip("\"'")
                node = next((entry for entry in node or [] if isinstance(entry, dict) and str(entry.get(key)) == wanted), None)
            else:
                node = None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _custom_cells(rt: ResourceType, obj: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    columns, cells = [], []
    for column in rt.printer_columns:
        if column.get("jsonPath") == ".metadata.creationTimestamp":
            continue
        columns.append({"name": column["name"], "type": column.get("type", "string"), "format": column.get("format", ""),
                        "description": column.get("description", ""), "priority": column.get("priority", 0)})
        value = _jsonpath(obj, column.get("jsonPath", ""))
        if column.get("type") == "date" and isinstance(value, str):
            value = age(value)
        cells.append(value)
    return columns, cells


def table(rt: ResourceType, objects: list[dict[str, Any]], revision: str, continue_token: str = "") -> dict[str, Any]:
    """Build the Table kubectl requests for `get` without -o."""
    extra_columns: list[dict[str, Any]] = []
    rows = []
    for obj in objects:
        if rt.kind == "Pod":
            extra_columns, cells = _pod_cells(obj)
        elif rt.kind == "Deployment":
            extra_columns, cells = _deployment_cells(obj)
        elif rt.printer_columns:
            extra_columns, cells = _custom_cells(rt, obj)
        else:
            cells = []
        metadata = obj.get("metadata") or {}
        rows.append({
            "cells": [metadata.get("name", "")] + cells + [age(metadata.get("creationTimestamp"))],
            "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata},
        })
    if not objects:
        if rt.kind == "Pod":
            extra_columns = _pod_cells({})[0]
        elif rt.kind == "Deployment":
            extra_columns = _deployment_cells({})[0]
        elif rt.printer_columns:
            extra_columns = _custom_cells(rt, {})[0]
    metadata: dict[str, Any] = {"resourceVersion": revision}
    if continue_token:
        metadata["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": [NAME_COLUMN] + extra_columns + [AGE_COLUMN],
        "rows": rows,
    }


def paginate(items: list[dict[str, Any]], query: dict[str, str], revision: int) -> tuple[list[dict[str, Any]], str, int]:
    """Cut a list by limit and continue; return the page, the next token and the remaining count."""
    start = 0
    token = query.get("continue")
    if token:
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            after = state["start"]
        except (ValueError, KeyError, TypeError) as error:
            raise ApiError(400, "the continue token is invalid; restart the list without continue") from error
        keys = [_sort_key(item) for item in items]
        start = next((index for index, key in enumerate(keys) if key > tuple(after)), len(items))
    limit_text = query.get("limit") or "0"
    try:
        limit = int(limit_text)
    except ValueError as error:
        raise ApiError(400, f'limit "{limit_text}" is not an integer') from error
    if limit <= 0 or start + limit >= len(items):
        return items[start:], "", 0
    page = items[start:start + limit]
    state = {"rv": revision, "start": list(_sort_key(page[-1]))}
    next_token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
    return page, next_token, len(items) - start - limit


def _sort_key(item: dict[str, Any]) -> tuple[str, str]:
    metadata = item.get("metadata") or {}
    return (metadata.get("namespace", ""), metadata.get("name", ""))
