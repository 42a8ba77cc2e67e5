"""Defaulting of built-in kinds: the pod QoS class."""

from __future__ import annotations

import pytest

from kubesim.kinds import qos_class


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({}, "BestEffort"),
        ({"requests": {"cpu": "100m"}}, "Burstable"),
        ({"limits": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed"),
        ({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}, "Burstable"),
        ({"limits": {"nvidia.com/gpu": "1"}}, "BestEffort"),
    ],
)
def test_pod_qos_class(resources: dict, expected: str) -> None:
    assert qos_class({"containers": [{"name": "app", "image": "app:1", "resources": resources}]}) == expected
