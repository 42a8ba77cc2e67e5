"""Resource quantities are stored in canonical form, as kube-apiserver stores them."""

from __future__ import annotations

import pytest

from kubesim.quantity import QuantityError, canonical
from kubesim.testing import RunningKubesim

from .conftest import raw_request


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("1000m", "1"),
        ("0.5", "500m"),
        ("1.1", "1100m"),
        ("250m", "250m"),
        ("1024Mi", "1Gi"),
        ("1.5Gi", "1536Mi"),
        ("2000Mi", "2000Mi"),
        ("100M", "100M"),
        ("1e3", "1e3"),
        (2, "2"),
        (0.5, "500m"),
        ("0", "0"),
    ],
)
def test_canonical_quantity(given: str | int | float, stored: str) -> None:
    assert canonical(given) == stored


@pytest.mark.parametrize("given", ["", "abc", "1.2.3", "5 Gi", "1Xi"])
def test_invalid_quantity_rejected(given: str) -> None:
    with pytest.raises(QuantityError):
        canonical(given)


def test_pod_limits_stored_canonical(kubesim: RunningKubesim) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "quantities", "namespace": "default"},
           "spec": {"containers": [{"name": "app", "image": "app:1", "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}, "requests": {"cpu": 0.5}}}]}}
    status, created, headers = raw_request(kubesim, "POST", "/api/v1/namespaces/default/pods", pod)
    assert status == 201
    resources = created["spec"]["containers"][0]["resources"]
    assert resources["limits"] == {"cpu": "1", "memory": "1Gi"}
    assert resources["requests"] == {"cpu": "500m"}


def test_pod_invalid_quantity_bad_request(kubesim: RunningKubesim) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad-quantity", "namespace": "default"},
           "spec": {"containers": [{"name": "app", "image": "app:1", "resources": {"limits": {"cpu": "lots"}}}]}}
    status, answer, headers = raw_request(kubesim, "POST", "/api/v1/namespaces/default/pods", pod)
    assert status == 400
    assert "quantities must match the regular expression" in answer["message"]
