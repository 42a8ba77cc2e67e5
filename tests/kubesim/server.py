"""The HTTPS front end: routing, authentication and encoding of API requests."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from . import discovery, openapi, protobuf, reviews, tables, watch
from . import patch as patches
from .api import Api, WriteOptions
from .authorization import Authorizer
from .errors import ApiError
from .faults import FaultInjector
from .resources import ResourceType
from .selectors import selector_to_string

log = logging.getLogger("kubesim.server")

PUBLIC_PATHS = {"/version", "/healthz", "/livez", "/readyz"}
DRY_RUN_VALUES = {"All"}
FIELD_VALIDATION_VALUES = {"Strict", "Warn", "Ignore"}


class KubesimServer(ThreadingHTTPServer):
    """A threaded HTTPS server; TLS handshakes run in the per-connection thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        api: Api,
        token: str,
        context: ssl.SSLContext,
        faults: FaultInjector,
        authorizer: Authorizer | None = None,
    ) -> None:
        super().__init__(address, RequestHandler)
        self.api = api
        self.token = token
        self.ssl_context = context
        self.faults = faults
        self.authorizer = authorizer or Authorizer()
        self.stopping = threading.Event()

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(30)
            tls_socket = self.ssl_context.wrap_socket(request, server_side=True)
            tls_socket.settimeout(None)
        except (ssl.SSLError, OSError) as error:
            log.debug("TLS handshake with %s failed: %s", client_address, error)
            return
        try:
            super().finish_request(tls_socket, client_address)
        finally:
            try:
                tls_socket.close()
            except OSError:
                pass

    @property
    def server_address_text(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"


class Route:
    """A parsed resource request path."""

    def __init__(self, rt: ResourceType, namespace: str, name: str, subresource: str, legacy_watch: bool) -> None:
        self.rt = rt
        self.namespace = namespace
        self.name = name
        self.subresource = subresource
        self.legacy_watch = legacy_watch


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: KubesimServer
    server_version = "kubesim"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from the base class
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # Dispatch

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        self.warnings: list[str] = []
        self.context = ""
        self.current_rt: ResourceType | None = None
        body = self._read_body()
        try:
            if url.path not in PUBLIC_PATHS and not self._authorized():
                raise ApiError(401, "Unauthorized")
            if url.path.startswith("/kubesim/"):
                self._send_json(200, self.server.faults.control(method, url.path, self._parse_body(body)))
                return
            if self.server.faults.intercept(self, method, url.path):
                return
            self._route(method, url.path.rstrip("/") or "/", body)
        except ApiError as error:
            self._send_error(error)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as error:  # every request gets a Status response, as from kube-apiserver
            log.exception("internal error on %s %s", method, url.path)
            self._send_error(ApiError(500, f"internal error: {error.__class__.__name__}: {error}"))

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        return header == f"Bearer {self.server.token}"

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _parse_body(self, body: bytes) -> Any:
        if not body:
            return None
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if content_type == "application/vnd.kubernetes.protobuf":
            return protobuf.decode(body)
        try:
            if "yaml" in content_type:
                return yaml.safe_load(body)
            return json.loads(body)
        except yaml.YAMLError as error:
            # Only the position: the YAML error text quotes the body, which may hold Secret data.
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise ApiError(400, f"the request body is not valid YAML{where}: {getattr(error, 'problem', None) or 'syntax error'}") from error
        except ValueError as error:
            raise ApiError(400, f"the request body is not valid JSON: {error}") from error

    def _route(self, method: str, path: str, body: bytes) -> None:
        api = self.server.api
        registry = api.registry
        if path == "/version":
            self._send_json(200, discovery.version())
            return
        if path in ("/healthz", "/livez", "/readyz"):
            self._send_text(200, "ok")
            return
        if path == "/api":
            self._send_json(200, discovery.core_versions(self.server.server_address_text))
            return
        if path == "/apis":
            self._send_json(200, discovery.group_list(registry))
            return
        if path.startswith("/openapi/"):
            self._send_openapi(path)
            return

        parts = [part for part in path.split("/") if part]
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 2:
            if len(parts) == 2:
                document = discovery.group(registry, parts[1])
                self._send_found(document)
                return
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "the server could not find the requested resource")

        if not rest:
            self._send_found(discovery.resource_list(registry, group, version))
            return
        route = self._parse_route(group, version, rest)
        self._handle_resource(method, route, body)

    def _parse_route(self, group: str, version: str, rest: list[str]) -> Route:
        registry = self.server.api.registry
        legacy_watch = False
        if rest[0] == "watch":
            legacy_watch, rest = True, rest[1:]
        if len(rest) >= 3 and rest[0] == "namespaces":
            rt = registry.lookup(group, version, rest[2])
            if rt is not None and rt.namespaced and len(rest) <= 5:
                return Route(rt, rest[1], rest[3] if len(rest) > 3 else "", rest[4] if len(rest) > 4 else "", legacy_watch)
        if rest and len(rest) <= 3:
            rt = registry.lookup(group, version, rest[0])
            if rt is not None:
                return Route(rt, "", rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else "", legacy_watch)
        raise ApiError(404, "the server could not find the requested resource")

    # Resources

    def _handle_resource(self, method: str, route: Route, body: bytes) -> None:
        rt, name = route.rt, route.name
        self.current_rt = rt
        if rt.kind == "Endpoints" and rt.group == "":
            self.warnings.append("v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice")
        self.context = f"{rt.kind} {route.namespace + '/' if route.namespace else ''}{name}".strip()
        if rt.namespaced and not route.namespace and (name or method not in ("GET",)):
            raise ApiError(404, "the server could not find the requested resource")
        if route.subresource and (route.subresource not in rt.subresources or not name):
            raise ApiError(404, "the server could not find the requested resource")
        self._authorize(method, route)

        if rt.kind in reviews.REVIEW_KINDS:
            if method != "POST" or name:
                raise ApiError(405, f"{rt.plural} only supports create (POST to the collection)", reason="MethodNotAllowed")
            self._send_json(201, reviews.review(rt, self._parse_body(body), self.server.authorizer))
            return
        if not name:
            self._handle_collection(method, route, body)
            return
        if route.subresource == "log":
            self._send_pod_log(route)
            return
        if route.subresource == "scale":
            self._handle_scale(method, route, body)
            return
        if route.subresource == "finalize":
            raise ApiError(405, "kubesim finalizes namespaces itself; delete the namespace instead", reason="MethodNotAllowed")

        api = self.server.api
        if method == "GET":
            self._send_object(200, api.get(rt, route.namespace, name))
        elif method == "PUT":
            options = self._write_options()
            obj = api.update(rt, route.namespace, name, self._parse_body(body), options, route.subresource)
            self._send_object(200, obj, options)
        elif method == "PATCH":
            options = self._write_options()
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            existed = api.find(rt, route.namespace, name) is not None
            obj = api.patch(rt, route.namespace, name, self._parse_body(body), content_type, options, route.subresource)
            self._send_object(200 if existed else 201, obj, options)
        elif method == "DELETE":
            self._handle_delete(route, body)
        else:
            raise ApiError(405, f"{method} is not supported on a single {rt.kind}; use GET, PUT, PATCH or DELETE", reason="MethodNotAllowed")

    def _authorize(self, method: str, route: Route) -> None:
        """Check the request verb as kube-apiserver derives it from the method and path."""
        if route.name:
            verb = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())
        elif route.legacy_watch or (method == "GET" and self.query.get("watch") in ("true", "1")):
            verb = "watch"
        else:
            verb = {"GET": "list", "POST": "create", "DELETE": "deletecollection"}.get(method, method.lower())
        # For /api/v1/namespaces/NAME the API server takes the namespace from the name.
        namespace = route.name if route.rt.kind == "Namespace" and route.rt.group == "" else route.namespace
        self.server.authorizer.check(verb, route.rt.plural, route.rt.group, namespace, route.name, route.subresource)

    def _handle_collection(self, method: str, route: Route, body: bytes) -> None:
        api = self.server.api
        rt = route.rt
        namespace = route.namespace or None
        if method == "GET":
            if route.legacy_watch or self.query.get("watch") in ("true", "1"):
                watch.serve(self, api, rt, namespace, self.query, as_table=self._wants_table())
                return
            items, revision = api.list(rt, namespace, self.query.get("labelSelector", ""), self.query.get("fieldSelector", ""))
            self._send_list(rt, items, revision)
        elif method == "POST":
            options = self._write_options()
            document = self._parse_body(body)
            metadata = (document.get("metadata") or {}) if isinstance(document, dict) else {}
            name = metadata.get("name") or metadata.get("generateName", "")
            self.context = f"{rt.kind} {route.namespace + '/' if route.namespace else ''}{name}"
            obj = api.create(rt, route.namespace, document, options)
            self._send_object(201, obj, options)
        elif method == "DELETE":
            dry_run = self._dry_run()
            options_body = self._parse_body(body) or {}
            items, revision = api.list(rt, namespace, self.query.get("labelSelector", ""), self.query.get("fieldSelector", ""))
            propagation = self.query.get("propagationPolicy") or options_body.get("propagationPolicy") or ""
            deleted = []
            for item in items:
                try:
                    obj, already_gone = api.delete(rt, item["metadata"].get("namespace", ""), item["metadata"]["name"], propagation, dry_run)
                    deleted.append(obj)
                except ApiError as error:
                    if error.code != 404:
                        raise
            self._send_list(rt, deleted, revision)
        else:
            raise ApiError(405, f"{method} is not supported on the {rt.plural} collection; use GET, POST or DELETE", reason="MethodNotAllowed")

    def _handle_delete(self, route: Route, body: bytes) -> None:
        api = self.server.api
        options_body = self._parse_body(body) or {}
        if not isinstance(options_body, dict):
            raise ApiError(400, "the DELETE body must be a DeleteOptions object")
        propagation = self.query.get("propagationPolicy") or options_body.get("propagationPolicy") or ""
        if propagation and propagation not in ("Orphan", "Background", "Foreground"):
            raise ApiError(400, f'propagationPolicy "{propagation}" is invalid; use Orphan, Background or Foreground')
        dry_run = self._dry_run() or "All" in (options_body.get("dryRun") or [])
        grace = self.query.get("gracePeriodSeconds", options_body.get("gracePeriodSeconds"))
        try:
            grace_seconds = int(grace) if grace is not None else None
        except (TypeError, ValueError) as error:
            raise ApiError(400, f'gracePeriodSeconds "{grace}" is not an integer') from error
        obj, deleted = api.delete(route.rt, route.namespace, route.name, propagation, dry_run, options_body.get("preconditions"), grace_seconds)
        if not deleted:
            # kube-apiserver returns 202 only for the legacy orphanDependents=false option.
            self._send_object(202 if options_body.get("orphanDependents") is False else 200, obj)
        elif route.rt.delete_returns_object:
            self._send_object(200, obj)
        else:
            self._send_json(200, api.deleted_status(route.rt, obj))

    def _handle_scale(self, method: str, route: Route, body: bytes) -> None:
        api = self.server.api
        obj = api.get(route.rt, route.namespace, route.name)
        if method in ("PUT", "PATCH"):
            request = self._parse_body(body) or {}
            if method == "PATCH" and "json-patch" in (self.headers.get("Content-Type") or ""):
                scale = patches.json_patch(_scale_of(obj), request)
            elif method == "PATCH":
                scale = patches.merge_patch(_scale_of(obj), request)
            else:
                scale = request
            replicas = (scale.get("spec") or {}).get("replicas")
            options = self._write_options()
            obj = api.patch(route.rt, route.namespace, route.name, {"spec": {"replicas": replicas}}, "application/merge-patch+json", options)
        elif method != "GET":
            raise ApiError(405, f"{method} is not supported on the scale subresource; use GET, PUT or PATCH", reason="MethodNotAllowed")
        self._send_json(200, _scale_of(obj))

    def _send_pod_log(self, route: Route) -> None:
        pod = self.server.api.get(route.rt, route.namespace, route.name)
        containers = [container["name"] for container in pod["spec"].get("containers", [])]
        container = self.query.get("container") or (containers[0] if len(containers) == 1 else "")
        if not container:
            raise ApiError(400, f"a container name must be specified for pod {route.name}, choose one of: [{' '.join(containers)}]")
        if container not in containers:
            raise ApiError(400, f"container {container} is not valid for pod {route.name}")
        phase = (pod.get("status") or {}).get("phase")
        if phase != "Running":
            raise ApiError(400, f'container "{container}" in pod "{route.name}" is waiting to start: ContainerCreating')
        self._send_text(200, f"kubesim: container {container} of pod {route.namespace}/{route.name} is running\n")

    # Options

    def _dry_run(self) -> bool:
        value = self.query.get("dryRun")
        if value is None or value == "":
            return False
        if value not in DRY_RUN_VALUES:
            raise ApiError(400, f'dryRun value "{value}" is not supported; use dryRun=All')
        return True

    def _write_options(self) -> WriteOptions:
        validation = self.query.get("fieldValidation") or "Warn"
        if validation not in FIELD_VALIDATION_VALUES:
            raise ApiError(400, f'fieldValidation value "{validation}" is invalid; use Strict, Warn or Ignore')
        field_manager = self.query.get("fieldManager", "")
        if len(field_manager) > 128:
            raise ApiError(400, f"fieldManager is {len(field_manager)} characters long; use at most 128")
        # Without fieldManager the API server names the manager after the User-Agent, up to the first "/".
        user_agent = (self.headers.get("User-Agent") or "unknown").split("/")[0][:128]
        return WriteOptions(
            dry_run=self._dry_run(),
            field_validation=validation,
            field_manager=field_manager,
            default_manager=user_agent,
            force=self.query.get("force") in ("true", "1"),
        )

    # Responses

    def _send_found(self, document: dict[str, Any] | None) -> None:
        if document is None:
            raise ApiError(404, "the server could not find the requested resource")
        self._send_json(200, document)

    def _wants_table(self) -> bool:
        return "as=Table" in (self.headers.get("Accept") or "")

    def _send_object(self, code: int, obj: dict[str, Any], options: WriteOptions | None = None) -> None:
        if options is not None:
            self.warnings += options.warnings
        if self._wants_table() and self.command == "GET" and self.current_rt is not None:
            self._send_json(code, tables.table(self.current_rt, [obj], obj["metadata"].get("resourceVersion", "")))
            return
        self._send_json(code, obj)

    def _send_list(self, rt: ResourceType, items: list[dict[str, Any]], revision: int) -> None:
        items, continue_token, remaining = tables.paginate(items, self.query, revision)
        if self._wants_table():
            self._send_json(200, tables.table(rt, items, str(revision), continue_token))
            return
        if not rt.is_custom:
            for item in items:
                item.pop("apiVersion", None)
                item.pop("kind", None)
        metadata: dict[str, Any] = {"resourceVersion": str(revision)}
        if continue_token:
            metadata["continue"] = continue_token
            metadata["remainingItemCount"] = remaining
        self._send_json(200, {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": metadata, "items": items})

    def _send_openapi(self, path: str) -> None:
        document = openapi.document(self.server.api.registry, path)
        if document is None:
            raise ApiError(404, "the server could not find the requested resource")
        self._send_json(200, document)

    def _send_error(self, error: ApiError) -> None:
        log.warning("returned %d %s for %s %s%s: %s", error.code, error.reason, self.command, self.path.split("?")[0],
                    f" ({self.context})" if getattr(self, "context", "") else "", error.message)
        self._send_json(error.code, error.status(), error.headers)

    def _send_json(self, code: int, document: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(document, separators=(",", ":")).encode()
        self._send_bytes(code, payload, "application/json", headers)

    def _send_text(self, code: int, text: str) -> None:
        self._send_bytes(code, text.encode(), "text/plain; charset=utf-8")

    def _send_bytes(self, code: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-cache, private")
            for warning in getattr(self, "warnings", []):
                self.send_header("Warning", '299 - "' + warning.replace('"', '\\"') + '"')
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, ssl.SSLError, OSError):
            self.close_connection = True


def _scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {key: metadata[key] for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if key in metadata},
        "spec": {"replicas": obj["spec"].get("replicas", 0)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": selector_to_string(obj["spec"].get("selector") or {}),
        },
    }
