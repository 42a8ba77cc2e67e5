"""The CEL subset that evaluates x-kubernetes-validations rules of CRDs."""

from __future__ import annotations

import pytest

from kubesim.cel import rule_holds

LISTENER = {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "chat.example.com",
            "tls": {"mode": "Terminate", "certificateRefs": [{"name": "chat-tls"}]}}
UNIQUE_NAMES = "self.all(l1, self.exists_one(l2, l1.name == l2.name))"


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (UNIQUE_NAMES, [LISTENER], True),
        (UNIQUE_NAMES, [LISTENER, LISTENER], False),
        ("self.all(l, l.protocol in ['HTTP', 'TCP', 'UDP'] ? !has(l.tls) : true)", [LISTENER], True),
        ("self.all(l, l.protocol in ['HTTP', 'TCP', 'UDP'] ? !has(l.tls) : true)", [dict(LISTENER, protocol="HTTP")], False),
        ("self.mode == 'Terminate' ? size(self.certificateRefs) > 0 : true", LISTENER["tls"], True),
        ("self.mode == 'Terminate' ? size(self.certificateRefs) > 0 : true", {"mode": "Terminate", "certificateRefs": []}, False),
        ('self.value.matches(r"""^[a-z.]+$""")', {"value": "chat.example.com"}, True),
        ('self.value.matches(r"""^[a-z.]+$""")', {"value": "Chat_Example"}, False),
        ('self.all(key, key.split("/")[0].size() < 253)', {"example.com/key": "v"}, True),
        ("self.x.startsWith('a') && self.x.endsWith('c') && self.x.contains('b')", {"x": "abc"}, True),
        ('{"a": 1, "b": 2}[self.k] < 2', {"k": "a"}, True),
        ("self.n * 2 + 1 == 7 && self.n % 2 == 1 && self.n / 2 == 1", {"n": 3}, True),
        ("self.flag == 1", {"flag": True}, False),
        ("self.items.exists(i, i > 2) && self.items.filter(i, i > 1).size() == 2", {"items": [1, 2, 3]}, True),
    ],
)
def test_rule_evaluates(rule: str, value: object, expected: bool) -> None:
    assert rule_holds(rule, value) is expected


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        ("self.missing == 1", {}),
        ("oldSelf == self", {}),
        ("self.unknownFunction()", {}),
        ("self.x.isIP()", {"x": "1.2.3.4"}),
        ("size(self.a) > 0 || size(self.b) > 0", {"a": []}),
    ],
)
def test_unsupported_or_failing_rule_skipped(rule: str, value: object) -> None:
    assert rule_holds(rule, value) is None


def test_or_ignores_error_when_other_side_true() -> None:
    assert rule_holds("size(self.a) > 0 || size(self.b) > 0", {"a": [1]}) is True
