"""Namespace lifecycle: default ServiceAccount, kube-root-ca.crt, and deleting a namespace's contents."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from .base import Controller

ROOT_CA_CONFIG_MAP = "kube-root-ca.crt"


class NamespaceController(Controller):
    """Populate new namespaces and empty terminating ones before removing them."""

    def reconcile(self) -> None:
        namespace_rt = self.resource("", "Namespace")
        namespaces, revision = self.api.list(namespace_rt, None)
        for namespace in namespaces:
            if namespace["metadata"].get("deletionTimestamp"):
                self._finalize(namespace)
            else:
                self._populate(namespace["metadata"]["name"])

    def _populate(self, namespace: str) -> None:
        account_rt = self.resource("", "ServiceAccount")
        if self.api.find(account_rt, namespace, "default") is None:
            self._create_quietly(account_rt, namespace, {"metadata": {"name": "default"}})
        config_map_rt = self.resource("", "ConfigMap")
        if self.api.find(config_map_rt, namespace, ROOT_CA_CONFIG_MAP) is None:
            description = (
                "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints"
                " such as the internal service IP or kubernetes.default.svc."
                " No other usage is guaranteed across distributions of Kubernetes clusters."
            )
            body = {"metadata": {"name": ROOT_CA_CONFIG_MAP, "annotations": {"kubernetes.io/description": description}},
                    "data": {"ca.crt": self.cluster.ca_pem.decode()}}
            self._create_quietly(config_map_rt, namespace, body)

    def _create_quietly(self, rt: Any, namespace: str, body: dict[str, Any]) -> None:
        try:
            self.api.create(rt, namespace, body)
        except ApiError as error:
            if error.code not in (403, 404, 409):
                raise

    def _finalize(self, namespace: dict[str, Any]) -> None:
        name = namespace["metadata"]["name"]
        remaining = 0
        for rt in self.api.registry.all():
            if not rt.namespaced or (rt.storage_version and rt.version != rt.storage_version):
                continue
            objects, revision = self.api.store.list(rt.key, name)
            for obj in objects:
                remaining += 1
                if not obj["metadata"].get("deletionTimestamp"):
                    try:
                        self.api.delete(rt, name, obj["metadata"]["name"], "Background")
                    except ApiError as error:
                        if error.code != 404:
                            raise
        if remaining == 0:
            self.api.remove(self.resource("", "Namespace"), "", name)
