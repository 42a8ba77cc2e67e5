"""A simulated cluster: store, API, built-in namespaces and the controllers, without the HTTP front end."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .api import Api
from .errors import ApiError
from .faults import FaultInjector
from .resources import Registry, crd_types
from .store import Store
from .controllers.ai_gateway import inject_extproc
from .controllers.base import Controller
from .controllers.deployment import DeploymentController
from .controllers.endpoints import EndpointsController
from .controllers.envoy_gateway import EnvoyGatewayController
from .controllers.garbage_collector import GarbageCollector
from .controllers.job import JobController
from .controllers.kubelet import Kubelet
from .controllers.namespaces import NamespaceController
from .controllers.nodes import NodeController
from .controllers.replicaset import ReplicaSetController
from .controllers.scheduler import Scheduler
from .controllers.service_load_balancer import ServiceLoadBalancer, allocate_service_addresses

log = logging.getLogger("kubesim.cluster")

# libyaml parses the upstream CRD bundles about ten times faster than pure Python.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
CONTROLLERS = (
    NodeController,
    NamespaceController,
    Scheduler,
    Kubelet,
    ReplicaSetController,
    DeploymentController,
    JobController,
    GarbageCollector,
    ServiceLoadBalancer,
    EndpointsController,
    EnvoyGatewayController,
)


@dataclass
class ClusterOptions:
    """Simulation settings from the command line."""

    pod_start_seconds: float = 2.0
    gpu_nodes: int = 2
    crds: list[Path] = field(default_factory=list)


def crd_documents(path: Path) -> list[dict[str, Any]]:
    """Read the CustomResourceDefinitions from a YAML file or a directory of them."""
    files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    documents = []
    for file in files:
        with file.open(encoding="utf-8") as stream:
            documents += [doc for doc in yaml.load_all(stream, Loader=YAML_LOADER) if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"]
    return documents


class Cluster:
    """Everything but the HTTP server; the controllers start with start()."""

    def __init__(self, options: ClusterOptions, ca_pem: bytes, faults: FaultInjector | None = None) -> None:
        self.options = options
        self.ca_pem = ca_pem
        self.faults = faults or FaultInjector()
        self.stopping = threading.Event()
        self.store = Store()
        self.registry = Registry()
        self.api = Api(self.store, self.registry)
        self.api.admission += [allocate_service_addresses, inject_extproc]
        self.controllers: list[Controller] = []

    def bootstrap(self) -> None:
        """Create the system namespaces and install the CRDs given at start-up."""
        namespace_rt = self.registry.by_kind("", "Namespace")
        assert namespace_rt is not None
        for name in SYSTEM_NAMESPACES:
            if self.api.find(namespace_rt, "", name) is None:
                self.api.create(namespace_rt, "", {"metadata": {"name": name}})
        crd_rt = self.registry.by_kind("apiextensions.k8s.io", "CustomResourceDefinition")
        assert crd_rt is not None
        for path in self.options.crds:
            for document in crd_documents(path):
                name = document["metadata"]["name"]
                try:
                    self.api.create(crd_rt, "", document)
                    log.info("installed CRD %s from %s", name, path)
                except ApiError as error:
                    if error.code != 409:
                        raise
                    log.info("CRD %s is already installed", name)

    def register_stored_crds(self) -> None:
        """Serve the resource types of CRDs restored from a state file."""
        crd_rt = self.registry.by_kind("apiextensions.k8s.io", "CustomResourceDefinition")
        assert crd_rt is not None
        crds, revision = self.api.list(crd_rt, None)
        for crd in crds:
            self.registry.set_crd(crd["metadata"]["name"], crd_types(crd))

    def start(self) -> None:
        for controller_class in CONTROLLERS:
            controller = controller_class(self)
            controller.start()
            self.controllers.append(controller)

    def stop(self) -> None:
        self.stopping.set()
        for controller in self.controllers:
            controller.wake()
        for controller in self.controllers:
            controller.join(timeout=5)
