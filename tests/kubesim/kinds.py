"""Defaulting and validation of built-in kinds beyond their JSON schema.

Only the rules a client is likely to hit are kept: required fields,
selector/template agreement, Secret data, Service ports and the defaults
the API server fills in.
"""

from __future__ import annotations

import base64
from typing import Any

from . import errors
from .errors import FieldError
from .kinds_admission import default_webhook_configuration, validate_webhook_configuration
from .kinds_batch import default_cron_job, default_job_spec, generate_job_selector, validate_cron_job, validate_job_spec, validate_job_update
from .selectors import selector_matches
from .validation import CONFIG_KEY, DNS1123_LABEL, LABEL_MESSAGE

CONFIG_KEY_MESSAGE = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
    "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
TLS_SECRET_TYPE = "kubernetes.io/tls"


def default_object(kind: str, obj: dict[str, Any]) -> None:
    """Fill in the defaults the API server sets for a built-in kind, in place."""
    defaulter = DEFAULTERS.get(kind)
    if defaulter is not None:
        defaulter(obj)


def validate_object(kind: str, obj: dict[str, Any]) -> list[FieldError]:
    """Return the field errors of a built-in object (after defaulting)."""
    validator = VALIDATORS.get(kind)
    return validator(obj) if validator is not None else []


def _default_namespace(obj: dict[str, Any]) -> None:
    metadata = obj["metadata"]
    metadata.setdefault("labels", {})["kubernetes.io/metadata.name"] = metadata["name"]
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")


def _default_secret(obj: dict[str, Any]) -> None:
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
    if not obj.get("type"):
        obj["type"] = "Opaque"


def _validate_secret(obj: dict[str, Any]) -> list[FieldError]:
    problems = []
    data = obj.get("data") or {}
    for key in data:
        if not CONFIG_KEY.match(key):
            problems.append(errors.invalid(f"data[{key}]", key, CONFIG_KEY_MESSAGE))
    if obj.get("type") == TLS_SECRET_TYPE:
        for key in ("tls.crt", "tls.key"):
            if key not in data:
                problems.append(errors.required(f"data[{key}]"))
    return problems


def _validate_config_map(obj: dict[str, Any]) -> list[FieldError]:
    problems = []
    for section in ("data", "binaryData"):
        for key in obj.get(section) or {}:
            if not CONFIG_KEY.match(key):
                problems.append(errors.invalid(f"{section}[{key}]", key, CONFIG_KEY_MESSAGE))
    return problems


