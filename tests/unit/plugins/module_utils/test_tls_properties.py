"""Properties of validate_tls for arbitrary input: it never raises and never echoes key material."""

from __future__ import annotations

import base64
import datetime
import functools
import itertools

from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.gaap.genai.plugins.module_utils._tls import TlsValidation, validate_tls
from tlsfactory import build_chain

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
HOST = "demo.example.com"
# Derandomized so that every run tries the same examples.
QUICK = settings(max_examples=40, deadline=None, derandomize=True)


@functools.cache
def _chain():
    return build_chain((HOST,), now=NOW)


@functools.cache
def _rsa_chain():
    return build_chain((HOST,), now=NOW, key_type="rsa")


def _key_lines(key_pem: str) -> list[str]:
    return [line for line in key_pem.splitlines() if line and not line.startswith("-----")]


def _message_text(result: TlsValidation) -> str:
    return "\n".join(problem.message for problem in result.problems + result.warnings)


def _assert_checked(result: TlsValidation) -> None:
    # validate_tls turns an unexpected exception into this problem, so its
    # absence shows that every input took a planned path.
    assert "could not be checked" not in _message_text(result)


def _assert_no_key_material(result: TlsValidation, key_pem: str) -> None:
    text = _message_text(result)
    for line in _key_lines(key_pem):
        assert line not in text
        assert line[:16] not in text


@QUICK
@given(certificate=st.binary(max_size=2048), private_key=st.binary(max_size=2048))
def test_random_bytes_give_problems(certificate: bytes, private_key: bytes) -> None:
    result = validate_tls(HOST, certificate, private_key, now=NOW)

    assert not result.ok
    _assert_checked(result)


@QUICK
@given(hostname=st.text(max_size=300), ca_bundle=st.one_of(st.none(), st.binary(max_size=512), st.text(max_size=512)))
def test_random_hostname_and_bundle(hostname: str, ca_bundle: bytes | str | None) -> None:
    chain = _chain()

    result = validate_tls(hostname, chain.chain_pem(), chain.key_pem(), ca_bundle=ca_bundle, now=NOW)

    _assert_checked(result)


@QUICK
@given(cut=st.integers(min_value=0, max_value=4000))
def test_truncated_chain_never_raises(cut: int) -> None:
    chain = _chain()

    result = validate_tls(HOST, chain.chain_pem()[:cut], chain.key_pem(), now=NOW)

    _assert_checked(result)


@QUICK
@given(cut=st.integers(min_value=0, max_value=1600))
def test_truncated_key_not_echoed(cut: int) -> None:
    chain = _rsa_chain()
    key = chain.key_pem()
    # A whole key is the passing case, covered elsewhere, and slow to load.
    truncated = key[:min(cut, len(key) - 30)]

    result = validate_tls(HOST, chain.chain_pem(), truncated, now=NOW)

    _assert_checked(result)
    _assert_no_key_material(result, key)


@QUICK
@given(position=st.integers(min_value=0, max_value=2000), replacement=st.binary(min_size=1, max_size=8))
def test_corrupted_key_not_echoed(position: int, replacement: bytes) -> None:
    chain = _rsa_chain()
    key = chain.key_pem().encode()
    corrupted = key[:position] + replacement + key[position + len(replacement):]

    result = validate_tls(HOST, chain.chain_pem(), corrupted, now=NOW)

    _assert_checked(result)
    _assert_no_key_material(result, chain.key_pem())


@QUICK
@given(position=st.integers(min_value=0, max_value=700), replacement=st.binary(min_size=1, max_size=4))
def test_corrupted_certificate_never_raises(position: int, replacement: bytes) -> None:
    chain = _chain()
    der = chain.leaf.certificate.public_bytes(serialization.Encoding.DER)
    corrupted = der[:position] + replacement + der[position + len(replacement):]
    pem = "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(corrupted).decode() + "-----END CERTIFICATE-----\n"

    result = validate_tls(HOST, pem + chain.intermediates[0].pem, chain.key_pem(), now=NOW)

    _assert_checked(result)


@QUICK
@given(prefix=st.text(max_size=64), suffix=st.text(max_size=64), passphrase=st.one_of(st.none(), st.text(max_size=16)))
def test_key_in_certificate_not_echoed(prefix: str, suffix: str, passphrase: str | None) -> None:
    rsa_key = _rsa_chain().key_pem()

    result = validate_tls(HOST, prefix + rsa_key + suffix, _chain().key_pem(), passphrase=passphrase, now=NOW)

    assert "certificate_unreadable" in [problem.code for problem in result.problems]
    _assert_no_key_material(result, rsa_key)


@QUICK
@given(start=st.integers(min_value=0, max_value=1600), length=st.integers(min_value=1, max_value=1700))
def test_key_in_hostname_not_echoed(start: int, length: int) -> None:
    # The RSA key gives many lines to leak. The EC chain is what gets checked,
    # because loading a valid RSA key on every example is slow.
    rsa_key = _rsa_chain().key_pem()
    pasted = rsa_key[start:start + length]

    result = validate_tls(pasted, _chain().chain_pem(), _chain().key_pem(), now=NOW)

    _assert_checked(result)
    for line in _key_lines(rsa_key):
        if line not in pasted:
            continue
        assert line not in _message_text(result)


@QUICK
@given(order=st.permutations([0, 1, 2]), include_root=st.booleans())
def test_shuffled_chain_order_reported(order: list[int], include_root: bool) -> None:
    chain = _chain()
    certificates = [chain.leaf.pem, chain.intermediates[0].pem, chain.root.pem]
    if not include_root:
        order = [index for index in order if index != 2]

    result = validate_tls(HOST, "".join(certificates[index] for index in order), chain.key_pem(), now=NOW)
    codes = [problem.code for problem in result.problems]

    if order == sorted(order):
        assert codes == []
    else:
        assert "chain_order" in codes


@QUICK
@given(copies=st.lists(st.sampled_from([0, 1, 2]), min_size=1, max_size=6))
def test_any_certificate_mix_never_raises(copies: list[int]) -> None:
    chain = _chain()
    other = build_chain(("other.example.com",), now=NOW) if 2 in copies else chain
    pool = [chain.leaf.pem, chain.intermediates[0].pem, other.intermediates[0].pem]

    result = validate_tls(HOST, "".join(pool[index] for index in copies), chain.key_pem(), now=NOW)

    _assert_checked(result)


def test_every_field_combination_never_raises() -> None:
    chain = _chain()
    values = [None, "", b"", "garbage", chain.leaf.pem, chain.key_pem(), b"\x30\x82\x00\x00"]

    for certificate, private_key in itertools.product(values, repeat=2):
        result = validate_tls(HOST, certificate, private_key, now=NOW)
        _assert_checked(result)
