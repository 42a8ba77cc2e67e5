"""validate_tls on freshly built chains: one case per problem and warning code, then the cleaned output."""

from __future__ import annotations

import datetime
import functools
from pathlib import Path
from typing import Any, Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.gaap.genai.plugins.module_utils import _tls
from ansible_collections.gaap.genai.plugins.module_utils._tls import TlsValidation, validate_tls
from tlsfactory import Chain, build_chain, issue_certificate, make_key
from tlsfactory.__main__ import main as tlsfactory_main

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
DAY = datetime.timedelta(days=1)
HOST = "demo.example.com"


@functools.cache
def _chain(**options: Any):
    return build_chain((HOST,), now=NOW, **options)


@functools.cache
def _rsa_ca_key():
    return make_key("rsa")


def _inputs(chain=None, **overrides: Any) -> dict[str, Any]:
    chain = chain or _chain()
    inputs = {"hostname": HOST, "certificate": chain.chain_pem(), "private_key": chain.key_pem(), "now": NOW}
    inputs.update(overrides)
    return inputs


def _validate(inputs: dict[str, Any]) -> TlsValidation:
    return validate_tls(**inputs)


def _der_certificate() -> dict[str, Any]:
    return _inputs(certificate=_chain().leaf.certificate.public_bytes(serialization.Encoding.DER))


def _pkcs12_bundle() -> dict[str, Any]:
    chain = _chain()
    bundle = pkcs12.serialize_key_and_certificates(b"demo", chain.leaf.key, chain.leaf.certificate, None,
                                                   serialization.BestAvailableEncryption(b"secret"))
    return _inputs(certificate=bundle)


def _cut_off_chain() -> dict[str, Any]:
    pem = _chain().chain_pem()
    return _inputs(certificate=pem[: pem.rindex("-----END")])


def _reversed_chain() -> dict[str, Any]:
    chain = _chain()
    return _inputs(certificate=chain.intermediates[0].pem + chain.leaf.pem)


def _root_in_middle() -> dict[str, Any]:
    chain = _chain()
    return _inputs(certificate=chain.leaf.pem + chain.root.pem + chain.intermediates[0].pem)


def _missing_middle_intermediate() -> dict[str, Any]:
    chain = _chain(intermediate_count=2)
    return _inputs(chain, certificate=chain.leaf.pem + chain.intermediates[1].pem)


def _foreign_intermediate() -> dict[str, Any]:
    # Every built chain names its issuing CA the same, so another chain's
    # intermediate matches by name but not by key.
    other = build_chain((HOST,), now=NOW)
    return _inputs(certificate=_chain().leaf.pem + other.intermediates[0].pem)


def _intermediate_not_ca() -> dict[str, Any]:
    return _inputs(_chain(intermediate_ca=False))


def _other_key_same_type() -> dict[str, Any]:
    return _inputs(private_key=build_chain((HOST,), now=NOW).key_pem())


def _other_key_type() -> dict[str, Any]:
    return _inputs(private_key=_chain(key_type="rsa").key_pem())


def _expired_intermediate() -> dict[str, Any]:
    return _inputs(_chain(intermediate_not_before=NOW - 400 * DAY, intermediate_not_after=NOW - DAY))


def _future_intermediate() -> dict[str, Any]:
    return _inputs(_chain(intermediate_not_before=NOW + DAY, intermediate_not_after=NOW + 400 * DAY))


def _sha1_intermediate() -> dict[str, Any]:
    return _inputs(_chain(intermediate_hash_name="sha1", ca_key=_rsa_ca_key()))


def _ca_bundle_of_other_chain() -> dict[str, Any]:
    return _inputs(ca_bundle=build_chain(("other.example.com",), now=NOW).ca_pem())


def _duplicate_leaf() -> dict[str, Any]:
    chain = _chain()
    return _inputs(certificate=chain.leaf.pem + chain.leaf.pem + chain.intermediates[0].pem)


