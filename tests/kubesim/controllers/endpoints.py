"""The endpoints controllers: Endpoints and an EndpointSlice per Service, from the pods it selects."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..store import clone
from .base import Controller, is_deleting, owner_reference, pod_ready

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SLICE_MANAGER = "endpointslice-controller.k8s.io"


def _target_port(port: dict[str, Any], pod: dict[str, Any]) -> int | None:
    """Resolve a Service port's targetPort (a number or a container port name) for one pod."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for container in pod["spec"].get("containers") or []:
        for container_port in container.get("ports") or []:
            if container_port.get("name") == target:
                return container_port.get("containerPort")
    return None


def _reference(pod: dict[str, Any]) -> dict[str, Any]:
    metadata = pod["metadata"]
    return {"kind": "Pod", "namespace": metadata["namespace"], "name": metadata["name"], "uid": metadata["uid"]}


class EndpointsController(Controller):
    """Keep Endpoints and EndpointSlices in step with the ready pods behind each selector Service."""

    def reconcile(self) -> None:
        service_rt = self.resource("", "Service")
        pod_rt = self.resource("", "Pod")
        endpoints_rt = self.resource("", "Endpoints")
        slice_rt = self.resource("discovery.k8s.io", "EndpointSlice")
        services, revision = self.api.list(service_rt, None)
        pods, revision = self.api.list(pod_rt, None)
        live = set()
        for service in services:
            spec = service["spec"]
            if not spec.get("selector") or spec.get("type") == "ExternalName":
                continue
            namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
            live.add((namespace, name))
            selected = [
                pod for pod in pods
                if pod["metadata"]["namespace"] == namespace and not is_deleting(pod) and (pod.get("status") or {}).get("podIP")
                and all((pod["metadata"].get("labels") or {}).get(key) == value for key, value in spec["selector"].items())
            ]
            self._sync_endpoints(endpoints_rt, service, selected)
            self._sync_slice(slice_rt, service, selected)
        self._delete_orphaned_endpoints(endpoints_rt, live)

    def _sync_endpoints(self, rt: Any, service: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
        subsets = []
        for port in service["spec"].get("ports") or []:
            ready, not_ready = [], []
            for pod in pods:
                number = _target_port(port, pod)
                if number is None:
                    continue
                address = {"ip": pod["status"]["podIP"], "nodeName": pod["spec"].get("nodeName", ""), "targetRef": _reference(pod)}
                (ready if pod_ready(pod) else not_ready).append((number, address))
            for number in sorted({entry[0] for entry in ready + not_ready}):
                subset: dict[str, Any] = {"ports": [{key: value for key, value in
                                                     (("name", port.get("name")), ("port", number), ("protocol", port.get("protocol", "TCP"))) if value}]}
                addresses = [address for port_number, address in ready if port_number == number]
                pending = [address for port_number, address in not_ready if port_number == number]
                if addresses:
                    subset["addresses"] = addresses
                if pending:
                    subset["notReadyAddresses"] = pending
                subsets.append(subset)
        labels = dict(service["metadata"].get("labels") or {})
        body = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": namespace, "labels": labels}}
        if subsets:
            body["subsets"] = subsets
        existing = self.api.find(rt, namespace, name)
        if existing is None:
            self.api.create(rt, namespace, body)
        elif existing.get("subsets") != body.get("subsets"):
            updated = clone(existing)
            updated.pop("subsets", None)
            if subsets:
                updated["subsets"] = subsets
            self.api.update(rt, namespace, name, updated)

    def _sync_slice(self, rt: Any, service: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
        endpoints = [
            {
                "addresses": [pod["status"]["podIP"]],
                "conditions": {"ready": pod_ready(pod), "serving": pod_ready(pod), "terminating": False},
                "nodeName": pod["spec"].get("nodeName", ""),
                "targetRef": _reference(pod),
            }
            for pod in sorted(pods, key=lambda pod: pod["metadata"]["name"])
        ]
        ports = []
        for port in service["spec"].get("ports") or []:
            number = next((_target_port(port, pod) for pod in pods if _target_port(port, pod) is not None), None)
            entry: dict[str, Any] = {"name": port.get("name", ""), "protocol": port.get("protocol", "TCP")}
            if number is not None:
                entry["port"] = number
            ports.append(entry)
        existing, revision = self.api.list(rt, namespace, label_selector=f"{SERVICE_NAME_LABEL}={name}")
        if not existing:
            labels = dict(service["metadata"].get("labels") or {})
            labels.update({SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: SLICE_MANAGER})
            body = {
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"generateName": f"{name}-", "namespace": namespace, "labels": labels, "ownerReferences": [owner_reference(service)]},
                "addressType": "IPv4", "endpoints": endpoints, "ports": ports,
            }
            self.api.create(rt, namespace, body)
            return
        current = existing[0]
        if current.get("endpoints", []) != endpoints or current.get("ports", []) != ports:
            updated = clone(current)
            updated["endpoints"] = endpoints
            updated["ports"] = ports
            self.api.update(rt, namespace, current["metadata"]["name"], updated)

    def _delete_orphaned_endpoints(self, rt: Any, live: set[tuple[str, str]]) -> None:
        endpoints, revision = self.api.list(rt, None)
        for entry in endpoints:
            key = (entry["metadata"]["namespace"], entry["metadata"]["name"])
            if key in live or entry["metadata"]["name"] == "kubernetes":
                continue
            service_rt = self.resource("", "Service")
            if self.api.find(service_rt, *key) is not None:
                continue
            try:
                self.api.delete(rt, key[0], key[1], "Background")
            except ApiError as error:
                if error.code != 404:
                    raise
