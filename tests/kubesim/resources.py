"""The resource types the API serves: built-in kinds and those added by CRDs."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
STATUS_VERBS = ["get", "patch", "update"]
BASE_FIELDS = {"metadata.name", "metadata.namespace"}


@dataclass
class ResourceType:
    """One REST resource in one group/version, with what discovery reports about it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    verbs: list[str] = field(default_factory=lambda: list(ALL_VERBS))
    subresources: list[str] = field(default_factory=list)
    # Fields a fieldSelector may name, besides metadata.name and metadata.namespace.
    selectable_fields: set[str] = field(default_factory=set)
    # Whether the kind tracks metadata.generation (bumped on spec changes).
    has_generation: bool = False
    # Whether DELETE returns the object (True) or a Status (False).
    delete_returns_object: bool = False
    # For custom resources: the CRD's openAPIV3Schema for this version.
    crd_schema: dict[str, Any] | None = None
    # For custom resources: the CRD's additionalPrinterColumns for this version.
    printer_columns: list[dict[str, Any]] = field(default_factory=list)
    storage_version: str = ""

    @property
    def is_custom(self) -> bool:
        return self.crd_schema is not None or self.group not in BUILTIN_GROUPS

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str]:
        """Storage key: objects are shared by all versions of a group and resource."""
        return (self.group, self.plural)

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def discovery(self) -> list[dict[str, Any]]:
        """Build the APIResource entries for discovery, the subresources included."""
        entry: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": self.verbs,
        }
        if self.short_names:
            entry["shortNames"] = self.short_names
        if self.categories:
            entry["categories"] = self.categories
        entries = [entry]
        for subresource in self.subresources:
            sub_kind = "Scale" if subresource == "scale" else self.kind
            sub_entry: dict[str, Any] = {
                "name": f"{self.plural}/{subresource}",
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": sub_kind,
                "verbs": STATUS_VERBS,
            }
            if subresource == "scale":
                sub_entry["group"] = "autoscaling"
                sub_entry["version"] = "v1"
            entries.append(sub_entry)
        return entries


BUILTIN_GROUPS = {"", "apps", "batch", "discovery.k8s.io", "rbac.authorization.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io",
                  "authorization.k8s.io", "authentication.k8s.io"}