PROBLEM_CASES: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    ("hostname underscore", lambda: _inputs(hostname="demo_api.example.com"), "hostname_invalid"),
    ("hostname ipv6", lambda: _inputs(hostname="2001:db8::1"), "hostname_invalid"),
    ("certificate der", _der_certificate, "certificate_unreadable"),
    ("certificate pkcs12", _pkcs12_bundle, "certificate_unreadable"),
    ("certificate is key", lambda: _inputs(certificate=_chain().key_pem()), "certificate_unreadable"),
    ("certificate empty", lambda: _inputs(certificate=""), "certificate_unreadable"),
    ("certificate cut off", _cut_off_chain, "certificate_unreadable"),
    ("ca bundle unreadable", lambda: _inputs(ca_bundle="not a pem"), "certificate_unreadable"),
    ("negative serial", lambda: _inputs(_chain(negative_serial=True)), "certificate_unreadable"),
    ("key garbage", lambda: _inputs(private_key="garbage"), "private_key_unreadable"),
    ("key is certificate", lambda: _inputs(private_key=_chain().leaf.pem), "private_key_unreadable"),
    ("key empty", lambda: _inputs(private_key=""), "private_key_unreadable"),
    ("key no passphrase", lambda: _inputs(private_key=_chain().key_pem("pw")), "private_key_encrypted"),
    ("key wrong passphrase", lambda: _inputs(private_key=_chain().key_pem("pw"), passphrase="nope"),
     "private_key_encrypted"),
    ("key other key", _other_key_same_type, "key_mismatch"),
    ("key other type", _other_key_type, "key_mismatch"),
    ("hostname not in sans", lambda: _inputs(hostname="chat.example.com"), "hostname_mismatch"),
    ("hostname only in cn", lambda: _inputs(build_chain((), now=NOW, common_name=HOST)), "hostname_mismatch"),
    ("leaf expired", lambda: _inputs(_chain(leaf_not_before=NOW - 90 * DAY, leaf_not_after=NOW - DAY)),
     "certificate_expired"),
    ("intermediate expired", _expired_intermediate, "certificate_expired"),
    ("leaf not yet valid", lambda: _inputs(_chain(leaf_not_before=NOW + DAY, leaf_not_after=NOW + 90 * DAY)),
     "certificate_not_yet_valid"),
    ("intermediate not yet valid", _future_intermediate, "certificate_not_yet_valid"),
    ("chain reversed", _reversed_chain, "chain_order"),
    ("chain root in middle", _root_in_middle, "chain_order"),
    ("chain gap", _missing_middle_intermediate, "chain_incomplete"),
    ("intermediate not ca", _intermediate_not_ca, "chain_incomplete"),
    ("chain foreign intermediate", _foreign_intermediate, "chain_signature_invalid"),
    ("rsa 1024", lambda: _inputs(_chain(key_type="rsa", key_size=1024)), "weak_key"),
    ("curve secp256k1", lambda: _inputs(_chain(curve="secp256k1")), "weak_key"),
    ("key ed25519", lambda: _inputs(_chain(key_type="ed25519")), "unsupported_key_type"),
    ("key ed448", lambda: _inputs(_chain(key_type="ed448")), "unsupported_key_type"),
    ("key dsa", lambda: _inputs(_chain(key_type="dsa", key_size=1024)), "unsupported_key_type"),
    ("leaf sha1", lambda: _inputs(_chain(key_type="rsa", hash_name="sha1", ca_key=_rsa_ca_key())),
     "weak_signature"),
    ("leaf md5", lambda: _inputs(_chain(key_type="rsa", hash_name="md5", ca_key=_rsa_ca_key())),
     "weak_signature"),
    ("intermediate sha1", _sha1_intermediate, "weak_signature"),
    ("eku client only", lambda: _inputs(_chain(extended_key_usage=(ExtendedKeyUsageOID.CLIENT_AUTH,))),
     "not_server_certificate"),
    ("key usage no signature", lambda: _inputs(_chain(key_usage="no_digital_signature")),
     "not_server_certificate"),
    ("ca bundle other root", _ca_bundle_of_other_chain, "chain_untrusted"),
]

WARNING_CASES: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    ("self signed leaf", lambda: _inputs(_chain(self_signed=True)), "self_signed"),
    ("root included", lambda: _inputs(certificate=_chain().chain_pem(include_root=True)), "root_included"),
    ("private ca", _inputs, "chain_untrusted"),
    ("leaf is ca", lambda: _inputs(_chain(leaf_ca=True)), "leaf_is_ca"),
    ("duplicate leaf", _duplicate_leaf, "duplicate_certificate"),
    ("expiring in ten days", lambda: _inputs(_chain(leaf_not_after=NOW + 10 * DAY)), "expiring_soon"),
]


def _codes(problems: list) -> list[str]:
    return [problem.code for problem in problems]


@pytest.mark.parametrize(("build", "code"), [pytest.param(build, code, id=name) for name, build, code in PROBLEM_CASES])
def test_problem_case_reports_code(build: Callable[[], dict[str, Any]], code: str) -> None:
    result = _validate(build())

    assert code in _codes(result.problems)
    assert not result.ok


