"""Server-side printing (meta.k8s.io/v1 Table) and list pagination."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from .errors import ApiError
from .resources import ResourceType
from .selectors import selector_to_string

NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}
AGE_COLUMN = {"name": "Age", "type": "string", "format": "", "description": "Time since the object was created.", "priority": 0}


def age(timestamp: str | None) -> str:
    """Format the time since a timestamp as kubectl does (e.g. 42s, 5m3s, 2d)."""
    if not timestamp:
        return "<unknown>"
    created = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return human_duration(int((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()))


def human_duration(seconds: int) -> str:
    """Format a duration as kubectl does (e.g. 42s, 5m3s, 2d)."""
    seconds = max(0, seconds)
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


def _column(name: str, description: str = "", column_type: str = "string", priority: int = 0, column_format: str = "") -> dict[str, Any]:
    return {"name": name, "type": column_type, "format": column_format, "description": description, "priority": priority}


def _name_age(obj: dict[str, Any]) -> tuple[str, str]:
    metadata = obj.get("metadata") or {}
    return metadata.get("name", ""), age(metadata.get("creationTimestamp"))


def _pod_row(obj: dict[str, Any]) -> list[Any]:
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for entry in statuses if entry.get("ready"))
    restarts = sum(entry.get("restartCount", 0) for entry in statuses)
    shown = status.get("phase", "Pending")
    for entry in statuses:
        state = entry.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            shown = waiting["reason"]
        elif terminated and terminated.get("reason"):
            shown = terminated["reason"]
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        shown = "Terminating"
    name, created = _name_age(obj)
    return [name, f"{ready}/{len(spec.get('containers') or [])}", shown, str(restarts), created,
            status.get("podIP") or "<none>", spec.get("nodeName") or "<none>", "<none>", "<none>"]


POD_COLUMNS = [
    NAME_COLUMN, _column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _column("Status", "The aggregate status of the containers in this pod."),
    _column("Restarts", "The number of times the containers in this pod have been restarted."), AGE_COLUMN,
    _column("IP", "The IP address assigned to the pod.", priority=1), _column("Node", "The name of the node the pod runs on.", priority=1),
    _column("Nominated Node", "The node the pod is nominated to.", priority=1), _column("Readiness Gates", "The pod's readiness gates.", priority=1),
]


def _workload_containers(obj: dict[str, Any]) -> tuple[str, str]:
    containers = ((((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)


def _selector_text(obj: dict[str, Any]) -> str:
    return selector_to_string((obj.get("spec") or {}).get("selector") or {}) or "<none>"


def _deployment_row(obj: dict[str, Any]) -> list[Any]:
    status = obj.get("status") or {}
    name, created = _name_age(obj)
    containers, images = _workload_containers(obj)
    return [name, f"{status.get('readyReplicas', 0)}/{(obj.get('spec') or {}).get('replicas', 0)}", status.get("updatedReplicas", 0),
            status.get("availableReplicas", 0), created, containers, images, _selector_text(obj)]


DEPLOYMENT_COLUMNS = [
    NAME_COLUMN, _column("Ready", "Number of the pod with ready state"),
    _column("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", "integer"),
    _column("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", "integer"),
    AGE_COLUMN, _column("Containers", "Names of each container in the template.", priority=1),
    _column("Images", "Images referenced by each container in the template.", priority=1),
    _column("Selector", "Label selector for pods.", priority=1),
]


def _replica_set_row(obj: dict[str, Any]) -> list[Any]:
    status = obj.get("status") or {}
    name, created = _name_age(obj)
    containers, images = _workload_containers(obj)
    return [name, (obj.get("spec") or {}).get("replicas", 0), status.get("replicas", 0), status.get("readyReplicas", 0), created,
            containers, images, _selector_text(obj)]


REPLICA_SET_COLUMNS = [
    NAME_COLUMN, _column("Desired", "Number of desired pods.", "integer"), _column("Current", "Number of actual replicas.", "integer"),
    _column("Ready", "Number of ready replicas.", "integer"), AGE_COLUMN,
    _column("Containers", "Names of each container in the template.", priority=1),
    _column("Images", "Images referenced by each container in the template.", priority=1),
    _column("Selector", "Label selector for pods.", priority=1),
]


def _service_row(obj: dict[str, Any]) -> list[Any]:
    spec = obj.get("spec") or {}
    name, created = _name_age(obj)
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    external = ",".join(entry.get("ip") or entry.get("hostname", "") for entry in ingress)
    if not external:
        external = "<pending>" if spec.get("type") == "LoadBalancer" else "<none>"
    ports = ",".join(
        f"{port.get('port')}{':' + str(port['nodePort']) if port.get('nodePort') else ''}/{port.get('protocol', 'TCP')}"
        for port in spec.get("ports") or []
    ) or "<none>"
    selector = ",".join(f"{key}={value}" for key, value in sorted((spec.get("selector") or {}).items())) or "<none>"
    return [name, spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>", external, ports, created, selector]


SERVICE_COLUMNS = [
    NAME_COLUMN, _column("Type", "The type of the service."), _column("Cluster-IP", "The cluster IP of the service."),
    _column("External-IP", "The external IPs of the service."), _column("Port(s)", "The ports of the service."), AGE_COLUMN,
    _column("Selector", "The label selector of the service.", priority=1),
]


def _node_row(obj: dict[str, Any]) -> list[Any]:
    status = obj.get("status") or {}
    name, created = _name_age(obj)
    ready = next((entry.get("status") for entry in status.get("conditions") or [] if entry.get("type") == "Ready"), "Unknown")
    roles = ",".join(sorted(key.split("/", 1)[1] for key in (obj.get("metadata") or {}).get("labels") or {}
                            if key.startswith("node-role.kubernetes.io/"))) or "<none>"
    addresses = {entry.get("type"): entry.get("address") for entry in status.get("addresses") or []}
    info = status.get("nodeInfo") or {}
    return [name, "Ready" if ready == "True" else "NotReady", roles, created, info.get("kubeletVersion", ""),
            addresses.get("InternalIP", "<none>"), addresses.get("ExternalIP", "<none>"), info.get("osImage", ""),
            info.get("kernelVersion", ""), info.get("containerRuntimeVersion", "")]


NODE_COLUMNS = [
    NAME_COLUMN, _column("Status", "The status of the node."), _column("Roles", "The roles of the node."), AGE_COLUMN,
    _column("Version", "Kubelet version."), _column("Internal-IP", "Internal IP of the node.", priority=1),
    _column("External-IP", "External IP of the node.", priority=1), _column("OS-Image", "OS image of the node.", priority=1),
    _column("Kernel-Version", "Kernel version of the node.", priority=1),
    _column("Container-Runtime", "Container runtime of the node.", priority=1),
]


def _event_row(obj: dict[str, Any]) -> list[Any]:
    involved = obj.get("involvedObject") or {}
    source = (obj.get("source") or {}).get("component", "")
    return [age(obj.get("lastTimestamp")), obj.get("type", ""), obj.get("reason", ""),
            f"{(involved.get('kind') or '').lower()}/{involved.get('name', '')}", obj.get("message", ""),
            involved.get("fieldPath", ""), source, age(obj.get("firstTimestamp")), obj.get("count", 1), (obj.get("metadata") or {}).get("name", "")]


EVENT_COLUMNS = [
    _column("Last Seen", "Time since the last occurrence."), _column("Type", "Type of this event."), _column("Reason", "Short reason for the event."),
    _column("Object", "The object this event is about."), _column("Message", "A human-readable description of the event."),
    _column("Subobject", "The part of the object this event is about.", priority=1), _column("Source", "The component reporting this event.", priority=1),
    _column("First Seen", "Time since the first occurrence.", priority=1), _column("Count", "How many times the event occurred.", "integer", priority=1),
    {**NAME_COLUMN, "priority": 1},
]


def _namespace_row(obj: dict[str, Any]) -> list[Any]:
    name, created = _name_age(obj)
    return [name, (obj.get("status") or {}).get("phase", "Active"), created]


def _secret_row(obj: dict[str, Any]) -> list[Any]:
    name, created = _name_age(obj)
    return [name, obj.get("type", "Opaque"), len(obj.get("data") or {}), created]


def _config_map_row(obj: dict[str, Any]) -> list[Any]:
    name, created = _name_age(obj)
    return [name, len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), created]


def _endpoints_row(obj: dict[str, Any]) -> list[Any]:
    name, created = _name_age(obj)
    addresses = [
        f"{address['ip']}:{port['port']}"
        for subset in obj.get("subsets") or []
        for address in subset.get("addresses") or []
        for port in subset.get("ports") or []
    ]
    shown = ",".join(addresses[:3]) + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")
    return [name, shown or "<none>", created]


def _endpoint_slice_row(obj: dict[str, Any]) -> list[Any]:
    name, created = _name_age(obj)
    ports = ",".join(str(port["port"]) for port in obj.get("ports") or [] if "port" in port) or "<unset>"
    addresses = [address for endpoint in obj.get("endpoints") or [] for address in endpoint.get("addresses") or []]
    shown = ",".join(addresses[:3]) + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")
    return [name, obj.get("addressType", ""), ports, shown or "<unset>", created]


def _job_status(obj: dict[str, Any]) -> str:
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    true_conditions = [entry.get("type") for entry in (obj.get("status") or {}).get("conditions") or [] if entry.get("status") == "True"]
    for condition_type in ("Complete", "Failed", "FailureTarget", "SuccessCriteriaMet", "Suspended"):
        if condition_type in true_conditions:
            return condition_type
    return "Running"


def _job_row(obj: dict[str, Any]) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    name, created = _name_age(obj)
    completions = spec.get("completions")
    succeeded = status.get("succeeded", 0)
    shown = f"{succeeded}/{completions}" if completions is not None else f"{succeeded}/1 of {spec.get('parallelism', 1)}"
    duration = ""
    if status.get("startTime"):
        start = datetime.datetime.strptime(status["startTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        end = datetime.datetime.now(datetime.timezone.utc)
        if status.get("completionTime"):
            end = datetime.datetime.strptime(status["completionTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        duration = human_duration(int((end - start).total_seconds()))
    containers, images = _workload_containers(obj)
    return [name, _job_status(obj), shown, duration, created, containers, images, _selector_text(obj)]


JOB_COLUMNS = [
    NAME_COLUMN, _column("Status", "Status of the job."), _column("Completions", "The completion status of the job."),
    _column("Duration", "Time required to complete the job."), AGE_COLUMN,
    _column("Containers", "Names of each container in the template.", priority=1),
    _column("Images", "Images referenced by each container in the template.", priority=1),
    _column("Selector", "Label selector for pods.", priority=1),
]


BUILTIN_TABLES: dict[str, tuple[list[dict[str, Any]], Any]] = {
    "Job": (JOB_COLUMNS, _job_row),
    "Pod": (POD_COLUMNS, _pod_row),
    "Deployment": (DEPLOYMENT_COLUMNS, _deployment_row),
    "ReplicaSet": (REPLICA_SET_COLUMNS, _replica_set_row),
    "Service": (SERVICE_COLUMNS, _service_row),
    "Node": (NODE_COLUMNS, _node_row),
    "Event": (EVENT_COLUMNS, _event_row),
    "Namespace": ([NAME_COLUMN, _column("Status", "The status of the namespace."), AGE_COLUMN], _namespace_row),
    "Secret": (
        [NAME_COLUMN, _column("Type", "The type of the secret."), _column("Data", "The number of entries in the data.", "integer"), AGE_COLUMN],
        _secret_row,
    ),
    "ConfigMap": ([NAME_COLUMN, _column("Data", "The number of entries in the data.", "integer"), AGE_COLUMN], _config_map_row),
    "Endpoints": ([NAME_COLUMN, _column("Endpoints", "Endpoints of the service."), AGE_COLUMN], _endpoints_row),
    "EndpointSlice": ([NAME_COLUMN, _column("AddressType", "The type of the addresses."), _column("Ports", "The ports of the endpoints."),
                       _column("Endpoints", "The addresses of the endpoints."), AGE_COLUMN], _endpoint_slice_row),
}


def _split_path(path: str) -> list[str]:
    """Split a JSONPath such as .status.conditions[?(@.type=="Ready")].status at dots outside brackets."""
    parts, depth, current = [], 0, ""
    for char in path.strip().lstrip("."):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current:
        parts.append(current)
    return parts


def _select(nodes: list[Any], part: str) -> list[Any]:
    name, bracket, selector = part.partition("[")
    selected = [node.get(name) for node in nodes if isinstance(node, dict) and name in node] if name else list(nodes)
    if not selector:
        return [node for node in selected if node is not None]
    selector = selector.rstrip("]")
    result: list[Any] = []
    for node in selected:
        if not isinstance(node, list):
            continue
        if selector == "*":
            result += node
        elif selector.lstrip("-").isdigit():
            index = int(selector)
            if -len(node) <= index < len(node):
                result.append(node[index])
        elif selector.startswith("?(@.") and selector.endswith(")"):
            key, equals, expected = selector[4:-1].partition("==")
            expected = expected.strip().strip("\"'")
            result += [entry for entry in node if isinstance(entry, dict) and str(_jsonpath_first(entry, key.strip())) == expected]
    return result


def _jsonpath_first(obj: Any, path: str) -> Any:
    values = jsonpath(obj, path)
    return values[0] if values else None


def jsonpath(obj: Any, path: str) -> list[Any]:
    """Evaluate the simple JSONPath of additionalPrinterColumns: fields, [n], [*] and [?(@.key=="value")] filters."""
    nodes = [obj]
    for part in _split_path(path):
        nodes = _select(nodes, part)
    return nodes


def _custom_row(rt: ResourceType, obj: dict[str, Any]) -> list[Any]:
    name, created = _name_age(obj)
    cells: list[Any] = [name]
    for column in rt.printer_columns:
        if column.get("jsonPath") == ".metadata.creationTimestamp":
            cells.append(created)
            continue
        values = jsonpath(obj, column.get("jsonPath", ""))
        if column.get("type") == "date":
            cells.append(age(values[0]) if values else "<unknown>")
        elif not values:
            cells.append(None)
        elif len(values) == 1:
            cells.append(values[0])
        else:
            cells.append(",".join(str(value) for value in values))
    if not any(column.get("jsonPath") == ".metadata.creationTimestamp" for column in rt.printer_columns):
        cells.append(created)
    return cells


def _custom_columns(rt: ResourceType) -> list[dict[str, Any]]:
    columns = [NAME_COLUMN]
    for column in rt.printer_columns:
        if column.get("jsonPath") == ".metadata.creationTimestamp":
            columns.append(AGE_COLUMN)
            continue
        column_type = column.get("type", "string")
        columns.append(_column(column["name"], column.get("description", ""), "string" if column_type == "date" else column_type,
                               column.get("priority", 0), column.get("format", "")))
    if not any(column.get("jsonPath") == ".metadata.creationTimestamp" for column in rt.printer_columns):
        columns.append(AGE_COLUMN)
    return columns


def table(rt: ResourceType, objects: list[dict[str, Any]], revision: str, continue_token: str = "") -> dict[str, Any]:
    """Build the Table kubectl requests for `get` without -o (or with -o wide)."""
    if rt.crd_schema is not None and rt.printer_columns:
        columns = _custom_columns(rt)
        rows = [_custom_row(rt, obj) for obj in objects]
    elif rt.kind in BUILTIN_TABLES and rt.crd_schema is None:
        columns, build = BUILTIN_TABLES[rt.kind]
        rows = [build(obj) for obj in objects]
    else:
        columns = [NAME_COLUMN, AGE_COLUMN]
        rows = [list(_name_age(obj)) for obj in objects]
    metadata: dict[str, Any] = {"resourceVersion": revision}
    if continue_token:
        metadata["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": [
            {"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata") or {}}}
            for cells, obj in zip(rows, objects)
        ],
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