def builtin_types() -> list[ResourceType]:
    """Return the built-in resource types kubesim serves."""
    return [
        ResourceType("", "v1", "namespaces", "Namespace", False, ["ns"], verbs=[v for v in ALL_VERBS if v != "deletecollection"],
                     subresources=["status", "finalize"], selectable_fields={"status.phase"}, delete_returns_object=True),
        ResourceType("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"]),
        ResourceType("", "v1", "configmaps", "ConfigMap", True, ["cm"]),
        ResourceType("", "v1", "secrets", "Secret", True, selectable_fields={"type"}),
        ResourceType("", "v1", "services", "Service", True, ["svc"], ["all"], subresources=["status"], selectable_fields={"spec.clusterIP", "spec.type"}),
        ResourceType("", "v1", "endpoints", "Endpoints", True, ["ep"]),
        ResourceType("", "v1", "pods", "Pod", True, ["po"], ["all"], subresources=["status", "log"],
                     selectable_fields={"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                                        "status.phase", "status.podIP", "status.nominatedNodeName"},
                     delete_returns_object=True),
        ResourceType("", "v1", "nodes", "Node", False, ["no"], subresources=["status"], selectable_fields={"spec.unschedulable"}),
        ResourceType("", "v1", "events", "Event", True, ["ev"],
                     selectable_fields={"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                                        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                                        "reason", "reportingComponent", "source", "type"}),
        ResourceType("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True,
                     selectable_fields={"addressType"}),
        ResourceType("apps", "v1", "deployments", "Deployment", True, ["deploy"], ["all"], subresources=["status", "scale"], has_generation=True),
        ResourceType("apps", "v1", "replicasets", "ReplicaSet", True, ["rs"], ["all"], subresources=["status", "scale"], has_generation=True,
                     selectable_fields={"status.replicas"}),
        ResourceType("batch", "v1", "jobs", "Job", True, [], ["all"], subresources=["status"], has_generation=True,
                     selectable_fields={"status.successful"}),
        ResourceType("batch", "v1", "cronjobs", "CronJob", True, ["cj"], ["all"], subresources=["status"], has_generation=True),
        ResourceType("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
        ResourceType("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
        ResourceType("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
        ResourceType("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
        # NOTE: admission policies are stored and served but not enforced.
        ResourceType("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", False,
                     subresources=["status"], has_generation=True),
        ResourceType("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False, [],
                     ["api-extensions"], has_generation=True),
        ResourceType("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", False, [],
                     ["api-extensions"], has_generation=True),
        ResourceType("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", False,
                     has_generation=True),
        ResourceType("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False, verbs=["create"]),
        ResourceType("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", False, verbs=["create"]),
        ResourceType("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", False, verbs=["create"]),
        ResourceType("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False, ["crd", "crds"],
                     ["api-extensions"], subresources=["status"], has_generation=True),
    ]


def crd_types(crd: dict[str, Any]) -> list[ResourceType]:
    """Return the resource types a CustomResourceDefinition serves, one per served version."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    storage = next((v["name"] for v in spec.get("versions", []) if v.get("storage")), "")
    result = []
    for version in spec.get("versions", []):
        if not version.get("served", True):
            continue
        subresources = []
        if "status" in (version.get("subresources") or {}):
            subresources.append("status")
        if "scale" in (version.get("subresources") or {}):
            subresources.append("scale")
        schema = (version.get("schema") or {}).get("openAPIV3Schema") or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        result.append(ResourceType(
            group=spec.get("group", ""),
            version=version["name"],
            plural=names.get("plural", ""),
            kind=names.get("kind", ""),
            namespaced=spec.get("scope") == "Namespaced",
            short_names=list(names.get("shortNames") or []),
            categories=list(names.get("categories") or []),
            subresources=subresources,
            selectable_fields={entry["jsonPath"].lstrip(".") for entry in version.get("selectableFields") or []},
            has_generation=True,
            delete_returns_object=True,
            crd_schema=schema,
            printer_columns=list(version.get("additionalPrinterColumns") or []),
            storage_version=storage,
        ))
    return result


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key for Kubernetes versions: GA before beta before alpha, higher numbers first."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    stage_rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (stage_rank, -int(major), -int(minor or 0), version)


class Registry:
    """The set of served resource types; CRDs add and remove theirs at run time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._types: list[ResourceType] = builtin_types()
        self._crd_types: dict[str, list[ResourceType]] = {}

    def all(self) -> list[ResourceType]:
        with self._lock:
            return list(self._types) + [rt for types in self._crd_types.values() for rt in types]

    def set_crd(self, crd_name: str, types: list[ResourceType]) -> None:
        with self._lock:
            self._crd_types[crd_name] = types

    def remove_crd(self, crd_name: str) -> None:
        with self._lock:
            self._crd_types.pop(crd_name, None)

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        for rt in self.all():
            if rt.group == group and rt.version == version and rt.plural == plural:
                return rt
        return None

    def by_kind(self, group: str, kind: str) -> ResourceType | None:
        """Return the preferred (storage, else first) type of a kind in a group."""
        candidates = [rt for rt in self.all() if rt.group == group and rt.kind == kind]
        for rt in candidates:
            if not rt.storage_version or rt.version == rt.storage_version:
                return rt
        return candidates[0] if candidates else None

    def by_key(self, key: tuple[str, str]) -> ResourceType | None:
        candidates = [rt for rt in self.all() if rt.key == key]
        for rt in candidates:
            if not rt.storage_version or rt.version == rt.storage_version:
                return rt
        return candidates[0] if candidates else None

    def groups(self) -> dict[str, list[str]]:
        """Map each group to its versions, highest version priority (the preferred one) first."""
        result: dict[str, list[str]] = {}
        for rt in self.all():
            versions = result.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        for versions in result.values():
            versions.sort(key=version_priority)
        return result

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self.all() if rt.group == group and rt.version == version]