def _image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def default_pod_spec(spec: dict[str, Any]) -> None:
    """Apply the PodSpec defaults of the API server, in place."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if not isinstance(container, dict):
            continue
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        if container.get("image"):
            container.setdefault("imagePullPolicy", _image_pull_policy(container["image"]))
        container.setdefault("resources", {})
        for port in container.get("ports") or []:
            port.setdefault("protocol", "TCP")
        for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = container.get(probe_name)
            if isinstance(probe, dict):
                probe.setdefault("timeoutSeconds", 1)
                probe.setdefault("periodSeconds", 10)
                probe.setdefault("successThreshold", 1)
                probe.setdefault("failureThreshold", 3)
                if isinstance(probe.get("httpGet"), dict):
                    probe["httpGet"].setdefault("path", "/")
                    probe["httpGet"].setdefault("scheme", "HTTP")


def _default_pod(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    default_pod_spec(spec)
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    status = obj.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status["qosClass"] = qos_class(spec)


def qos_class(spec: dict[str, Any]) -> str:
    """Classify a pod as the kubelet does: Guaranteed, Burstable or BestEffort, from cpu and memory."""
    containers = [c for c in (spec.get("containers") or []) + (spec.get("initContainers") or []) if isinstance(c, dict)]
    any_set = False
    guaranteed = bool(containers)
    for container in containers:
        resources = container.get("resources") or {}
        limits = {key: value for key, value in (resources.get("limits") or {}).items() if key in ("cpu", "memory")}
        requests = {key: value for key, value in (resources.get("requests") or {}).items() if key in ("cpu", "memory")}
        any_set = any_set or bool(limits or requests)
        # Requests default to limits, so only a differing request or a missing limit breaks Guaranteed.
        if set(limits) != {"cpu", "memory"} or any(requests.get(key, limits[key]) != limits[key] for key in limits):
            guaranteed = False
    if guaranteed:
        return "Guaranteed"
    return "Burstable" if any_set else "BestEffort"


def _validate_containers(spec: dict[str, Any], path: str) -> list[FieldError]:
    problems = []
    containers = spec.get("containers") or []
    if not containers:
        problems.append(errors.required(f"{path}.containers"))
    seen: set[str] = set()
    for index, container in enumerate(containers):
        name = container.get("name")
        field = f"{path}.containers[{index}]"
        if not name:
            problems.append(errors.required(f"{field}.name"))
        elif not DNS1123_LABEL.match(name) or len(name) > 63:
            problems.append(errors.invalid(f"{field}.name", name, LABEL_MESSAGE))
        elif name in seen:
            problems.append(errors.duplicate(f"{field}.name", name))
        seen.add(name or "")
        if not container.get("image"):
            problems.append(errors.required(f"{field}.image"))
        for port_index, port in enumerate(container.get("ports") or []):
            number = port.get("containerPort")
            if not isinstance(number, int) or not 1 <= number <= 65535:
                problems.append(errors.invalid(f"{field}.ports[{port_index}].containerPort", number, "must be between 1 and 65535, inclusive"))
    return problems


def _validate_pod(obj: dict[str, Any]) -> list[FieldError]:
    return _validate_containers(obj.get("spec") or {}, "spec")


def _default_workload(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))


def _default_deployment(obj: dict[str, Any]) -> None:
    _default_workload(obj)
    spec = obj["spec"]
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxSurge", "25%")
        rolling.setdefault("maxUnavailable", "25%")


def _default_replica_set(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))


def _validate_workload(obj: dict[str, Any]) -> list[FieldError]:
    problems = []
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector:
        problems.append(errors.required("spec.selector"))
    elif not selector.get("matchLabels") and not selector.get("matchExpressions"):
        problems.append(errors.invalid("spec.selector", "{}", "empty selector is invalid for deployment"))
    elif not selector_matches(selector, template_labels):
        problems.append(errors.invalid("spec.template.metadata.labels", template_labels, "`selector` does not match template `labels`"))
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        problems.append(errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0"))
    problems += _validate_containers((spec.get("template") or {}).get("spec") or {}, "spec.template.spec")
    return problems


def _default_service(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    if spec["type"] == "ExternalName":
        return
    spec.setdefault("sessionAffinity", "None")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        if "port" in port:
            port.setdefault("targetPort", port["port"])
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def _validate_service(obj: dict[str, Any]) -> list[FieldError]:
    problems = []
    spec = obj.get("spec") or {}
    service_type = spec.get("type", "ClusterIP")
    if service_type not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        problems.append(errors.unsupported("spec.type", service_type, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
    ports = spec.get("ports") or []
    if service_type != "ExternalName" and not ports and spec.get("clusterIP") != "None":
        problems.append(errors.required("spec.ports"))
    for index, port in enumerate(ports):
        number = port.get("port")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            problems.append(errors.invalid(f"spec.ports[{index}].port", number, "must be between 1 and 65535, inclusive"))
        if len(ports) > 1 and not port.get("name"):
            problems.append(errors.required(f"spec.ports[{index}].name"))
    return problems


def _validate_crd(obj: dict[str, Any]) -> list[FieldError]:
    problems = []
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group")
    if not group:
        problems.append(errors.required("spec.group"))
    if not names.get("plural"):
        problems.append(errors.required("spec.names.plural"))
    if not names.get("kind"):
        problems.append(errors.required("spec.names.kind"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        problems.append(errors.unsupported("spec.scope", spec.get("scope"), ["Cluster", "Namespaced"]))
    versions = spec.get("versions") or []
    if not versions:
        problems.append(errors.required("spec.versions"))
    elif sum(1 for version in versions if version.get("storage")) != 1:
        problems.append(errors.invalid("spec.versions", "", "must have exactly one version marked as storage version"))
    name = obj["metadata"].get("name", "")
    if group and names.get("plural") and name != f"{names['plural']}.{group}":
        problems.append(errors.invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"))
    return problems


def _default_crd(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    names = spec.setdefault("names", {})
    if names.get("kind"):
        names.setdefault("singular", names["kind"].lower())
        names.setdefault("listKind", names["kind"] + "List")
    spec.setdefault("conversion", {"strategy": "None"})
    for version in spec.get("versions") or []:
        version.setdefault("served", True)


POD_MUTABLE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def carry_over(kind: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Keep server-assigned fields that an update left out, in place (a Service's cluster IP and node ports)."""
    if kind != "Service":
        return
    old_spec, new_spec = old.get("spec") or {}, new.setdefault("spec", {})
    for key in ("clusterIP", "clusterIPs"):
        if key in old_spec and not new_spec.get(key):
            new_spec[key] = old_spec[key]
    old_ports = {(port.get("port"), port.get("protocol", "TCP")): port.get("nodePort") for port in old_spec.get("ports") or []}
    if new_spec.get("type") in ("NodePort", "LoadBalancer"):
        for port in new_spec.get("ports") or []:
            previous = old_ports.get((port.get("port"), port.get("protocol", "TCP")))
            if previous and not port.get("nodePort"):
                port["nodePort"] = previous


