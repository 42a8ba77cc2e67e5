"""Defaulting and validation of batch/v1 Job and CronJob, as kube-apiserver 1.33 does them."""

from __future__ import annotations

from typing import Any

from . import errors
from .errors import FieldError
from .selectors import selector_matches

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
# The unprefixed labels are still set by 1.33 for clients that select on them.
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
JOB_RESTART_POLICIES = ["OnFailure", "Never"]
DEFAULT_BACKOFF_LIMIT = 6


def default_job_spec(spec: dict[str, Any], default_pod_spec: Any) -> None:
    """Apply the JobSpec defaults, in place (also used for a CronJob's jobTemplate)."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else DEFAULT_BACKOFF_LIMIT
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed")
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))


def generate_job_selector(obj: dict[str, Any]) -> None:
    """Set the selector and template labels from the new Job's uid, unless spec.manualSelector is true."""
    spec = obj.setdefault("spec", {})
    if spec.get("manualSelector"):
        return
    metadata = obj["metadata"]
    uid, name = metadata["uid"], metadata["name"]
    labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
    labels.update({CONTROLLER_UID_LABEL: uid, JOB_NAME_LABEL: name, LEGACY_CONTROLLER_UID_LABEL: uid, LEGACY_JOB_NAME_LABEL: name})
    spec["selector"] = {"matchLabels": {CONTROLLER_UID_LABEL: uid}}


def validate_job_spec(spec: dict[str, Any], path: str) -> list[FieldError]:
    problems: list[FieldError] = []
    for key in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"):
        value = spec.get(key)
        if isinstance(value, int) and value < 0:
            problems.append(errors.invalid(f"{path}.{key}", value, "must be greater than or equal to 0"))
    restart_policy = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
    if restart_policy not in JOB_RESTART_POLICIES:
        problems.append(errors.unsupported(f"{path}.template.spec.restartPolicy", restart_policy, JOB_RESTART_POLICIES))
    if spec.get("manualSelector"):
        selector = spec.get("selector")
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if not selector:
            problems.append(errors.required(f"{path}.selector"))
        elif not selector_matches(selector, labels):
            problems.append(errors.invalid(f"{path}.template.metadata.labels", labels, "`selector` does not match template `labels`"))
    return problems


def validate_job_update(old: dict[str, Any], new: dict[str, Any]) -> list[FieldError]:
    """Return the errors of changing the immutable parts of a Job (template and selector)."""
    problems: list[FieldError] = []
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if old_spec.get("selector") != new_spec.get("selector"):
        problems.append(errors.invalid("spec.selector", "object", "field is immutable"))
    # NOTE: a suspended Job that never started may change some template fields; kubesim rejects every change.
    if old_spec.get("template") != new_spec.get("template"):
        problems.append(errors.invalid("spec.template", "object", "field is immutable"))
    if old_spec.get("completionMode") != new_spec.get("completionMode"):
        problems.append(errors.invalid("spec.completionMode", new_spec.get("completionMode"), "field is immutable"))
    return problems


def default_cron_job(obj: dict[str, Any], default_pod_spec: Any) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_template = spec.setdefault("jobTemplate", {})
    job_template.setdefault("metadata", {})
    default_job_spec(job_template.setdefault("spec", {}), default_pod_spec)


def validate_cron_job(obj: dict[str, Any]) -> list[FieldError]:
    spec = obj.get("spec") or {}
    problems: list[FieldError] = []
    if not spec.get("schedule"):
        problems.append(errors.required("spec.schedule"))
    problems += validate_job_spec((spec.get("jobTemplate") or {}).get("spec") or {}, "spec.jobTemplate.spec")
    return problems
