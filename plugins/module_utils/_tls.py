# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS policy for an endpoint: whether Envoy can serve this hostname, certificate chain and key.

validate_tls parses the inputs with _pem, checks them against the rules
that Envoy and TLS clients apply, and returns every problem at once,
together with warnings and the cleaned-up (canonical) forms to store.
Messages name the value and the fix. They never contain key material.

This file contains the flow and the wording of parse and hostname problems.
The checks themselves live in _chain (issuers, path and order),
_certificate_checks (one certificate at a time) and _trust (anchors).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.gaap.genai.plugins.module_utils._certificate_checks import (
    _certificate_public_key,
    _key_match_problems,
    _key_strength_problems,
    _serial_problems,
    _server_usage_problems,
    _signature_problems,
    _validity_problems,
)
from ansible_collections.gaap.genai.plugins.module_utils._certificate_facts import fingerprint_sha256
from ansible_collections.gaap.genai.plugins.module_utils._chain import (
    _build_path,
    _chain_structure_problems,
    _deduplicate,
    _find_leaf,
    _is_ca,
    _is_self_signed,
    _role,
)
from ansible_collections.gaap.genai.plugins.module_utils._hostname import (
    hostname_problems,
    looks_like_key_material,
    normalize_hostname,
    san_matches,
    show_value,
)
from ansible_collections.gaap.genai.plugins.module_utils._pem import (
    CertificateParse,
    KeyParse,
    PemIssue,
    certificate_to_pem,
    load_certificates,
    load_private_key,
    private_key_to_pkcs8,
)
from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem
from ansible_collections.gaap.genai.plugins.module_utils._tls_wording import _date, _describe
from ansible_collections.gaap.genai.plugins.module_utils._trust import (
    _anchors,
    _chain_end,
    _index_by_subject,
    _strict_verification_warning,
    _system_trust_store,
)

try:
    from cryptography import x509
except ImportError as error:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: ImportError | None = error
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

MAX_SHOWN_NAMES = 10

_DAY = datetime.timedelta(days=1)


@dataclass
class TlsValidation:
    """Result of validate_tls: problems, warnings and the canonical values to store.

    Canonical fields stay "" or None when problems prevent them.
    """

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    hostname: str = ""
    certificate_chain_pem: str = ""
    # Left out of repr() so that printing a result never shows the key.
    private_key_pem: str = field(default="", repr=False)
    fingerprint_sha256: str = ""
    not_before: datetime.datetime | None = None
    not_after: datetime.datetime | None = None
    subject: str = ""
    dns_names: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


# Wording helpers ----------------------------------------------------------


def _list_names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_SHOWN_NAMES])
    if len(names) > MAX_SHOWN_NAMES:
        shown += f" and {len(names) - MAX_SHOWN_NAMES} more"
    return shown


def _block(issue: PemIssue) -> str:
    return f"block {issue.position} ({issue.label})" if issue.position else "the data"


# Parse problems -----------------------------------------------------------

_FIELD_CONTENT_HINTS = {
    "pkcs12": "it looks like a PKCS#12 (.p12/.pfx) file; extract PEM with "
              "'openssl pkcs12 -in FILE -nokeys' for the certificate and '-nocerts -nodes' for the key",
    "der_certificate": "it looks like a DER (binary) certificate; convert it with "
                       "'openssl x509 -inform der -in FILE -out cert.pem'",
    "der_private_key": "it looks like a DER (binary) private key; convert it with "
                       "'openssl pkey -inform der -in FILE -out key.pem'",
    "base64_pem": "it is base64-encoded PEM, as stored in a Kubernetes Secret; decode it with 'base64 -d' first",
    "base64_der_certificate": "it is a base64-encoded certificate without BEGIN/END lines; "
                              "add '-----BEGIN CERTIFICATE-----' and '-----END CERTIFICATE-----' lines around it",
    "base64_der": "it is base64 text without BEGIN/END lines; supply the PEM file as written by your CA",
    "text": "it contains no '-----BEGIN' line; supply the PEM file contents, not a path or a description",
    "binary": "it is binary data that is neither a DER certificate, a DER key nor PKCS#12; supply a PEM file",
}