def validate_update(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[FieldError]:
    """Return the errors of changing `old` into `new`: immutable fields, as the API server checks them."""
    problems: list[FieldError] = []
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if kind in ("Deployment", "ReplicaSet") and old_spec.get("selector") != new_spec.get("selector"):
        problems.append(errors.invalid("spec.selector", "object", "field is immutable"))
    if kind in ("ConfigMap", "Secret") and old.get("immutable"):
        for key in ("data", "binaryData", "immutable"):
            if old.get(key) != new.get(key):
                problems.append(errors.forbidden(key, "field is immutable when `immutable` is set"))
    if kind == "Secret" and old.get("type") != new.get("type"):
        problems.append(errors.invalid("type", new.get("type"), "field is immutable"))
    if kind == "Service":
        if old_spec.get("clusterIP") and new_spec.get("clusterIP") != old_spec.get("clusterIP") and new_spec.get("type") != "ExternalName":
            problems.append(errors.invalid("spec.clusterIPs[0]", new_spec.get("clusterIP"), "may not change once set"))
    if kind == "Job":
        problems += validate_job_update(old, new)
    if kind == "Pod" and _pod_spec_without_mutable(old_spec) != _pod_spec_without_mutable(new_spec):
        problems.append(errors.forbidden("spec", POD_MUTABLE_MESSAGE))
    return problems


def _pod_spec_without_mutable(spec: dict[str, Any]) -> dict[str, Any]:
    result = {key: value for key, value in spec.items() if key not in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")}
    for key in ("containers", "initContainers"):
        if key in result:
            result[key] = [{name: value for name, value in container.items() if name != "image"} for container in result[key]]
    return result


def _default_job(obj: dict[str, Any]) -> None:
    default_job_spec(obj.setdefault("spec", {}), default_pod_spec)


def _validate_job(obj: dict[str, Any]) -> list[FieldError]:
    return validate_job_spec(obj.get("spec") or {}, "spec")


def prepare_created(kind: str, obj: dict[str, Any]) -> None:
    """Set the fields the API server derives from a new object's uid, in place (a Job's selector)."""
    if kind == "Job":
        generate_job_selector(obj)


DEFAULTERS = {
    "Namespace": _default_namespace,
    "Secret": _default_secret,
    "Pod": _default_pod,
    "Deployment": _default_deployment,
    "ReplicaSet": _default_replica_set,
    "Service": _default_service,
    "CustomResourceDefinition": _default_crd,
    "Job": _default_job,
    "CronJob": lambda obj: default_cron_job(obj, default_pod_spec),
    "MutatingWebhookConfiguration": lambda obj: default_webhook_configuration(obj, mutating=True),
    "ValidatingWebhookConfiguration": lambda obj: default_webhook_configuration(obj, mutating=False),
}

VALIDATORS = {
    "Secret": _validate_secret,
    "ConfigMap": _validate_config_map,
    "Pod": _validate_pod,
    "Deployment": _validate_workload,
    "ReplicaSet": _validate_workload,
    "Service": _validate_service,
    "CustomResourceDefinition": _validate_crd,
    "Job": _validate_job,
    "CronJob": validate_cron_job,
    "MutatingWebhookConfiguration": lambda obj: validate_webhook_configuration(obj, mutating=True),
    "ValidatingWebhookConfiguration": lambda obj: validate_webhook_configuration(obj, mutating=False),
}
