# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The genai_endpoint module's run: validate, plan, apply, and decide `changed`."""

from __future__ import annotations

import time
from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.gaap.genai.plugins.module_utils import _naming as naming
from ansible_collections.gaap.genai.plugins.module_utils._certificate_facts import secret_leaf_facts
from ansible_collections.gaap.genai.plugins.module_utils._cluster import (
    HAS_KUBERNETES,
    KUBERNETES_IMPORT_ERROR,
    ClusterError,
    connect,
    get_object,
    list_objects,
)
from ansible_collections.gaap.genai.plugins.module_utils._endpoint import (
    EndpointSpec,
    ObjectChange,
    desired_gateway,
    desired_secret,
    execute,
    hostname_conflicts,
    plan,
    plan_removal,
    redacted,
)
from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem
from ansible_collections.gaap.genai.plugins.module_utils._tls import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    HAS_CRYPTOGRAPHY,
    TlsValidation,
    validate_tls,
)


def run_endpoint(module: Any) -> None:
    """Run the genai_endpoint module to its exit_json or fail_json."""
    _require_libraries(module)
    params = module.params

    problems = (
        naming.endpoint_name_problems(params["name"])
        + naming.namespace_problems(params["namespace"])
        + _range_problems(params)
    )
    if params["state"] == "absent":
        _fail_on(module, problems, [])
        _remove(module)
        return

    tls, read_problems = _validate_inputs(params)
    problems += read_problems
    if tls is not None:
        problems += tls.problems
    warnings = tls.warnings if tls is not None else []
    _fail_on(module, problems, warnings)

    for warning in warnings:
        module.warn(warning.message)
    spec = EndpointSpec(
        name=params["name"],
        namespace=params["namespace"],
        hostname=tls.hostname,
        description=params["description"],
        cluster=params["cluster"],
        gateway_class=params["gateway_class"],
        certificate_chain_pem=tls.certificate_chain_pem,
        private_key_pem=tls.private_key_pem,
    )
    if params["validate_only"]:
        module.exit_json(
            changed=False,
            endpoint=_endpoint_facts(spec, tls),
            objects=[],
            validation_warnings=[warning.as_dict() for warning in warnings],
        )
    _apply(module, spec, tls)


# Ten years: longer than any server certificate is issued for, so a larger
# value is a mistake.
EXPIRING_SOON_MAX_DAYS = 3650


def _range_problems(params: dict) -> list[Problem]:
    problems = []
    days = params["expiring_soon_days"]
    if not 0 <= days <= EXPIRING_SOON_MAX_DAYS:
        problems.append(
            Problem(
                "option_invalid",
                f"expiring_soon_days is {days}; give a number of days from 0 to {EXPIRING_SOON_MAX_DAYS}.",
            )
        )
    if params["wait_timeout"] < 0:
        problems.append(
            Problem("option_invalid", f"wait_timeout is {params['wait_timeout']}; give 0 or more seconds.")
        )
    return problems


def _require_libraries(module: Any) -> None:
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(KUBERNETES_IMPORT_ERROR))
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography>=42"), exception=str(CRYPTOGRAPHY_IMPORT_ERROR))


def _read_text(params: dict, text_option: str, path_option: str, code: str) -> tuple[str | None, list[Problem]]:
    """Return the option's text, reading it from the path option when that is set."""
    path = params.get(path_option)
    if not path:
        return params.get(text_option), []
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read(), []
    except OSError as error:
        return None, [Problem(code, f"Cannot read {path_option} {path}: {error.strerror}. Give a readable PEM file.")]


def _validate_inputs(params: dict) -> tuple[TlsValidation | None, list[Problem]]:
    certificate, problems = _read_text(params, "certificate", "certificate_path", "certificate_unreadable")
    private_key, key_problems = _read_text(params, "private_key", "private_key_path", "private_key_unreadable")
    ca_bundle, ca_problems = _read_text(params, "ca_bundle", "ca_bundle_path", "chain_untrusted")
    problems += key_problems + ca_problems
    if problems:
        return None, problems

    tls = validate_tls(
        hostname=params["hostname"],
        certificate=certificate or "",
        private_key=private_key or "",
        passphrase=params.get("private_key_passphrase"),
        ca_bundle=ca_bundle,
        expiring_soon_days=params["expiring_soon_days"],
    )
    return tls, []


def _fail_on(module: Any, problems: list[Problem], warnings: list[Problem]) -> None:
    if not problems:
        return
    summary = " ".join(problem.message for problem in problems)
    module.fail_json(
        msg=f"The endpoint {module.params['name']!r} was not changed because of "
        f"{len(problems)} problem{'s' if len(problems) > 1 else ''}: {summary}",
        problems=[problem.as_dict() for problem in problems],
        validation_warnings=[warning.as_dict() for warning in warnings],
        objects=[],
    )


