"""The unready_pods filter."""

from __future__ import annotations

from typing import Any

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.gaap.genai.plugins.filter.readiness import FilterModule


def pending_pod(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "envoy"}]},
        "status": {"phase": "Pending", "containerStatuses": []},
    }


def test_filter_registered() -> None:
    filters = FilterModule().filters()

    assert set(filters) == {"unready_pods"}


def test_filter_returns_report() -> None:
    unready = FilterModule().filters()["unready_pods"]

    assert unready([pending_pod("p")])[0]["phase"] == "Pending"


@pytest.mark.parametrize("value", ["pods", {"metadata": {}}, 3, None], ids=["str", "dict", "int", "none"])
def test_filter_rejects_non_list(value: Any) -> None:
    unready = FilterModule().filters()["unready_pods"]

    with pytest.raises(AnsibleFilterError, match="must be a list of Pod objects"):
        unready(value)


def test_filter_rejects_non_dict_item() -> None:
    unready = FilterModule().filters()["unready_pods"]

    with pytest.raises(AnsibleFilterError, match="each item must be a Pod object"):
        unready(["envoy-gateway-abc"])
