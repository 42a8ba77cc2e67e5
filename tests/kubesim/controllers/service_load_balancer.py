"""Service address allocation: cluster IPs and node ports at admission, load balancer IPs by a controller.

Load balancer addresses come from 198.51.100.0/24 (TEST-NET-2, RFC 5737):
they are only data and reach nothing.
"""

from __future__ import annotations

import ipaddress
import threading
from typing import TYPE_CHECKING, Any

from ..resources import ResourceType
from .base import Controller

if TYPE_CHECKING:
    from ..api import Api

SERVICE_NETWORK = ipaddress.ip_network("10.96.0.0/16")
LOAD_BALANCER_NETWORK = ipaddress.ip_network("198.51.100.0/24")
NODE_PORT_RANGE = range(30000, 32768)

_allocation_lock = threading.Lock()


def _used(api: Api, rt: ResourceType) -> tuple[set[str], set[int], set[str]]:
    services, revision = api.store.list(rt.key)
    cluster_ips = {service["spec"].get("clusterIP", "") for service in services}
    node_ports = {port.get("nodePort") for service in services for port in service["spec"].get("ports") or []}
    ingress = {
        entry.get("ip", "")
        for service in services
        for entry in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    }
    return cluster_ips, node_ports, ingress


def allocate_service_addresses(api: Api, rt: ResourceType, obj: dict[str, Any]) -> None:
    """Admission step for new Services: assign clusterIP(s) and node ports like the API server."""
    if rt.kind != "Service":
        return
    spec = obj.setdefault("spec", {})
    if spec.get("type") == "ExternalName":
        return
    with _allocation_lock:
        cluster_ips, node_ports, ingress_ips = _used(api, rt)
        if not spec.get("clusterIP"):
            for host in list(SERVICE_NETWORK.hosts())[10:]:
                if str(host) not in cluster_ips:
                    spec["clusterIP"] = str(host)
                    break
        if spec.get("clusterIP") and spec["clusterIP"] != "None":
            spec["clusterIPs"] = [spec["clusterIP"]]
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            for port in spec.get("ports") or []:
                if not port.get("nodePort"):
                    port["nodePort"] = next(number for number in NODE_PORT_RANGE if number not in node_ports)
                    node_ports.add(port["nodePort"])


class ServiceLoadBalancer(Controller):
    """Give every LoadBalancer Service an ingress IP, as a cloud or MetalLB would."""

    def reconcile(self) -> None:
        rt = self.resource("", "Service")
        services, revision = self.api.list(rt, None)
        cluster_ips, node_ports, taken = _used(self.api, rt)
        for service in services:
            if service["spec"].get("type") != "LoadBalancer":
                continue
            ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress")
            if ingress:
                continue
            address = next(str(host) for host in LOAD_BALANCER_NETWORK.hosts() if str(host) not in taken)
            taken.add(address)
            status = dict(service.get("status") or {})
            status["loadBalancer"] = {"ingress": [{"ip": address, "ipMode": "VIP"}]}
            self.write_status(rt, service, status)