@pytest.mark.parametrize(("build", "code"), [pytest.param(build, code, id=name) for name, build, code in WARNING_CASES])
def test_warning_case_passes_with_warning(build: Callable[[], dict[str, Any]], code: str) -> None:
    result = _validate(build())

    assert result.problems == [], [problem.message for problem in result.problems]
    assert code in _codes(result.warnings)


def test_every_code_has_a_case() -> None:
    problem_codes = {code for name, build, code in PROBLEM_CASES}
    warning_codes = {code for name, build, code in WARNING_CASES}

    assert problem_codes == {
        "hostname_invalid", "certificate_unreadable", "private_key_unreadable", "private_key_encrypted",
        "key_mismatch", "hostname_mismatch", "certificate_expired", "certificate_not_yet_valid", "chain_order",
        "chain_incomplete", "chain_signature_invalid", "weak_key", "unsupported_key_type", "weak_signature",
        "not_server_certificate", "chain_untrusted",
    }
    assert warning_codes == {
        "self_signed", "root_included", "chain_untrusted", "leaf_is_ca", "duplicate_certificate", "expiring_soon",
    }


MESSAGE_CASES: list[tuple[str, Callable[[], dict[str, Any]], str, str]] = [
    ("der hint", _der_certificate, "certificate_unreadable", "DER"),
    ("pkcs12 hint", _pkcs12_bundle, "certificate_unreadable", "PKCS#12"),
    ("key in certificate hint", lambda: _inputs(certificate=_chain().key_pem()), "certificate_unreadable",
     "private key"),
    ("empty hint", lambda: _inputs(certificate="  "), "certificate_unreadable", "empty"),
    ("cut off hint", _cut_off_chain, "certificate_unreadable", "cut-off"),
    ("negative serial hint", lambda: _inputs(_chain(negative_serial=True)), "certificate_unreadable",
     "negative serial number"),
    ("sans listed", lambda: _inputs(_chain(), hostname="chat.example.com"), "hostname_mismatch", HOST),
    ("expired names intermediate", _expired_intermediate, "certificate_expired", "intermediate certificate"),
    ("expired names subject", _expired_intermediate, "certificate_expired", "Example Test Issuing CA 1"),
    ("expired gives dates", _expired_intermediate, "certificate_expired", (NOW - DAY).strftime("%Y-%m-%d")),
    ("unsupported names type", lambda: _inputs(_chain(key_type="ed25519")), "unsupported_key_type", "Ed25519"),
    ("key type mismatch names types", _other_key_type, "key_mismatch", "RSA"),
    ("weak key names bits", lambda: _inputs(_chain(key_type="rsa", key_size=1024)), "weak_key", "1024"),
    ("weak signature names hash", _sha1_intermediate, "weak_signature", "SHA1"),
    ("gap names missing issuer", _missing_middle_intermediate, "chain_incomplete", "Example Test Issuing CA 1"),
]


@pytest.mark.parametrize(("build", "code", "fragment"),
                         [pytest.param(build, code, fragment, id=name) for name, build, code, fragment in MESSAGE_CASES])
def test_problem_message_names_value(build: Callable[[], dict[str, Any]], code: str, fragment: str) -> None:
    messages = [problem.message for problem in _validate(build()).problems if problem.code == code]

    assert messages
    assert any(fragment in message for message in messages), messages


def test_valid_chain_passes_cleanly() -> None:
    result = _validate(_inputs(ca_bundle=_chain().ca_pem()))

    assert result.problems == []
    assert result.warnings == []


@pytest.mark.parametrize("options", [
    {"key_type": "rsa"},
    {"key_type": "rsa", "key_size": 3072},
    {"curve": "secp384r1"},
    {"curve": "secp521r1"},
    {"intermediate_count": 2},
])
def test_valid_key_kinds_pass(options: dict[str, Any]) -> None:
    chain = _chain(**options)

    result = _validate(_inputs(chain, ca_bundle=chain.ca_pem()))

    assert result.problems == [], [problem.message for problem in result.problems]


def test_wildcard_san_covers_host() -> None:
    chain = build_chain(("*.example.com",), now=NOW)

    assert _validate(_inputs(chain, hostname="chat.example.com")).ok


def test_many_faults_reported_together() -> None:
    chain = _chain(key_type="rsa", key_size=1024, leaf_not_before=NOW - 90 * DAY, leaf_not_after=NOW - DAY)

    codes = _codes(_validate(_inputs(chain, hostname="chat.example.com",
                                     private_key=_chain().key_pem())).problems)

    assert "weak_key" in codes
    assert "certificate_expired" in codes
    assert "hostname_mismatch" in codes
    assert "key_mismatch" in codes


