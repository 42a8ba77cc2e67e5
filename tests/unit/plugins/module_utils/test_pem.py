"""PEM splitting, identification of pasted data, and loading of certificates and keys."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.gaap.genai.plugins.module_utils._pem import (
    identify_data,
    load_certificates,
    load_private_key,
    private_key_to_pkcs8,
    scan_pem,
)
from tlsfactory import build_chain, make_key


@pytest.fixture(scope="module")
def chain():
    return build_chain(("demo.example.com",))


@pytest.fixture(scope="module")
def rsa_chain():
    return build_chain(("demo.example.com",), key_type="rsa")


def _reasons(issues: list) -> list[str]:
    return [issue.reason for issue in issues]


def test_scan_finds_blocks_in_order(chain) -> None:
    scan = scan_pem(chain.chain_pem())

    assert [block.label for block in scan.blocks] == ["CERTIFICATE", "CERTIFICATE"]
    assert scan.cut_off == []


def test_scan_accepts_crlf_and_text(chain) -> None:
    text = "subject=/CN=demo\r\n" + chain.chain_pem().replace("\n", "\r\n") + "issuer=/CN=ca\r\n"

    parse = load_certificates(text)

    assert parse.issues == []
    assert len(parse.certificates) == 2


def test_scan_accepts_blocks_without_newline(chain) -> None:
    joined = chain.chain_pem().replace("-----END CERTIFICATE-----\n", "-----END CERTIFICATE-----")

    parse = load_certificates(joined)

    assert "-----END CERTIFICATE----------BEGIN CERTIFICATE-----" in joined
    assert parse.issues == []
    assert len(parse.certificates) == 2


def test_block_round_trips_to_pem(chain) -> None:
    pem = chain.leaf.pem

    assert scan_pem(pem).blocks[0].to_pem() == pem


def test_block_repr_hides_body(chain) -> None:
    block = scan_pem(chain.key_pem()).blocks[0]

    assert block.der is not None
    assert repr(block.der) not in repr(block)


def test_cut_off_block_missing_end(chain) -> None:
    pem = chain.chain_pem()
    truncated = pem[: pem.rindex("-----END")]

    parse = load_certificates(truncated)

    assert _reasons(parse.issues) == ["cut_off"]
    assert len(parse.certificates) == 1


def test_cut_off_block_followed_by_another(chain) -> None:
    leaf = chain.leaf.pem
    text = leaf[: leaf.index("-----END")] + chain.intermediates[0].pem

    parse = load_certificates(text)

    assert _reasons(parse.issues) == ["cut_off"]
    assert parse.issues[0].position == 1


def test_block_missing_begin(chain) -> None:
    leaf = chain.leaf.pem
    text = leaf[leaf.index("\n") + 1:]

    assert _reasons(load_certificates(text).issues) == ["cut_off"]


def test_mismatched_end_label_cut_off(chain) -> None:
    leaf = chain.leaf.pem
    text = leaf.replace("-----END CERTIFICATE-----", "-----END PRIVATE KEY-----")

    parse = load_certificates(text)

    assert _reasons(parse.issues) == ["cut_off"]
    assert parse.issues[0].label == "CERTIFICATE"


def test_damaged_base64_is_reported(chain) -> None:
    lines = chain.leaf.pem.splitlines()
    lines[3] = lines[3][:10] + "!!" + lines[3][12:]

    assert _reasons(load_certificates("\n".join(lines)).issues) == ["damaged"]


def test_truncated_body_is_damaged(chain) -> None:
    lines = chain.leaf.pem.splitlines()
    shortened = "\n".join(lines[:3] + lines[-1:])

    assert _reasons(load_certificates(shortened).issues) == ["damaged"]


def test_private_key_in_certificate_field(chain) -> None:
    parse = load_certificates(chain.key_pem())

    assert _reasons(parse.issues) == ["private_key"]


def test_certificate_request_is_wrong_label() -> None:
    text = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"

    parse = load_certificates(text)

    assert _reasons(parse.issues) == ["wrong_label"]
    assert parse.issues[0].label == "CERTIFICATE REQUEST"


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "empty"),
    (b"  \n\t", "empty"),
    (b"/etc/ssl/cert.pem", "text"),
    (b"\x00\x01\x02\xff", "binary"),
])
def test_identify_plain_data(data: bytes, expected: str) -> None:
    assert identify_data(data) == expected


def test_identify_der_certificate(chain) -> None:
    der = chain.leaf.certificate.public_bytes(serialization.Encoding.DER)

    assert identify_data(der) == "der_certificate"


def test_identify_der_private_key(chain) -> None:
    der = chain.leaf.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())

    assert identify_data(der) == "der_private_key"


def test_identify_pkcs12_bundle(chain) -> None:
    bundle = pkcs12.serialize_key_and_certificates(b"demo", chain.leaf.key, chain.leaf.certificate, None,
                                                   serialization.BestAvailableEncryption(b"secret"))

    assert identify_data(bundle) == "pkcs12"


def test_identify_base64_of_pem(chain) -> None:
    encoded = base64.b64encode(chain.chain_pem().encode())

    assert identify_data(encoded) == "base64_pem"


def test_identify_base64_of_der(chain) -> None:
    encoded = base64.b64encode(chain.leaf.certificate.public_bytes(serialization.Encoding.DER))

    assert identify_data(encoded) == "base64_der_certificate"


@pytest.mark.parametrize("key_format", ["pkcs8", "traditional"])
def test_load_unencrypted_key_formats(rsa_chain, key_format: str) -> None:
    parse = load_private_key(rsa_chain.key_pem(key_format=key_format))

    assert parse.issues == []
    assert parse.key is not None


@pytest.mark.parametrize("key_format", ["pkcs8", "traditional"])
def test_load_encrypted_key_formats(chain, key_format: str) -> None:
    parse = load_private_key(chain.key_pem(passphrase="s3cret", key_format=key_format), "s3cret")

    assert parse.issues == []
    assert parse.encrypted


def test_load_key_after_ec_parameters(chain) -> None:
    parameters = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"

    parse = load_private_key(parameters + chain.key_pem(key_format="traditional"))

    assert parse.issues == []
    assert parse.key is not None


def test_encrypted_key_without_passphrase(chain) -> None:
    parse = load_private_key(chain.key_pem(passphrase="s3cret"))

    assert _reasons(parse.issues) == ["encrypted_no_passphrase"]


@pytest.mark.parametrize("key_format", ["pkcs8", "traditional"])
def test_encrypted_key_wrong_passphrase(chain, key_format: str) -> None:
    parse = load_private_key(chain.key_pem(passphrase="s3cret", key_format=key_format), "wrong")

    assert _reasons(parse.issues) == ["wrong_passphrase"]


def test_passphrase_ignored_for_plain_key(chain) -> None:
    assert load_private_key(chain.key_pem(), "unused").issues == []


def test_certificate_in_key_field(chain) -> None:
    assert _reasons(load_private_key(chain.leaf.pem).issues) == ["certificate"]


def test_certificate_next_to_key_ignored(chain) -> None:
    parse = load_private_key(chain.leaf.pem + chain.key_pem())

    assert parse.issues == []
    assert parse.key is not None


def test_two_keys_are_rejected(chain) -> None:
    other = build_chain(("other.example.com",))

    assert _reasons(load_private_key(chain.key_pem() + other.key_pem()).issues) == ["several_keys"]


def test_openssh_key_is_unsupported() -> None:
    text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----\n"

    assert _reasons(load_private_key(text).issues) == ["unsupported_format"]


def test_key_reserialized_as_pkcs8() -> None:
    key = make_key("rsa")

    pem = private_key_to_pkcs8(key)

    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