def _connect_or_fail(module: Any, require_namespace: bool = True) -> Any:
    try:
        client = connect(module)
        namespace = module.params["namespace"]
        if require_namespace and get_object(client, "v1", "Namespace", namespace) is None:
            raise ClusterError(
                Problem(
                    "namespace_not_found",
                    f"The namespace {namespace} does not exist on the cluster. Run the role "
                    "gaap.genai.genai_endpoint, which creates it with the gateway controllers, "
                    "or set namespace to where they run.",
                )
            )
    except ClusterError as error:
        _fail_on(module, [error.problem], [])
    return client


def _apply(module: Any, spec: EndpointSpec, tls: TlsValidation) -> None:
    client = _connect_or_fail(module)
    try:
        conflicts = hostname_conflicts(client, spec)
        if conflicts:
            _fail_on(module, conflicts, tls.warnings)
        changes = plan(client, [desired_secret(spec), desired_gateway(spec)])
        execute(client, changes, dry_run=module.check_mode)
    except ClusterError as error:
        _fail_on(module, [error.problem], tls.warnings)

    endpoint = _endpoint_facts(spec, tls)
    previous = secret_leaf_facts(changes[0].existing)
    if previous is not None and previous["fingerprint_sha256"] != tls.fingerprint_sha256:
        endpoint["previous_certificate"] = previous
    result = {
        "changed": any(change.action != "none" for change in changes),
        "endpoint": endpoint,
        "objects": [_object_summary(change) for change in changes],
        "validation_warnings": [warning.as_dict() for warning in tls.warnings],
    }
    if module._diff:
        result["diff"] = _diff(changes)
    module.exit_json(**result)


def _remove(module: Any) -> None:
    params = module.params
    # A missing namespace means nothing of the endpoint is left to remove.
    client = _connect_or_fail(module, require_namespace=False)
    try:
        changes = plan_removal(client, params["name"], params["namespace"])
        execute(client, changes, dry_run=module.check_mode)
        if params["wait"] and not module.check_mode:
            _wait_for_proxy_removal(client, params["namespace"], params["name"], params["wait_timeout"])
    except ClusterError as error:
        _fail_on(module, [error.problem], [])

    result = {
        "changed": bool(changes),
        "endpoint": {
            "name": params["name"],
            "namespace": params["namespace"],
            "gateway": params["name"],
            "secret": naming.secret_name(params["name"]),
            "proxy_deployment": naming.proxy_deployment_name(params["namespace"], params["name"]),
            "proxy_selector": naming.proxy_selector(params["namespace"], params["name"]),
        },
        "objects": [_object_summary(change) for change in changes],
        "validation_warnings": [],
    }
    if module._diff:
        result["diff"] = _diff(changes)
    module.exit_json(**result)


def _wait_for_proxy_removal(client: Any, namespace: str, name: str, timeout: int) -> None:
    """Wait until Envoy Gateway has removed the endpoint's proxy pods.

    Polls with a growing interval (0.5 s doubling up to 5 s) because the
    proxy pods go away only after Envoy Gateway has seen the Gateway's
    deletion and the pods' grace period has passed.
    """
    selector = naming.proxy_selector(namespace, name)
    deadline = time.monotonic() + timeout
    interval = 0.5
    while True:
        pods = list_objects(client, "v1", "Pod", namespace=namespace, label_selector=selector)
        if not pods:
            return
        if time.monotonic() >= deadline:
            remaining = ", ".join(pod["metadata"]["name"] for pod in pods)
            raise ClusterError(
                Problem(
                    "proxy_not_removed",
                    f"The Gateway and Secret of {name!r} were deleted, but after {timeout} seconds "
                    f"these proxy pods still exist: {remaining}. Check that Envoy Gateway is running "
                    "in the namespace, or raise wait_timeout.",
                )
            )
        time.sleep(min(interval, max(deadline - time.monotonic(), 0)))
        interval = min(interval * 2, 5.0)


def _endpoint_facts(spec: EndpointSpec, tls: TlsValidation) -> dict:
    return {
        "name": spec.name,
        "namespace": spec.namespace,
        "hostname": spec.hostname,
        "description": spec.description,
        "cluster": spec.cluster,
        "gateway": spec.name,
        "secret": naming.secret_name(spec.name),
        "proxy_deployment": naming.proxy_deployment_name(spec.namespace, spec.name),
        "proxy_selector": naming.proxy_selector(spec.namespace, spec.name),
        "certificate": {
            "fingerprint_sha256": tls.fingerprint_sha256,
            "not_before": tls.not_before.isoformat() if tls.not_before else None,
            "not_after": tls.not_after.isoformat() if tls.not_after else None,
            "subject": tls.subject,
            "dns_names": list(tls.dns_names),
        },
    }


def _object_summary(change: ObjectChange) -> dict:
    return {"kind": change.kind, "name": change.name, "namespace": change.namespace, "action": change.action}


def _diff(changes: list[ObjectChange]) -> list[dict]:
    diffs = []
    for change in changes:
        if change.action == "none":
            continue
        after = None if change.action == "delete" else (change.result or change.desired)
        diffs.append(
            {
                "before_header": change.ref,
                "after_header": change.ref,
                "before": redacted(change.existing) or {},
                "after": redacted(after) or {},
            }
        )
    return diffs