def _certificate_parse_problems(parse: CertificateParse, field_name: str) -> list[Problem]:
    problems = []
    for issue in parse.issues:
        reason = issue.reason
        if reason == "empty":
            message = (f"The {field_name} is empty; supply the PEM certificate chain "
                       "(leaf first, then intermediates).")
        elif reason in _FIELD_CONTENT_HINTS:
            message = f"The {field_name} is not PEM: {_FIELD_CONTENT_HINTS[reason]}."
        elif reason == "private_key":
            message = (f"The {field_name} contains a private key in {_block(issue)}; move the key to private_key "
                       f"and keep only certificates in {field_name}. Treat that key as exposed if this "
                       "field was shared.")
        elif reason == "wrong_label" and "REQUEST" in issue.label:
            message = (f"The {field_name} contains a certificate signing request (block {issue.position}), not a "
                       "certificate; send the request to your CA and supply the certificate it returns.")
        elif reason == "wrong_label":
            message = (f"The {field_name} contains a {issue.label} block (block {issue.position}), not a "
                       "CERTIFICATE; supply only CERTIFICATE blocks.")
        elif reason == "cut_off":
            message = (f"The {field_name} has a cut-off {issue.label} block (block {issue.position}): its BEGIN "
                       "or END line is missing; copy the whole file again.")
        else:
            message = (f"The {field_name} has a damaged {issue.label} block (block {issue.position}) that is "
                       "not a valid certificate; copy the file again without edits.")
        problems.append(Problem("certificate_unreadable", message))
    return problems


def _key_parse_problems(parse: KeyParse) -> list[Problem]:
    problems = []
    for issue in parse.issues:
        reason = issue.reason
        code = "private_key_unreadable"
        if reason == "empty":
            message = "The private_key is empty; supply the PEM private key that belongs to the certificate."
        elif reason in _FIELD_CONTENT_HINTS:
            message = f"The private_key is not PEM: {_FIELD_CONTENT_HINTS[reason]}."
        elif reason == "certificate":
            message = (f"The private_key contains a certificate in {_block(issue)}, not a key; put certificates in "
                       "certificate and the matching private key in private_key.")
        elif reason == "unsupported_format":
            message = (f"The private_key is an {issue.label} block; convert it to PKCS#8 PEM with "
                       "'ssh-keygen -p -m PKCS8 -f FILE' or 'openssl pkey -in FILE'.")
        elif reason == "wrong_label":
            message = (f"The private_key contains a {issue.label} block (block {issue.position}), which is not a "
                       "private key; supply the PRIVATE KEY block only.")
        elif reason == "cut_off":
            message = (f"The private_key has a cut-off {issue.label} block (block {issue.position}): its BEGIN or "
                       "END line is missing; copy the whole key file again.")
        elif reason == "several_keys":
            message = "The private_key contains more than one private key; supply only the key of the leaf certificate."
        elif reason == "no_key":
            message = "The private_key contains no PRIVATE KEY block; supply the PEM private key."
        elif reason == "encrypted_no_passphrase":
            code = "private_key_encrypted"
            message = ("The private_key is encrypted; set passphrase to decrypt it, or supply the key "
                       "unencrypted ('openssl pkey -in FILE -out key.pem').")
        elif reason == "wrong_passphrase":
            code = "private_key_encrypted"
            message = ("The private_key could not be decrypted with the given passphrase; check the passphrase "
                       "(or that the key file is complete).")
        elif reason == "unsupported_algorithm":
            message = (f"The private_key ({issue.label}) uses an algorithm or cipher that cannot be read; "
                       "convert it with 'openssl pkey -in FILE -out key.pem'.")
        else:
            message = (f"The private_key has a damaged {issue.label} block that is not a valid key; copy the key "
                       "file again without edits.")
        problems.append(Problem(code, message))
    return problems


# Hostname coverage --------------------------------------------------------


def _dns_names(leaf: Any) -> list[str] | None:
    """Return the SAN dNSNames in lower case, None without a SAN extension, [] when it is unreadable.

    _certificate_facts.dns_names returns [] in both cases and keeps the case,
    so it cannot tell the hostname check that the SAN extension is missing.
    """
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:
        return []
    return [name.lower() for name in names.get_values_for_type(x509.DNSName)]