def test_ca_bundle_anchors_chain() -> None:
    result = _validate(_inputs(ca_bundle=_chain().ca_pem()))

    assert "chain_untrusted" not in _codes(result.warnings)


def test_ca_bundle_with_intermediate_anchors() -> None:
    chain = _chain()

    result = _validate(_inputs(ca_bundle=chain.intermediates[0].pem))

    assert "chain_untrusted" not in _codes(result.problems)


def test_self_signed_in_ca_bundle() -> None:
    chain = _chain(self_signed=True)

    result = _validate(_inputs(chain, ca_bundle=chain.leaf.pem))

    assert result.problems == []


def test_root_removed_from_canonical_chain() -> None:
    chain = _chain()

    result = _validate(_inputs(certificate=chain.chain_pem(include_root=True)))

    assert result.certificate_chain_pem == chain.chain_pem()


def test_duplicate_removed_from_canonical_chain() -> None:
    result = _validate(_duplicate_leaf())

    assert result.certificate_chain_pem == _chain().chain_pem()


def test_many_copies_one_warning() -> None:
    chain = _chain()
    result = _validate(_inputs(certificate=chain.leaf.pem * 50 + chain.intermediates[0].pem))
    duplicates = [warning for warning in result.warnings if warning.code == "duplicate_certificate"]

    assert len(duplicates) == 1
    assert "49 extra copies" in duplicates[0].message


def test_canonical_chain_drops_junk_and_crlf() -> None:
    chain = _chain()
    messy = "subject=/CN=demo\r\n" + chain.chain_pem().replace("\n", "\r\n") + "\r\nissuer=/CN=ca\r\n"

    result = _validate(_inputs(certificate=messy))

    assert result.certificate_chain_pem == chain.chain_pem()


def test_canonical_chain_joins_glued_blocks() -> None:
    chain = _chain()
    glued = chain.chain_pem().replace("-----END CERTIFICATE-----\n", "-----END CERTIFICATE-----")

    result = _validate(_inputs(certificate=glued))

    assert result.certificate_chain_pem == chain.chain_pem()


@pytest.mark.parametrize("key_format", ["pkcs8", "traditional"])
def test_encrypted_key_stored_unencrypted(key_format: str) -> None:
    chain = _chain(key_type="rsa")

    result = _validate(_inputs(chain, private_key=chain.key_pem("pw", key_format), passphrase="pw"))

    assert result.problems == []
    assert result.private_key_pem == chain.key_pem()


def test_sec1_key_after_ec_parameters() -> None:
    chain = _chain()
    parameters = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"

    result = _validate(_inputs(private_key=parameters + chain.key_pem(key_format="traditional")))

    assert result.private_key_pem == chain.key_pem()


def test_leaf_details_are_returned() -> None:
    chain = _chain()
    leaf = chain.leaf.certificate

    result = _validate(_inputs())

    assert result.subject == leaf.subject.rfc4514_string()
    assert result.dns_names == [HOST]
    assert result.not_before == leaf.not_valid_before_utc
    assert result.not_after == leaf.not_valid_after_utc
    assert result.fingerprint_sha256 == leaf.fingerprint(leaf.signature_hash_algorithm).hex(":").upper()


def test_fingerprint_has_colon_hex() -> None:
    fingerprint = _validate(_inputs()).fingerprint_sha256

    assert len(fingerprint.split(":")) == 32
    assert fingerprint == fingerprint.upper()


def test_hostname_stored_lowercase() -> None:
    assert _validate(_inputs(hostname="Demo.Example.COM")).hostname == HOST


def test_u_label_hostname_matches_a_label_san() -> None:
    chain = build_chain(("xn--bcher-kva.example.com",), now=NOW)

    result = _validate(_inputs(chain, hostname="bücher.example.com"))

    assert result.hostname == "xn--bcher-kva.example.com"
    assert result.problems == []


def test_expiring_soon_respects_days_setting() -> None:
    result = _validate(_inputs(_chain(leaf_not_after=NOW + 10 * DAY), expiring_soon_days=5))

    assert "expiring_soon" not in _codes(result.warnings)


def test_naive_now_is_treated_as_utc() -> None:
    result = _validate(_inputs(now=NOW.replace(tzinfo=None)))

    assert result.ok


def test_problems_clear_canonical_chain() -> None:
    assert _validate(_reversed_chain()).certificate_chain_pem == ""


