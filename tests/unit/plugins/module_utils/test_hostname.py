"""DNS name rules for listener hostnames and SAN matching per RFC 9525."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.gaap.genai.plugins.module_utils._hostname import (
    hostname_problems,
    normalize_hostname,
    san_matches,
)

VALID_HOSTNAMES = [
    "chat.example.com",
    "a.b",
    "localhost",
    "xn--bcher-kva.example",
    "a1-b2.example.com",
    "a" * 63 + ".example.com",
    ".".join(["a" * 61] * 4),
]

INVALID_HOSTNAMES = [
    ("", "empty"),
    ("   ", "blank"),
    ("192.0.2.10", "ipv4"),
    ("2001:db8::1", "ipv6"),
    ("[2001:db8::1]", "bracketed ipv6"),
    ("chat_bot.example.com", "underscore"),
    ("chat bot.example.com", "space"),
    ("-chat.example.com", "leading hyphen"),
    ("chat-.example.com", "trailing hyphen"),
    ("chat..example.com", "empty label"),
    (".example.com", "leading dot"),
    ("a" * 64 + ".example.com", "long label"),
    (".".join(["a" * 63] * 4), "long name"),
    ("*.example.com", "wildcard"),
    ("chat.example.123", "numeric tld"),
    ("https://chat.example.com", "url"),
    ("chat.example.com:443", "port"),
    ("xn--zz.example.com", "bad a-label"),
]


@pytest.mark.parametrize("hostname", VALID_HOSTNAMES)
def test_valid_hostname_has_no_problems(hostname: str) -> None:
    assert hostname_problems(hostname) == []


@pytest.mark.parametrize("hostname", [case[0] for case in INVALID_HOSTNAMES],
                         ids=[case[1] for case in INVALID_HOSTNAMES])
def test_invalid_hostname_is_reported(hostname: str) -> None:
    problems = hostname_problems(hostname)

    assert problems, f"{hostname!r} passed"
    assert {problem.code for problem in problems} == {"hostname_invalid"}


@pytest.mark.parametrize(("hostname", "fragment"), [
    ("chat_bot.example.com", "'chat_bot'"),
    ("192.0.2.10", "IP address"),
    ("https://chat.example.com/v1", "URL"),
    ("chat.example.com:8443", "port"),
    ("*.example.com", "wildcard"),
    ("a" * 64 + ".example.com", "at most 63"),
    ("chat bot.example.com", "'chat bot'"),
    ("-----BEGIN PRIVATE KEY-----", "PEM data"),
])
def test_invalid_hostname_message_explains(hostname: str, fragment: str) -> None:
    messages = [problem.message for problem in hostname_problems(hostname)]

    assert any(fragment in message for message in messages), messages


@pytest.mark.parametrize(("hostname", "expected"), [
    ("Chat.Example.COM", "chat.example.com"),
    ("  chat.example.com\n", "chat.example.com"),
    ("chat.example.com.", "chat.example.com"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("BÜCHER.example", "xn--bcher-kva.example"),
    ("münchen.de", "xn--mnchen-3ya.de"),
])
def test_normalize_hostname_form(hostname: str, expected: str) -> None:
    assert normalize_hostname(hostname) == expected


def test_u_label_hostname_is_valid() -> None:
    assert hostname_problems("bücher.example") == []


@pytest.mark.parametrize(("hostname", "san"), [
    ("chat.example.com", "chat.example.com"),
    ("chat.example.com", "CHAT.Example.com"),
    ("Chat.Example.com", "chat.example.com"),
    ("chat.example.com", "*.example.com"),
    ("chat.example.com", "chat.example.com."),
    ("xn--bcher-kva.example.com", "*.example.com"),
    ("bücher.example.com", "xn--bcher-kva.example.com"),
])
def test_san_covers_hostname(hostname: str, san: str) -> None:
    assert san_matches(hostname, san)


@pytest.mark.parametrize(("hostname", "san"), [
    ("example.com", "*.example.com"),
    ("a.b.example.com", "*.example.com"),
    ("chat.example.com", "c*.example.com"),
    ("chat.example.com", "*chat.example.com"),
    ("chat.example.com", "chat.*.com"),
    ("chat.example.com", "*.*.com"),
    ("example.com", "*.com"),
    ("chat.example.com", "other.example.com"),
    ("chat.example.com", "example.com"),
    ("chat.example.com", ""),
    ("*.example.com", "*.example.com"),
    ("chat.example.com.evil", "chat.example.com"),
])
def test_san_does_not_cover_hostname(hostname: str, san: str) -> None:
    assert not san_matches(hostname, san)


@pytest.mark.parametrize("hostname", [
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7/9fZ+Qk",
    "abc\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    "a+b/c=" * 8,
])
def test_key_like_hostname_not_echoed(hostname: str) -> None:
    messages = " ".join(problem.message for problem in hostname_problems(hostname))

    assert hostname.strip() not in messages
    assert "not shown" in messages


@settings(max_examples=60, deadline=None, derandomize=True)
@given(hostname=st.text(max_size=300), san=st.text(max_size=80))
def test_hostname_functions_never_raise(hostname: str, san: str) -> None:
    assert isinstance(normalize_hostname(hostname), str)
    assert isinstance(hostname_problems(hostname), list)
    assert isinstance(san_matches(hostname, san), bool)