def _hostname_problems(leaf: Any, hostname: str, shown_hostname: str, dns_names: list[str] | None) -> list[Problem]:
    if dns_names is None:
        return [Problem("hostname_mismatch",
                        f"The leaf certificate {_describe(leaf)} has no subjectAltName, and clients ignore the "
                        f"subject CN; have it reissued with {shown_hostname} as a DNS SAN.")]
    if any(san_matches(hostname, san) for san in dns_names):
        return []
    listed = _list_names(dns_names) if dns_names else "none (no DNS names)"
    return [Problem("hostname_mismatch",
                    f"The certificate for {_describe(leaf)} does not cover host {shown_hostname}; its SANs are "
                    f"{listed}. Use a certificate whose SANs include {shown_hostname}, or change hostname to one "
                    "of them.")]


# Entry point ---------------------------------------------------------------


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _as_utc(now: datetime.datetime | None) -> datetime.datetime:
    if now is None:
        return datetime.datetime.now(datetime.timezone.utc)
    if now.tzinfo is None:
        return now.replace(tzinfo=datetime.timezone.utc)
    return now.astimezone(datetime.timezone.utc)


def validate_tls(hostname: str, certificate: str | bytes, private_key: str | bytes,
                 passphrase: str | None = None, ca_bundle: str | bytes | None = None,
                 expiring_soon_days: int = 30, now: datetime.datetime | None = None) -> TlsValidation:
    """Check hostname, certificate chain and private key for an Envoy listener; never raises for bad input."""
    result = TlsValidation(hostname=normalize_hostname(_as_text(hostname)))
    if not HAS_CRYPTOGRAPHY:
        result.problems.append(Problem("certificate_unreadable",
                                       "The Python library cryptography is not installed on the controller; "
                                       "install cryptography 42 or later."))
        return result

    try:
        _validate(result, _as_text(hostname), certificate, private_key, passphrase, ca_bundle,
                  expiring_soon_days, _as_utc(now))
    except Exception as error:  # pylint: disable=broad-exception-caught
        # The contract is to report, never to raise, for any input. Only the
        # exception type is shown because its text could quote the input.
        result.problems.append(Problem("certificate_unreadable",
                                       f"The TLS inputs could not be checked ({type(error).__name__}); check "
                                       "that certificate and private_key are PEM files as written by your CA."))
    return result


def _validate(result: TlsValidation, hostname: str, certificate: str | bytes, private_key: str | bytes,
              passphrase: str | None, ca_bundle: str | bytes | None, expiring_soon_days: int,
              now: datetime.datetime) -> None:
    result.hostname = normalize_hostname(hostname)
    host_problems = hostname_problems(hostname)
    result.problems.extend(host_problems)

    certificate_parse = load_certificates(certificate)
    certificate_problems = _certificate_parse_problems(certificate_parse, "certificate")
    result.problems.extend(certificate_problems)
    key_parse = load_private_key(private_key, passphrase)
    result.problems.extend(_key_parse_problems(key_parse))
    key = key_parse.key
    if key is not None:
        result.private_key_pem = private_key_to_pkcs8(key)

    certificates = _deduplicate(certificate_parse.certificates, result.warnings)
    if not certificates:
        return

    leaf_index = _find_leaf(certificates, key)
    path = _build_path(certificates, leaf_index)
    leaf = certificates[leaf_index]
    _describe_leaf(result, leaf)

    structure_problems = _chain_structure_problems(certificates, path)
    result.problems.extend(structure_problems)
    result.problems.extend(_certificate_problems(certificates, path, now))

    if key is not None:
        result.problems.extend(_key_match_problems(leaf, key))
    result.problems.extend(_server_usage_problems(leaf))
    if not host_problems:
        # A valid name can still be a pasted key line, which must not be repeated.
        shown_hostname = show_value(hostname) if looks_like_key_material(hostname) else result.hostname
        result.problems.extend(_hostname_problems(leaf, result.hostname, shown_hostname, _dns_names(leaf)))

    _leaf_warnings(result, leaf, now, expiring_soon_days)
    chain = [certificates[index] for index in path]
    _trust_findings(result, chain, ca_bundle, now, strict=not result.problems)

    if len(chain) > 1 and _is_self_signed(chain[-1]):
        result.warnings.append(Problem("root_included",
                                       f"The chain ends with the root certificate {_describe(chain[-1])}; it was "
                                       "removed because clients bring their own copy of the root."))
        chain = chain[:-1]
    if not structure_problems and not certificate_problems:
        result.certificate_chain_pem = "".join(certificate_to_pem(item) for item in chain)