def test_cut_off_block_clears_chain() -> None:
    assert _validate(_cut_off_chain()).certificate_chain_pem == ""


def test_key_in_certificate_not_echoed() -> None:
    key_pem = _chain().key_pem()
    key_lines = [line for line in key_pem.splitlines() if not line.startswith("-----")]

    result = _validate(_inputs(certificate=key_pem))
    text = " ".join(problem.message for problem in result.problems + result.warnings)

    for line in key_lines:
        assert line not in text


def test_combined_pem_as_key_accepted() -> None:
    chain = _chain()

    result = _validate(_inputs(private_key=chain.chain_pem() + chain.key_pem()))

    assert result.problems == []
    assert result.private_key_pem == chain.key_pem()


def test_key_line_hostname_not_echoed() -> None:
    # Letters and digits only, so it passes as a one-label DNS name.
    key_line = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7abc"

    result = _validate(_inputs(hostname=key_line))
    text = " ".join(problem.message for problem in result.problems)

    assert "hostname_mismatch" in _codes(result.problems)
    assert key_line.lower() not in text


def test_result_repr_hides_key() -> None:
    result = _validate(_inputs())

    assert result.private_key_pem
    assert result.private_key_pem not in repr(result)
    assert "PRIVATE KEY" not in repr(result)


def test_certificate_bytes_accepted() -> None:
    chain = _chain()

    result = _validate(_inputs(certificate=chain.chain_pem().encode(), private_key=chain.key_pem().encode()))

    assert result.ok


def test_any_extended_key_usage_accepted() -> None:
    chain = _chain(extended_key_usage=(x509.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,))

    assert "not_server_certificate" not in _codes(_validate(_inputs(chain)).problems)


def test_system_trust_store_anchors_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = _chain()
    monkeypatch.setattr(_tls, "_system_trust_store", lambda: (chain.root.certificate,))

    result = _validate(_inputs(chain))

    assert "chain_untrusted" not in _codes(result.warnings)


def test_system_trust_store_loads() -> None:
    assert len(_tls._system_trust_store()) > 10


def test_sha1_signature_still_links_chain() -> None:
    result = _validate(_inputs(_chain(key_type="rsa", hash_name="sha1", ca_key=_rsa_ca_key())))

    assert "chain_signature_invalid" not in _codes(result.problems)


def test_root_sha1_self_signature_ignored() -> None:
    chain = _chain(root_hash_name="sha1", ca_key=_rsa_ca_key())

    result = _validate(_inputs(chain, certificate=chain.chain_pem(include_root=True)))

    assert "weak_signature" not in _codes(result.problems)
    assert "root_included" in _codes(result.warnings)


def test_ca_bundle_problem_names_option() -> None:
    messages = [problem.message for problem in _validate(_inputs(ca_bundle="not a pem")).problems]

    assert any("ca_bundle" in message for message in messages)


def test_strict_verifier_rejection_warns() -> None:
    # CA certificates without keyUsage anchor by name and signature, but the
    # RFC 5280 verifier of cryptography requires that extension.
    dates = {"not_before": NOW - DAY, "not_after": NOW + 365 * DAY}
    root = issue_certificate("Root Without Key Usage", make_key(), None, ca=True, key_usage=None, **dates)
    intermediate = issue_certificate("Issuing Without Key Usage", make_key(), root, ca=True, key_usage=None, **dates)
    leaf = issue_certificate(HOST, make_key(), intermediate, dns_names=(HOST,), **dates)
    chain = Chain(leaf, [intermediate], root)

    result = _validate(_inputs(chain, ca_bundle=chain.ca_pem()))

    assert result.problems == []
    assert "chain_untrusted" in _codes(result.warnings)


def test_expiring_soon_counts_whole_days() -> None:
    result = _validate(_inputs(_chain(leaf_not_after=NOW + 10 * DAY)))

    messages = [warning.message for warning in result.warnings if warning.code == "expiring_soon"]
    assert "in 10 days" in messages[0]


def test_tlsfactory_files_validate(tmp_path: Path) -> None:
    tlsfactory_main(["--hostname", "chat.example.com", "--out", str(tmp_path), "--days", "60"])

    result = validate_tls("chat.example.com", (tmp_path / "cert.pem").read_text(), (tmp_path / "key.pem").read_text(),
                          ca_bundle=(tmp_path / "ca.pem").read_text())

    assert result.problems == []
    assert result.warnings == []
    assert (tmp_path / "key.pem").stat().st_mode & 0o077 == 0
