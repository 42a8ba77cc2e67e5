"""batch/v1 Jobs: defaults, pods that run to completion, status conditions, backoffLimit and TTL."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from kubernetes import dynamic
from kubernetes.dynamic.exceptions import NotFoundError, UnprocessibleEntityError

from kubesim.testing import RunningKubesim

from .conftest import make_namespace, raw_request, wait_for

NAMESPACE = "jobs"
KUBECTL = shutil.which("kubectl")


def _job(name: str, restart_policy: str = "Never", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"restartPolicy": restart_policy, "containers": [{"name": "task", "image": "registry.example.test/task:v1"}]},
            },
            **spec,
        },
    }


@pytest.fixture(scope="module")
def jobs(client: dynamic.DynamicClient) -> dynamic.Resource:
    make_namespace(client, NAMESPACE)
    return client.resources.get(api_version="batch/v1", kind="Job")


@pytest.fixture(scope="module")
def pods(client: dynamic.DynamicClient) -> dynamic.Resource:
    return client.resources.get(api_version="v1", kind="Pod")


def _condition_types(job: Any) -> list[str]:
    # A new Job has no status until the Job controller first writes it.
    conditions = (job.status.conditions if job.status else None) or []
    return [entry["type"] for entry in conditions if entry["status"] == "True"]


def _finished(jobs: dynamic.Resource, name: str) -> Any:
    job = jobs.get(name=name, namespace=NAMESPACE)
    types = _condition_types(job)
    return job if "Complete" in types or "Failed" in types else None


@pytest.fixture(scope="module")
def completed(jobs: dynamic.Resource) -> Any:
    jobs.create(body=_job("done"), namespace=NAMESPACE)
    return wait_for(lambda: _finished(jobs, "done"), "Job done finished")


def test_job_defaults(completed: Any) -> None:
    spec = completed.spec

    assert spec.completions == 1
    assert spec.parallelism == 1
    assert spec.backoffLimit == 6
    assert spec.completionMode == "NonIndexed"
    assert spec.podReplacementPolicy == "TerminatingOrFailed"


def test_job_selector_generated(completed: Any) -> None:
    uid = completed.metadata.uid
    labels = completed.spec.template.metadata.labels

    assert completed.spec.selector.matchLabels["batch.kubernetes.io/controller-uid"] == uid
    assert labels["batch.kubernetes.io/job-name"] == "done"
    assert labels["job-name"] == "done"
    assert labels["app"] == "done"


def test_job_complete_conditions(completed: Any) -> None:
    status = completed.status

    assert _condition_types(completed) == ["SuccessCriteriaMet", "Complete"]
    assert status.succeeded == 1
    assert status.ready == 0
    assert status.completionTime
    assert status.startTime
    assert completed.status.conditions[1]["reason"] == "CompletionsReached"


def test_job_pod_completed(completed: Any, pods: dynamic.Resource) -> None:
    items = pods.get(namespace=NAMESPACE, label_selector="job-name=done").items
    terminated = items[0].status.containerStatuses[0].state.terminated

    assert len(items) == 1
    assert items[0].metadata.ownerReferences[0].kind == "Job"
    assert items[0].status.phase == "Succeeded"
    assert terminated.reason == "Completed"
    assert terminated.exitCode == 0


def test_job_restart_policy_always(jobs: dynamic.Resource) -> None:
    with pytest.raises(UnprocessibleEntityError) as raised:
        jobs.create(body=_job("always", restart_policy="Always"), namespace=NAMESPACE)

    message = json.loads(raised.value.body)["message"]

    assert 'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"' in message


def test_job_template_immutable(jobs: dynamic.Resource, completed: Any) -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "task", "image": "registry.example.test/task:v2"}]}}}}

    with pytest.raises(UnprocessibleEntityError):
        jobs.patch(body=patch, name="done", namespace=NAMESPACE, content_type="application/strategic-merge-patch+json")


def test_job_several_completions(jobs: dynamic.Resource) -> None:
    jobs.create(body=_job("three", completions=3, parallelism=2), namespace=NAMESPACE)
    job = wait_for(lambda: _finished(jobs, "three"), "Job three finished")

    assert job.status.succeeded == 3
    assert "Complete" in _condition_types(job)


def test_job_backoff_limit_exceeded(kubesim: RunningKubesim, jobs: dynamic.Resource, pods: dynamic.Resource) -> None:
    rule = {"rules": [{"type": "pod", "mode": "Error", "labelSelector": "app=broken", "namespace": NAMESPACE}]}
    code, answer, headers = raw_request(kubesim, "POST", "/kubesim/faults", rule)
    jobs.create(body=_job("broken", backoffLimit=1), namespace=NAMESPACE)
    job = wait_for(lambda: _finished(jobs, "broken"), "Job broken finished")
    failed_pods = pods.get(namespace=NAMESPACE, label_selector="app=broken").items

    assert code == 200
    assert _condition_types(job) == ["FailureTarget", "Failed"]
    assert job.status.conditions[1]["reason"] == "BackoffLimitExceeded"
    assert job.status.failed == 2
    assert {pod.status.phase for pod in failed_pods} == {"Failed"}
    assert failed_pods[0].status.containerStatuses[0].state.terminated.exitCode == 1


def test_job_on_failure_restarts(kubesim: RunningKubesim, jobs: dynamic.Resource) -> None:
    rule = {"rules": [{"type": "pod", "mode": "Error", "labelSelector": "app=looping", "namespace": NAMESPACE}]}
    raw_request(kubesim, "POST", "/kubesim/faults", rule)
    jobs.create(body=_job("looping", restart_policy="OnFailure", backoffLimit=0), namespace=NAMESPACE)
    job = wait_for(lambda: _finished(jobs, "looping"), "Job looping finished")

    assert "Failed" in _condition_types(job)


def test_job_ttl_deletes(jobs: dynamic.Resource, pods: dynamic.Resource) -> None:
    jobs.create(body=_job("shortlived", ttlSecondsAfterFinished=0), namespace=NAMESPACE)

    def gone() -> bool:
        try:
            jobs.get(name="shortlived", namespace=NAMESPACE)
        except NotFoundError:
            return True
        return False

    wait_for(gone, "Job shortlived deleted after its TTL")
    wait_for(lambda: not pods.get(namespace=NAMESPACE, label_selector="app=shortlived").items, "pods of Job shortlived deleted")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed; install it to run the kubectl checks")
def test_kubectl_waits_for_complete(kubesim: RunningKubesim, jobs: dynamic.Resource) -> None:
    jobs.create(body=_job("waited"), namespace=NAMESPACE)
    result = subprocess.run([KUBECTL, "--kubeconfig", str(kubesim.kubeconfig), "-n", NAMESPACE, "wait", "--for=condition=complete",
                             "job/waited", "--timeout=30s"], capture_output=True, text=True, check=False, timeout=60)
    table = subprocess.run([KUBECTL, "--kubeconfig", str(kubesim.kubeconfig), "-n", NAMESPACE, "get", "job", "waited"],
                           capture_output=True, text=True, check=False, timeout=30)

    assert result.returncode == 0, result.stderr
    assert "job.batch/waited condition met" in result.stdout
    assert "Complete" in table.stdout
    assert "1/1" in table.stdout


def test_cron_job_stored(client: dynamic.DynamicClient, jobs: dynamic.Resource) -> None:
    cron_jobs = client.resources.get(api_version="batch/v1", kind="CronJob")
    body = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": NAMESPACE},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": _job("nightly")}}
    body["spec"]["jobTemplate"].pop("apiVersion")
    body["spec"]["jobTemplate"].pop("kind")
    body["spec"]["jobTemplate"]["metadata"] = {}
    created = cron_jobs.create(body=body, namespace=NAMESPACE)

    assert created.spec.concurrencyPolicy == "Allow"
    assert created.spec.successfulJobsHistoryLimit == 3
    assert created.spec.jobTemplate.spec.backoffLimit == 6
