# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PEM parsing: split text into blocks, identify what was pasted, load certificates and keys.

This file only parses and reports what it found, as PemIssue reasons.
Whether a finding is acceptable, and how to word it, is decided in _tls.
Nothing here raises for bad input.
"""

from __future__ import annotations

import base64
import binascii
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
except ImportError as error:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: ImportError | None = error
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

CERTIFICATE_LABELS = frozenset({"CERTIFICATE", "X509 CERTIFICATE"})
PRIVATE_KEY_LABELS = frozenset(
    {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY"}
)
# Blocks that may sit next to a key without being one: 'openssl ecparam
# -genkey' writes the curve parameters before the SEC1 key.
IGNORED_KEY_FIELD_LABELS = frozenset({"EC PARAMETERS"})
UNSUPPORTED_KEY_LABELS = frozenset({"OPENSSH PRIVATE KEY", "SSH2 ENCRYPTED PRIVATE KEY"})

_MARKER = re.compile(r"-----(BEGIN|END) ([A-Z0-9][A-Z0-9 #/_.]{0,63}?)-----")
_BASE64_TEXT = re.compile(rb"^[A-Za-z0-9+/=\s]+$")
# pkcs7-data (1.2.840.113549.1.7.1), which a PKCS#12 file contains near its start.
_PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")
_PEM_WIDTH = 64


@dataclass(frozen=True)
class PemBlock:
    """One BEGIN/END block: its label, RFC 1421 headers and decoded body (None if not base64)."""

    label: str
    headers: tuple[tuple[str, str], ...]
    # Left out of repr() because the body of a key block is the key itself.
    der: bytes | None = field(repr=False)
    position: int = 0

    def to_pem(self) -> str:
        """Render the block with LF line ends and 64-character lines."""
        lines = [f"-----BEGIN {self.label}-----"]
        for name, value in self.headers:
            lines.append(f"{name}: {value}")
        if self.headers:
            lines.append("")

        encoded = base64.b64encode(self.der or b"").decode("ascii")
        for start in range(0, len(encoded), _PEM_WIDTH):
            lines.append(encoded[start:start + _PEM_WIDTH])

        lines.append(f"-----END {self.label}-----")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PemIssue:
    """A parsing finding: a reason word, the 1-based block position it concerns and the block label."""

    reason: str
    position: int | None = None
    label: str = ""


@dataclass
class PemScan:
    """Blocks found in a text, and blocks whose BEGIN or END line is missing."""

    blocks: list[PemBlock] = field(default_factory=list)
    cut_off: list[PemIssue] = field(default_factory=list)


@dataclass
class CertificateParse:
    """Certificates loaded from a field, in the order given, and what could not be loaded."""

    certificates: list[Any] = field(default_factory=list)
    issues: list[PemIssue] = field(default_factory=list)


@dataclass
class KeyParse:
    """The private key loaded from a field (None if it failed) and what went wrong."""

    key: Any = None
    encrypted: bool = False
    issues: list[PemIssue] = field(default_factory=list)


def to_bytes(data: str | bytes | None) -> bytes:
    """Return field data as bytes; text that came from undecodable bytes is restored."""
    if data is None:
        return b""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)

    try:
        return str(data).encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return str(data).encode("utf-8", "replace")


def _parse_body(body: str) -> tuple[tuple[tuple[str, str], ...], bytes | None]:
    lines = [line.strip() for line in body.replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)

    headers = []
    if lines and ":" in lines[0]:
        while lines and lines[0]:
            name, colon, value = lines.pop(0).partition(":")
            headers.append((name.strip(), value.strip()))

    encoded = "".join("".join(lines).split())
    try:
        der = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        der = None
    if not der:
        der = None
    return tuple(headers), der


def scan_pem(data: str | bytes | None) -> PemScan:
    """Split text into PEM blocks, ignoring text between them.

    CRLF line ends, text such as subject= lines around blocks, and blocks
    written without a newline between them are all accepted. A BEGIN line
    without its END line before the next BEGIN, or an END line without a
    BEGIN, is listed in cut_off.
    """
    text = to_bytes(data).decode("latin-1")
    scan = PemScan()
    open_label = None
    open_end = 0
    position = 0

    for marker in _MARKER.finditer(text):
        kind, label = marker.group(1), marker.group(2)
        if kind == "BEGIN":
            position += 1
            if open_label is not None:
                scan.cut_off.append(PemIssue("cut_off", position - 1, open_label))
            open_label = label
            open_end = marker.end()
            continue

        if open_label is None:
            position += 1
            scan.cut_off.append(PemIssue("cut_off", position, label))
            continue
        if label != open_label:
            scan.cut_off.append(PemIssue("cut_off", position, open_label))
            open_label = None
            continue

        headers, der = _parse_body(text[open_end:marker.start()])
        scan.blocks.append(PemBlock(label, headers, der, position))
        open_label = None

    if open_label is not None:
        scan.cut_off.append(PemIssue("cut_off", position, open_label))
    return scan


def _load_der_certificate(der: bytes) -> Any:
    """Load a DER certificate and parse the fields that cryptography decodes lazily.

    Raises ValueError for a certificate whose names, dates or extensions
    cannot be parsed, so that the caller finds out here rather than later.
    """
    with warnings.catch_warnings():
        # cryptography warns about a negative serial number. _tls reports it
        # as a problem, so the warning would only repeat it on stderr.
        warnings.simplefilter("ignore")
        certificate = x509.load_der_x509_certificate(der)
        parsed_fields = (certificate.subject, certificate.issuer, certificate.extensions, certificate.serial_number,
                         certificate.not_valid_before_utc, certificate.not_valid_after_utc)
    return certificate


def _looks_like_pkcs12(data: bytes) -> bool:
    # PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo (pkcs7-data), ... }
    return data[:1] == b"\x30" and b"\x02\x01\x03" in data[:8] and _PKCS7_DATA_OID in data[:32]


def _identify_der(data: bytes) -> str | None:
    if data[:1] != b"\x30":
        return None
    if _looks_like_pkcs12(data):
        return "pkcs12"

    try:
        _load_der_certificate(data)
        return "der_certificate"
    except ValueError:
        pass

    try:
        serialization.load_der_private_key(data, password=None)
        return "der_private_key"
    except TypeError:
        # Raised for an encrypted key when no password is given.
        return "der_private_key"
    except (ValueError, UnsupportedAlgorithm):
        return None


def identify_data(data: bytes) -> str:
    """Name what a field without PEM blocks contains, for a hint in the message.

    Returns one of: empty, pkcs12, der_certificate, der_private_key,
    base64_pem, base64_der_certificate, base64_der, text, binary.
    """
    if not data.strip():
        return "empty"

    der_kind = _identify_der(data)
    if der_kind is not None:
        return der_kind

    if _BASE64_TEXT.match(data):
        try:
            decoded = base64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if b"-----BEGIN " in decoded:
            return "base64_pem"
        if _identify_der(decoded) == "der_certificate":
            return "base64_der_certificate"
        if decoded[:1] == b"\x30":
            return "base64_der"

    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "binary"
    return "text"


def load_certificates(data: str | bytes | None) -> CertificateParse:
    """Load every CERTIFICATE block of a field and report every other block and gap."""
    raw = to_bytes(data)
    scan = scan_pem(raw)
    result = CertificateParse()

    if not scan.blocks and not scan.cut_off:
        result.issues.append(PemIssue(identify_data(raw)))
        return result

    for block in scan.blocks:
        if block.label in PRIVATE_KEY_LABELS or block.label in UNSUPPORTED_KEY_LABELS:
            result.issues.append(PemIssue("private_key", block.position, block.label))
            continue
        if block.label not in CERTIFICATE_LABELS:
            result.issues.append(PemIssue("wrong_label", block.position, block.label))
            continue
        if block.der is None:
            result.issues.append(PemIssue("damaged", block.position, block.label))
            continue

        try:
            result.certificates.append(_load_der_certificate(block.der))
        except ValueError:
            result.issues.append(PemIssue("damaged", block.position, block.label))

    result.issues.extend(scan.cut_off)
    return result


def _is_encrypted(block: PemBlock) -> bool:
    if block.label == "ENCRYPTED PRIVATE KEY":
        return True
    return any(name.lower() == "proc-type" and "ENCRYPTED" in value.upper() for name, value in block.headers)


def load_private_key(data: str | bytes | None, passphrase: str | bytes | None = None) -> KeyParse:
    """Load the one private key of a field (PKCS#1, SEC1 or PKCS#8, encrypted or not)."""
    raw = to_bytes(data)
    scan = scan_pem(raw)
    result = KeyParse()

    if not scan.blocks and not scan.cut_off:
        result.issues.append(PemIssue(identify_data(raw)))
        return result

    key_blocks = []
    certificate_blocks = []
    for block in scan.blocks:
        if block.label in PRIVATE_KEY_LABELS:
            key_blocks.append(block)
        elif block.label in IGNORED_KEY_FIELD_LABELS:
            continue
        elif block.label in CERTIFICATE_LABELS:
            certificate_blocks.append(block)
        elif block.label in UNSUPPORTED_KEY_LABELS:
            result.issues.append(PemIssue("unsupported_format", block.position, block.label))
        else:
            result.issues.append(PemIssue("wrong_label", block.position, block.label))
    result.issues.extend(scan.cut_off)

    if len(key_blocks) > 1:
        result.issues.append(PemIssue("several_keys"))
        return result
    if not key_blocks:
        # Certificates next to a key (a combined PEM file) are dropped quietly,
        # but certificates instead of a key mean the fields were swapped.
        for block in certificate_blocks:
            result.issues.append(PemIssue("certificate", block.position, block.label))
        if not result.issues:
            result.issues.append(PemIssue("no_key"))
        return result

    block = key_blocks[0]
    result.encrypted = _is_encrypted(block)
    if block.der is None:
        result.issues.append(PemIssue("damaged", block.position, block.label))
        return result
    if result.encrypted and not passphrase:
        result.issues.append(PemIssue("encrypted_no_passphrase", block.position, block.label))
        return result

    password = to_bytes(passphrase) if result.encrypted else None
    try:
        result.key = serialization.load_pem_private_key(block.to_pem().encode("ascii"), password=password)
    except (ValueError, TypeError):
        reason = "wrong_passphrase" if result.encrypted else "damaged"
        result.issues.append(PemIssue(reason, block.position, block.label))
    except UnsupportedAlgorithm:
        result.issues.append(PemIssue("unsupported_algorithm", block.position, block.label))
    return result


def certificate_to_pem(certificate: Any) -> str:
    """Render a certificate as PEM with LF line ends."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def private_key_to_pkcs8(key: Any) -> str:
    """Render a private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
