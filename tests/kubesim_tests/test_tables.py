"""Server-side printing: the JSONPath of CRD printer columns, and ages."""

from __future__ import annotations

import pytest

from kubesim.tables import age, jsonpath


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".spec.gatewayClassName", ["gaap-genai"]),
        (".status.addresses[*].value", ["198.51.100.1", "198.51.100.2"]),
        (".status.addresses[0].value", ["198.51.100.1"]),
        ('.status.conditions[?(@.type=="Programmed")].status', ["True"]),
        (".status.missing", []),
    ],
)
def test_printer_column_jsonpath(path: str, expected: list) -> None:
    gateway = {
        "spec": {"gatewayClassName": "gaap-genai"},
        "status": {
            "addresses": [{"value": "198.51.100.1"}, {"value": "198.51.100.2"}],
            "conditions": [{"type": "Accepted", "status": "True"}, {"type": "Programmed", "status": "True"}],
        },
    }
    assert jsonpath(gateway, path) == expected


def test_age_of_missing_timestamp() -> None:
    assert age(None) == "<unknown>"
