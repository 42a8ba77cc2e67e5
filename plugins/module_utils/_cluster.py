# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Access to the cluster through kubernetes.core's client wrapper."""

from __future__ import annotations

from typing import Any

from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem

try:
    from kubernetes.config import ConfigException
    from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError
    from urllib3.exceptions import HTTPError as Urllib3HTTPError

    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import (
        get_api_client,
    )
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import (
        CoreException,
    )

    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError as error:
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = error

    # Stand-ins keep the except clauses here and in the other module_utils
    # valid; the modules report the missing library through missing_required_lib.
    class ConfigException(Exception):  # type: ignore[no-redef]
        """Stands in for the kubernetes client's configuration error."""

    class CoreException(Exception):  # type: ignore[no-redef]
        """Stands in for kubernetes.core's client error."""

    class DynamicApiError(Exception):  # type: ignore[no-redef]
        """Stands in for the kubernetes client's API error."""

    class NotFoundError(DynamicApiError):  # type: ignore[no-redef]
        """Stands in for the kubernetes client's 404 error."""

    class Urllib3HTTPError(Exception):  # type: ignore[no-redef]
        """Stands in for urllib3's error."""


class ClusterError(Exception):
    """A request to the cluster failed. The exception carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _describe_target(params: dict[str, Any]) -> str:
    if params.get("host"):
        return f"the API server {params['host']}"
    if isinstance(params.get("kubeconfig"), str):
        # kubernetes.core declares kubeconfig no_log, so Ansible masks its value
        # as ******** in every message; name the option instead of the path.
        context = params.get("context")
        where = f" (context {context})" if context else ""
        return f"the cluster of the file given in kubeconfig{where}"
    return "the cluster of the default kubeconfig"


def _unreachable(params: dict[str, Any], reason: str) -> ClusterError:
    return ClusterError(
        Problem(
            "cluster_unreachable",
            f"Cannot reach {_describe_target(params)}: {reason}. "
            "Check that the API server is up and that kubeconfig, context, host "
            "and credentials point at it.",
        )
    )


def connect(module: Any) -> Any:
    """Return a kubernetes.core K8SClient for the module's connection options.

    The client fetches the API server's version and discovery documents on
    creation, so an unreachable server or rejected credentials surface here
    as a cluster_unreachable problem.
    """
    params = module.params
    try:
        client = get_api_client(module=module)
    except (ConfigException, CoreException, OSError) as error:
        raise _unreachable(params, f"the connection settings are not usable ({error})") from None
    except Urllib3HTTPError as error:
        raise _unreachable(params, f"the connection failed ({type(error).__name__})") from None
    except DynamicApiError as error:
        raise _unreachable(params, f"the API server responded with {error.status} {error.reason}") from None

    retry_when_throttled(client)
    return client


# Statuses an API server sends before it processes a request: 429 when
# priority and fairness reject it, 503 when it is starting or overloaded.
# Both are safe to repeat for every verb, unlike 500, after which a write
# may have happened.
RETRY_STATUSES = (429, 503)
RETRY_TOTAL = 5
RETRY_BACKOFF_SECONDS = 0.5


def retry_when_throttled(client: Any) -> None:
    """Make the client repeat requests that get 429 or 503, honouring Retry-After."""
    from urllib3.util.retry import Retry

    pool_manager = client.client.client.rest_client.pool_manager
    pool_manager.connection_pool_kw["retries"] = Retry(
        total=RETRY_TOTAL,
        connect=0,
        read=0,
        status=RETRY_TOTAL,
        backoff_factor=RETRY_BACKOFF_SECONDS,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    # Pools made before this point, by discovery, keep their old settings.
    pool_manager.clear()


def get_object(client: Any, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict | None:
    """Fetch one object as a dict, or None when it does not exist."""
    resource = resource_for(client, api_version, kind)
    try:
        return client.get(resource, name=name, namespace=namespace).to_dict()
    except NotFoundError:
        return None
    except DynamicApiError as error:
        raise api_error("read", kind, name, namespace, error) from None
    except Urllib3HTTPError as error:
        raise request_failed("read", kind, name, namespace, error) from None


def list_objects(client: Any, api_version: str, kind: str, namespace: str | None = None, label_selector: str | None = None) -> list[dict]:
    """List objects of a kind, optionally by namespace and label selector."""
    resource = resource_for(client, api_version, kind)
    try:
        result = client.get(resource, namespace=namespace, label_selector=label_selector)
    except DynamicApiError as error:
        raise api_error("list", kind, "", namespace, error) from None
    except Urllib3HTTPError as error:
        raise request_failed("list", kind, "", namespace, error) from None
    return [item.to_dict() for item in result.items]


def resource_for(client: Any, api_version: str, kind: str) -> Any:
    """Look up the API resource of a kind, failing clearly when it is not served."""
    try:
        return client.resource(kind, api_version)
    except Exception as error:  # ResourceNotFoundError and discovery failures
        raise ClusterError(
            Problem(
                "resource_not_served",
                f"The cluster does not serve {kind} in {api_version} ({type(error).__name__}). "
                "Install the Gateway API CRDs (the role genai_endpoint does so "
                "from genai_endpoint_crd_sources) and run again.",
            )
        ) from None


def object_ref(kind: str, name: str, namespace: str | None) -> str:
    """Format kind/namespace/name the way kubectl does in messages."""
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def api_error(verb: str, kind: str, name: str, namespace: str | None, error: Any) -> ClusterError:
    """Turn an API error response into a problem that names the object."""
    message = _status_message(error)
    return ClusterError(
        Problem(
            "cluster_request_failed",
            f"Failed to {verb} {object_ref(kind, name, namespace)}: the API server responded with "
            f"{error.status} {error.reason}: {message}",
        )
    )


def request_failed(verb: str, kind: str, name: str, namespace: str | None, error: Exception) -> ClusterError:
    """Turn a connection failure during a request into a cluster_unreachable problem."""
    return ClusterError(
        Problem(
            "cluster_unreachable",
            f"Failed to {verb} {object_ref(kind, name, namespace)}: the connection failed "
            f"({type(error).__name__}). Check that the API server is up, then run again.",
        )
    )


def _status_message(error: Any) -> str:
    summary = getattr(error, "summary", None)
    if callable(summary):
        try:
            return summary()
        except Exception:  # summary() parses the body and may fail on non-JSON bodies
            pass
    return str(getattr(error, "body", "") or "")[:500]