def _certificate_problems(certificates: list[Any], path: list[int], now: datetime.datetime) -> list[Problem]:
    """Check dates, serial, signature hash and key strength of each certificate, named by its role."""
    problems = []
    for position, index in enumerate(path):
        certificate = certificates[index]
        role = _role(position, len(path), certificate)
        problems.extend(_validity_problems(certificate, role, now))
        problems.extend(_serial_problems(certificate, role))

        # Clients do not check the signature on a trust anchor, so a root's own hash does not count.
        if not (position > 0 and _is_self_signed(certificate)):
            problems.extend(_signature_problems(certificate, role))

        public_key = _certificate_public_key(certificate)
        if public_key is not None:
            problems.extend(_key_strength_problems(public_key, role, certificate))

    for index in range(len(certificates)):
        if index not in path:
            problems.extend(_validity_problems(certificates[index], "certificate", now))
            problems.extend(_serial_problems(certificates[index], "certificate"))
    return problems


def _describe_leaf(result: TlsValidation, leaf: Any) -> None:
    result.subject = _describe(leaf)
    result.fingerprint_sha256 = fingerprint_sha256(leaf)
    result.not_before = leaf.not_valid_before_utc
    result.not_after = leaf.not_valid_after_utc
    result.dns_names = _dns_names(leaf) or []


def _leaf_warnings(result: TlsValidation, leaf: Any, now: datetime.datetime, expiring_soon_days: int) -> None:
    if _is_ca(leaf):
        result.warnings.append(Problem("leaf_is_ca",
                                       f"The leaf certificate {_describe(leaf)} is a CA certificate "
                                       "(basicConstraints CA:TRUE); some clients reject CA certificates as "
                                       "server certificates, so prefer a certificate with CA:FALSE."))

    remaining = leaf.not_valid_after_utc - now
    if datetime.timedelta(0) <= remaining <= datetime.timedelta(days=expiring_soon_days or 0):
        result.warnings.append(Problem("expiring_soon",
                                       f"The leaf certificate {_describe(leaf)} expires on "
                                       f"{_date(leaf.not_valid_after_utc)}, in {math.ceil(remaining / _DAY)} "
                                       "days; renew it soon."))


def _trust_findings(result: TlsValidation, chain: list[Any], ca_bundle: str | bytes | None,
                    now: datetime.datetime, strict: bool) -> None:
    """Record whether the chain is anchored in ca_bundle, or else in the system trust store."""
    top = chain[-1]
    lone_self_signed = len(chain) == 1 and _is_self_signed(top)
    if lone_self_signed:
        result.warnings.append(Problem("self_signed",
                                       f"The certificate {_describe(top)} is self-signed; clients trust it only "
                                       "if they are given this exact certificate."))

    if ca_bundle is not None and _as_text(ca_bundle).strip():
        bundle_parse = load_certificates(ca_bundle)
        result.problems.extend(_certificate_parse_problems(bundle_parse, "ca_bundle"))
        if not bundle_parse.certificates:
            return
        if not _anchors(top, _index_by_subject(bundle_parse.certificates)):
            result.problems.append(Problem("chain_untrusted",
                                           f"{_chain_end(top)} is not in ca_bundle; add that CA to ca_bundle, or "
                                           "supply a chain that leads to a CA in ca_bundle."))
        elif strict and not _is_ca(chain[0]) and not lone_self_signed:
            result.warnings.extend(_strict_verification_warning(chain, bundle_parse.certificates,
                                                                result.hostname, now))
        return

    if lone_self_signed:
        return
    if not _anchors(top, _index_by_subject(list(_system_trust_store()))):
        result.warnings.append(Problem("chain_untrusted",
                                       f"{_chain_end(top)} is not in the system trust store. That is fine for a private CA, "
                                       "but clients must be given its root; pass ca_bundle to confirm the "
                                       "anchor."))
