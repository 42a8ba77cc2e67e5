# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-certificate checks: validity dates, serial, signature hash, key strength and server usage.

The leaf is also checked against the private key. Each check returns the
Problems of the certificate it is given. Which certificates are checked,
and in which role (leaf, intermediate, root), is decided in _tls.
"""

from __future__ import annotations

import datetime
import warnings
from typing import Any

from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem
from ansible_collections.gaap.genai.plugins.module_utils._tls_wording import _date, _describe

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
    from cryptography.x509.oid import ExtendedKeyUsageOID
except ImportError as error:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: ImportError | None = error
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

if HAS_CRYPTOGRAPHY:
    _EKU_NAMES = {
        ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
        ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
        ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
        ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
        ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
        ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    }

# Envoy rejects RSA server certificates under 2048 bits. Since Envoy 1.33
# (envoyproxy/envoy pull request 36369, in Envoy Gateway 1.3 and later) it
# accepts ECDSA leaf keys on P-256, P-384 and P-521. Older versions take P-256 only.
MIN_RSA_BITS = 2048
ALLOWED_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
# Browsers and current TLS libraries reject certificates signed with these.
WEAK_SIGNATURE_HASHES = frozenset({"sha1", "md5"})


def _public_key_der(key: Any) -> bytes | None:
    try:
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None


def _certificate_public_key(certificate: Any) -> Any:
    try:
        return certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None


def _validity_problems(certificate: Any, role: str, now: datetime.datetime) -> list[Problem]:
    not_before = certificate.not_valid_before_utc
    not_after = certificate.not_valid_after_utc
    span = f"valid from {_date(not_before)} to {_date(not_after)}"

    if now > not_after:
        return [Problem("certificate_expired",
                        f"The {role} {_describe(certificate)} expired on {_date(not_after)} ({span}); "
                        "renew it and supply the new certificate.")]
    if now < not_before:
        return [Problem("certificate_not_yet_valid",
                        f"The {role} {_describe(certificate)} is not valid before {_date(not_before)} ({span}); "
                        "wait until then or check the clock of the CA that issued it.")]
    return []


def _serial_problems(certificate: Any, role: str) -> list[Problem]:
    with warnings.catch_warnings():
        # cryptography warns about a negative serial number, which this check reports.
        warnings.simplefilter("ignore")
        serial_number = certificate.serial_number
    if serial_number >= 0:
        return []
    # NOTE: the Go rule is from the Go 1.23 release notes (x509negativeserial); Envoy Gateway is built with Go.
    return [Problem("certificate_unreadable",
                    f"The {role} {_describe(certificate)} has a negative serial number, which RFC 5280 forbids "
                    "and which Envoy Gateway cannot parse (Go crypto/x509 rejects it since Go 1.23); have it "
                    "reissued by your CA.")]


def _key_description(public_key: Any) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA {public_key.key_size}-bit"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC {ALLOWED_CURVES.get(public_key.curve.name, public_key.curve.name)}"
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA"
    if isinstance(public_key, x25519.X25519PublicKey):
        return "X25519"
    if isinstance(public_key, x448.X448PublicKey):
        return "X448"
    return type(public_key).__name__


def _key_strength_problems(public_key: Any, role: str, certificate: Any) -> list[Problem]:
    name = f"The {role} {_describe(certificate)}"
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_BITS:
            return [Problem("weak_key", f"{name} has an RSA key of {public_key.key_size} bits; clients reject "
                                        f"keys under {MIN_RSA_BITS} bits, so reissue it with RSA 2048 or more "
                                        "or EC P-256.")]
        return []
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.name not in ALLOWED_CURVES:
            return [Problem("weak_key", f"{name} has an EC key on curve {public_key.curve.name}; Envoy and "
                                        "TLS clients accept only P-256, P-384 and P-521, so reissue it on P-256.")]
        return []
    if role == "leaf certificate":
        return [Problem("unsupported_key_type", f"{name} has a key of type {_key_description(public_key)}, "
                                                "which Envoy cannot serve; reissue it with an RSA (2048 bits or more) or "
                                                "EC P-256 key.")]
    return []


def _key_match_problems(leaf: Any, key: Any) -> list[Problem]:
    public_key = _certificate_public_key(leaf)
    if public_key is None:
        return []

    certificate_kind = _key_description(public_key).split()[0]
    key_kind = _key_description(key.public_key()).split()[0]
    if certificate_kind != key_kind:
        return [Problem("key_mismatch", f"The private_key is an {key_kind} key, but the leaf certificate "
                                        f"{_describe(leaf)} holds an {certificate_kind} key; supply the key "
                                        "that was generated with this certificate's request.")]

    if _public_key_der(public_key) != _public_key_der(key.public_key()):
        return [Problem("key_mismatch", f"The private_key does not belong to the leaf certificate "
                                        f"{_describe(leaf)}; supply the key that was generated with this "
                                        "certificate's request.")]
    return []


def _signature_problems(certificate: Any, role: str) -> list[Problem]:
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return []
    if algorithm is None or algorithm.name not in WEAK_SIGNATURE_HASHES:
        return []
    return [Problem("weak_signature", f"The {role} {_describe(certificate)} is signed with "
                                      f"{algorithm.name.upper()}, which clients reject; have it reissued "
                                      "with SHA-256.")]


def _server_usage_problems(leaf: Any) -> list[Problem]:
    problems = []
    try:
        usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        usage = None
    if usage is not None:
        allowed = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
        if not allowed.intersection(usage):
            names = ", ".join(_EKU_NAMES.get(oid, oid.dotted_string) for oid in usage) or "nothing"
            problems.append(Problem("not_server_certificate",
                                    f"The leaf certificate {_describe(leaf)} allows only {names} "
                                    "(extendedKeyUsage) and not serverAuth; request a TLS server certificate."))

    try:
        key_usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        key_usage = None
    if key_usage is not None and not key_usage.digital_signature:
        problems.append(Problem("not_server_certificate",
                                f"The leaf certificate {_describe(leaf)} has a keyUsage without "
                                "digitalSignature, which TLS servers need to sign the handshake; request a TLS "
                                "server certificate."))
    return problems
