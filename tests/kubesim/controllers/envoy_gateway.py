"""Envoy Gateway: accepts GatewayClasses, runs one envoy proxy per Gateway, reports status.

It acts only while a Deployment named envoy-gateway has a ready replica, and
puts the proxies into that Deployment's namespace, named and labelled as
Envoy Gateway does. Proxies of Gateways that are gone are deleted (Envoy
Gateway sets no ownerReferences across namespaces).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..errors import ApiError
from ..store import clone
from .base import Controller, set_condition
from .envoy_proxy_config import envoy_gateway_settings, proxy_setting

CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
GATEWAY_GROUP = "gateway.networking.k8s.io"
CONTROLLER_DEPLOYMENT = "envoy-gateway"
# The proxy image Envoy Gateway v1.6.0 uses when no EnvoyProxy sets one.
ENVOY_IMAGE = "docker.io/envoyproxy/envoy:distroless-v1.36.2"
DEFAULT_GATEWAY_IMAGE = "docker.io/envoyproxy/gateway:v1.6.0"
OWNING_NAME = "gateway.envoyproxy.io/owning-gateway-name"
OWNING_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace"
MANAGED_BY = "app.kubernetes.io/managed-by"
PRIVILEGED_PORT_OFFSET = 10000
METRICS_PORT = 19001
ROUTE_KINDS = {"HTTP": ["HTTPRoute", "GRPCRoute"], "HTTPS": ["HTTPRoute", "GRPCRoute"], "TLS": ["TLSRoute"], "TCP": ["TCPRoute"], "UDP": ["UDPRoute"]}


def proxy_name(namespace: str, name: str) -> str:
    """Name of the proxy Deployment and Service of a Gateway, as Envoy Gateway derives it."""
    base = f"{namespace}-{name}"[:48].rstrip("-")
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest()[:8]
    return f"envoy-{base}-{digest}"


def proxy_labels(namespace: str, name: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "envoy",
        "app.kubernetes.io/component": "proxy",
        MANAGED_BY: "envoy-gateway",
        OWNING_NAME: name,
        OWNING_NAMESPACE: namespace,
    }


def container_port(port: int) -> int:
    """Envoy runs unprivileged, so listener ports below 1024 move up by 10000."""
    return port + PRIVILEGED_PORT_OFFSET if port < 1024 else port


def certificate_problem(secret: dict[str, Any] | None, namespace: str, name: str) -> str | None:
    """Return why a certificateRef is unusable, or None when it contains a matching certificate and key."""
    if secret is None:
        return f"Secret {namespace}/{name} does not exist."
    if secret.get("type") != "kubernetes.io/tls":
        return f"Secret {namespace}/{name} must be of type kubernetes.io/tls."
    data = secret.get("data") or {}
    try:
        certificate_pem = base64.b64decode(data.get("tls.crt", ""))
        key_pem = base64.b64decode(data.get("tls.key", ""))
    except (binascii.Error, ValueError):
        return f"Secret {namespace}/{name} must contain valid tls.crt and tls.key."
    try:
        certificates = x509.load_pem_x509_certificates(certificate_pem)
    except ValueError:
        return f"Secret {namespace}/{name} must contain valid tls.crt and tls.key: the certificate does not parse."
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        return f"Secret {namespace}/{name} must contain valid tls.crt and tls.key: the private key does not parse or is encrypted."
    leaf_public = certificates[0].public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    key_public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if leaf_public != key_public:
        return f"Secret {namespace}/{name} must contain valid tls.crt and tls.key: the private key does not match the certificate."
    return None


class EnvoyGatewayController(Controller):
    """Reconcile GatewayClasses, Gateways, their proxies and the status of routes."""

    def reconcile(self) -> None:
        registry = self.api.registry
        class_rt = registry.by_kind(GATEWAY_GROUP, "GatewayClass")
        gateway_rt = registry.by_kind(GATEWAY_GROUP, "Gateway")
        if class_rt is None or gateway_rt is None:
            return
        controller = self._controller_deployment()
        if controller is None:
            return
        namespace = controller["metadata"]["namespace"]

        accepted: dict[str, dict[str, Any]] = {}
        classes, revision = self.api.list(class_rt, None)
        for gateway_class in classes:
            if gateway_class["spec"].get("controllerName") != CONTROLLER_NAME:
                continue
            accepted[gateway_class["metadata"]["name"]] = gateway_class
            self._accept_class(class_rt, gateway_class)
        settings = envoy_gateway_settings(self.api, namespace)

        gateways, revision = self.api.list(gateway_rt, None)
        ours = [gateway for gateway in gateways if gateway["spec"].get("gatewayClassName") in accepted and not gateway["metadata"].get("deletionTimestamp")]
        routes = self._routes()
        for gateway in ours:
            images = self._images(gateway, accepted[gateway["spec"]["gatewayClassName"]], controller, settings)
            self._reconcile_gateway(gateway_rt, gateway, controller, routes, images)
        self._delete_orphaned_proxies(namespace, {(gateway["metadata"]["namespace"], gateway["metadata"]["name"]) for gateway in ours})
        self._report_routes(routes, {(gateway["metadata"]["namespace"], gateway["metadata"]["name"]) for gateway in ours})

    # Controller and classes

    def _controller_deployment(self) -> dict[str, Any] | None:
        deployments, revision = self.api.list(self.resource("apps", "Deployment"), None, field_selector=f"metadata.name={CONTROLLER_DEPLOYMENT}")
        for deployment in deployments:
            if (deployment.get("status") or {}).get("readyReplicas", 0) >= 1:
                return deployment
        return None

    def _accept_class(self, class_rt: Any, gateway_class: dict[str, Any]) -> None:
        status = clone(gateway_class.get("status") or {})
        generation = gateway_class["metadata"].get("generation", 1)
        status["conditions"] = set_condition(
            status.get("conditions") or [], "Accepted", "True", "Accepted", "Valid GatewayClass", {"observedGeneration": generation},
        )
        status["conditions"] = [entry for entry in status["conditions"] if entry.get("reason") != "Pending"]
        self.write_status(class_rt, gateway_class, status)

    # Gateways

    def _images(self, gateway: dict[str, Any], gateway_class: dict[str, Any], controller: dict[str, Any], settings: dict[str, Any]) -> dict[str, str]:
        """Return the images of the proxy containers: envoy from the EnvoyProxy settings, shutdown-manager from the configuration file."""
        envoy = proxy_setting(self.api, gateway, gateway_class, settings, "provider", "kubernetes", "envoyDeployment", "container", "image")
        controller_image = next(iter(controller["spec"]["template"]["spec"].get("containers") or []), {}).get("image") or DEFAULT_GATEWAY_IMAGE
        shutdown_manager = (((settings.get("provider") or {}).get("kubernetes") or {}).get("shutdownManager") or {}).get("image")
        return {"envoy": envoy or ENVOY_IMAGE, "shutdown-manager": shutdown_manager or controller_image}

    def _reconcile_gateway(
        self,
        gateway_rt: Any,
        gateway: dict[str, Any],
        controller: dict[str, Any],
        routes: list[tuple[Any, dict[str, Any]]],
        images: dict[str, str],
    ) -> None:
        gateway_namespace = gateway["metadata"]["namespace"]
        gateway_name = gateway["metadata"]["name"]
        namespace = controller["metadata"]["namespace"]
        name = proxy_name(gateway_namespace, gateway_name)
        listeners = gateway["spec"].get("listeners") or []
        labels = proxy_labels(gateway_namespace, gateway_name)

        self._ensure_service_account(namespace, name, labels)
        deployment = self._ensure_deployment(namespace, name, labels, listeners, images)
        service = self._ensure_service(namespace, name, labels, listeners)

        listener_statuses = [self._listener_status(gateway, listener, routes) for listener in listeners]
        generation = gateway["metadata"].get("generation", 1)
        ready = (deployment.get("status") or {}).get("readyReplicas", 0)
        desired = deployment["spec"].get("replicas", 1)
        ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        addresses = [{"type": "IPAddress", "value": entry["ip"]} for entry in ingress if entry.get("ip")]

        status = clone(gateway.get("status") or {})
        conditions = [entry for entry in status.get("conditions") or [] if entry.get("reason") != "Pending"]
        extra = {"observedGeneration": generation}
        conditions = set_condition(conditions, "Accepted", "True", "Accepted", "The Gateway has been scheduled by Envoy Gateway", extra)
        if not addresses:
            conditions = set_condition(conditions, "Programmed", "False", "AddressNotAssigned", "No addresses have been assigned to the Gateway", extra)
        elif ready < 1:
            conditions = set_condition(conditions, "Programmed", "False", "NoResources", f"Envoy replicas unavailable, {ready}/{desired} available", extra)
        else:
            conditions = set_condition(conditions, "Programmed", "True", "Programmed",
                                       f"Address assigned to the Gateway, {ready}/{desired} envoy replicas available", extra)
        status["conditions"] = conditions
        if addresses:
            status["addresses"] = addresses
        else:
            status.pop("addresses", None)
        status["listeners"] = listener_statuses
        self.write_status(gateway_rt, gateway, status)

    def _listener_status(self, gateway: dict[str, Any], listener: dict[str, Any], routes: list[tuple[Any, dict[str, Any]]]) -> dict[str, Any]:
        gateway_namespace = gateway["metadata"]["namespace"]
        generation = gateway["metadata"].get("generation", 1)
        extra = {"observedGeneration": generation}
        previous = next((entry for entry in (gateway.get("status") or {}).get("listeners") or [] if entry.get("name") == listener.get("name")), {})
        conditions = previous.get("conditions") or []

        problem = None
        if listener.get("protocol") in ("HTTPS", "TLS") and ((listener.get("tls") or {}).get("mode", "Terminate") == "Terminate"):
            refs = (listener.get("tls") or {}).get("certificateRefs") or []
            if not refs:
                problem = "Listener must have at least 1 TLS certificate ref"
            for ref in refs:
                if ref.get("kind", "Secret") != "Secret" or ref.get("group", "") not in ("", "core"):
                    problem = f"Unsupported certificate reference kind {ref.get('kind')}; use a Secret."
                    break
                ref_namespace = ref.get("namespace") or gateway_namespace
                secret = self.api.find(self.resource("", "Secret"), ref_namespace, ref.get("name", ""))
                problem = certificate_problem(secret, ref_namespace, ref.get("name", ""))
                if problem:
                    break
        if problem:
            conditions = set_condition(conditions, "Programmed", "False", "Invalid", "Listener is invalid, see other Conditions for details.", extra)
            conditions = set_condition(conditions, "Accepted", "True", "Accepted", "Listener has been successfully translated", extra)
            conditions = set_condition(conditions, "ResolvedRefs", "False", "InvalidCertificateRef", problem, extra)
        else:
            conditions = set_condition(conditions, "Programmed", "True", "Programmed", "Sending translated listener configuration to the data plane", extra)
            conditions = set_condition(conditions, "Accepted", "True", "Accepted", "Listener has been successfully translated", extra)
            conditions = set_condition(conditions, "ResolvedRefs", "True", "ResolvedRefs", "Listener has been successfully translated", extra)

        kinds = ROUTE_KINDS.get(listener.get("protocol", ""), [])
        attached = 0 if problem else sum(1 for route_rt, route in routes if route["kind"] in kinds and self._attaches(route, gateway, listener))
        return {
            "name": listener.get("name", ""),
            "supportedKinds": [{"group": GATEWAY_GROUP, "kind": kind} for kind in kinds],
            "attachedRoutes": attached,
            "conditions": conditions,
        }

    def _attaches(self, route: dict[str, Any], gateway: dict[str, Any], listener: dict[str, Any]) -> bool:
        route_namespace = route["metadata"]["namespace"]
        allowed = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("from", "Same")
        if allowed == "Same" and route_namespace != gateway["metadata"]["namespace"]:
            return False
        for ref in route["spec"].get("parentRefs") or []:
            if ref.get("kind", "Gateway") != "Gateway" or ref.get("group", GATEWAY_GROUP) != GATEWAY_GROUP:
                continue
            if ref.get("name") != gateway["metadata"]["name"] or (ref.get("namespace") or route_namespace) != gateway["metadata"]["namespace"]:
                continue
            if ref.get("sectionName") and ref["sectionName"] != listener.get("name"):
                continue
            if ref.get("port") and ref["port"] != listener.get("port"):
                continue
            return True
        return False

    # Proxy objects

    def _ensure_service_account(self, namespace: str, name: str, labels: dict[str, str]) -> None:
        rt = self.resource("", "ServiceAccount")
        if self.api.find(rt, namespace, name) is None:
            self.api.create(rt, namespace, {"metadata": {"name": name, "namespace": namespace, "labels": labels}})

    def _ensure_deployment(self, namespace: str, name: str, labels: dict[str, str], listeners: list[dict[str, Any]], images: dict[str, str]) -> dict[str, Any]:
        rt = self.resource("apps", "Deployment")
        ports = [
            {
                "name": f"{listener.get('protocol', 'HTTP').lower()}-{listener.get('port')}",
                "containerPort": container_port(int(listener.get("port", 0))),
                "protocol": "TCP",
            }
            for listener in listeners
        ]
        ports.append({"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"})
        containers = [
            {
                "name": "envoy",
                "image": images["envoy"],
                "args": [
                    "--service-cluster", name, "--service-node", "$(ENVOY_POD_NAME)", "--config-yaml", "{}", "--log-level", "warn",
                    "--cpuset-threads", "--drain-strategy", "immediate", "--drain-time-s", "60",
                ],
                "env": [
                    {"name": "ENVOY_GATEWAY_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
                    {"name": "ENVOY_POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                ],
                "ports": ports,
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 19003, "scheme": "HTTP"},
                                   "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 1},
                "startupProbe": {"httpGet": {"path": "/ready", "port": 19003, "scheme": "HTTP"},
                                 "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 30},
                "resources": {"requests": {"cpu": "100m", "memory": "512Mi"}},
            },
            {
                "name": "shutdown-manager",
                "image": images["shutdown-manager"],
                "command": ["envoy-gateway"],
                "args": ["envoy", "shutdown-manager"],
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 19002, "scheme": "HTTP"},
                                   "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
                "startupProbe": {"httpGet": {"path": "/healthz", "port": 19002, "scheme": "HTTP"},
                                 "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 30},
                "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
            },
        ]
        existing = self.api.find(rt, namespace, name)
        if existing is not None:
            current = {container["name"]: container for container in existing["spec"]["template"]["spec"]["containers"]}
            current_ports = (current.get("envoy") or {}).get("ports")
            current_images = {key: (current.get(key) or {}).get("image") for key in images}
            if current_ports == ports and current_images == images:
                return existing
            updated = clone(existing)
            for container in updated["spec"]["template"]["spec"]["containers"]:
                if container["name"] == "envoy":
                    container["ports"] = ports
                if container["name"] in images:
                    container["image"] = images[container["name"]]
            return self.api.update(rt, namespace, name, updated)
        body = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": dict(labels)},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {
                    "metadata": {
                        "labels": dict(labels),
                        "annotations": {"prometheus.io/path": "/stats/prometheus", "prometheus.io/port": str(METRICS_PORT), "prometheus.io/scrape": "true"},
                    },
                    "spec": {
                        "containers": containers,
                        "serviceAccountName": name,
                        "automountServiceAccountToken": False,
                        "terminationGracePeriodSeconds": 360,
                        "securityContext": {"runAsUser": 65532, "runAsGroup": 65532, "runAsNonRoot": True, "fsGroup": 65532},
                    },
                },
            },
        }
        return self.api.create(rt, namespace, body)

    def _ensure_service(self, namespace: str, name: str, labels: dict[str, str], listeners: list[dict[str, Any]]) -> dict[str, Any]:
        rt = self.resource("", "Service")
        ports = [{"name": f"{listener.get('protocol', 'HTTP').lower()}-{listener.get('port')}", "port": int(listener.get("port", 0)), "protocol": "TCP",
                  "targetPort": container_port(int(listener.get("port", 0)))} for listener in listeners]
        existing = self.api.find(rt, namespace, name)
        if existing is not None:
            current = [{key: port.get(key) for key in ("name", "port", "protocol", "targetPort")} for port in existing["spec"].get("ports") or []]
            if current == ports:
                return existing
            updated = clone(existing)
            updated["spec"]["ports"] = ports
            return self.api.update(rt, namespace, name, updated)
        body = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": dict(labels), "ports": ports},
        }
        return self.api.create(rt, namespace, body)

    def _delete_orphaned_proxies(self, namespace: str, live: set[tuple[str, str]]) -> None:
        selector = f"{MANAGED_BY}=envoy-gateway,{OWNING_NAME},{OWNING_NAMESPACE}"
        for group, kind in (("apps", "Deployment"), ("", "Service"), ("", "ServiceAccount")):
            rt = self.resource(group, kind)
            objects, revision = self.api.list(rt, namespace, label_selector=selector)
            for obj in objects:
                labels = obj["metadata"].get("labels") or {}
                if (labels.get(OWNING_NAMESPACE), labels.get(OWNING_NAME)) in live:
                    continue
                try:
                    self.api.delete(rt, namespace, obj["metadata"]["name"], "Background")
                except ApiError as error:
                    if error.code != 404:
                        raise

    # Routes

    def _routes(self) -> list[tuple[Any, dict[str, Any]]]:
        result = []
        for kind in ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"):
            rt = self.api.registry.by_kind(GATEWAY_GROUP, kind)
            if rt is None:
                continue
            routes, revision = self.api.list(rt, None)
            result += [(rt, route) for route in routes if not route["metadata"].get("deletionTimestamp")]
        return result

    def _report_routes(self, routes: list[tuple[Any, dict[str, Any]]], gateways: set[tuple[str, str]]) -> None:
        for rt, route in routes:
            route_namespace = route["metadata"]["namespace"]
            generation = route["metadata"].get("generation", 1)
            status = clone(route.get("status") or {})
            others = [entry for entry in status.get("parents") or [] if entry.get("controllerName") != CONTROLLER_NAME]
            ours = []
            for ref in route["spec"].get("parentRefs") or []:
                if ref.get("kind", "Gateway") != "Gateway" or (ref.get("namespace") or route_namespace, ref.get("name")) not in gateways:
                    continue
                previous = next(
                    (entry for entry in status.get("parents") or [] if entry.get("parentRef") == ref and entry.get("controllerName") == CONTROLLER_NAME),
                    {},
                )
                conditions = previous.get("conditions") or []
                extra = {"observedGeneration": generation}
                conditions = set_condition(conditions, "Accepted", "True", "Accepted", "Route is accepted", extra)
                conditions = set_condition(conditions, "ResolvedRefs", "True", "ResolvedRefs", "Resolved all the Object references for the Route", extra)
                ours.append({"parentRef": ref, "controllerName": CONTROLLER_NAME, "conditions": conditions})
            if not ours and not (status.get("parents") or []):
                continue
            status["parents"] = others + ours
            self.write_status(rt, route, status)
