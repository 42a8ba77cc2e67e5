"""TLS policy for an endpoint: whether Envoy can serve this hostname, certificate chain and key.

validate_tls parses the inputs with _pem, checks them against the rules
that Envoy and TLS clients apply, and returns every problem at once,
together with warnings and the cleaned-up (canonical) forms to store.
Messages name the value and the fix. They never contain key material.
"""

from __future__ import annotations

import datetime
import functools
import math
import ssl
import warnings
from dataclasses import dataclass, field
from typing import Any

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

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
    from cryptography.x509.oid import ExtendedKeyUsageOID
except ImportError as error:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: ImportError | None = error
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

try:
    from cryptography.x509 import verification as _verification
except ImportError:
    _verification = None

try:
    import certifi
except ImportError:
    certifi = None

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
MAX_SHOWN_NAMES = 10

_DAY = datetime.timedelta(days=1)
_ISSUED = "issued"
_BAD_SIGNATURE = "bad_signature"
_NOT_ISSUED = "not_issued"


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


def _describe(certificate: Any) -> str:
    try:
        return certificate.subject.rfc4514_string() or "(empty subject)"
    except ValueError:
        return "(unreadable subject)"


def _describe_issuer(certificate: Any) -> str:
    try:
        return certificate.issuer.rfc4514_string() or "(empty issuer)"
    except ValueError:
        return "(unreadable issuer)"


def _date(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


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


# Chain structure ----------------------------------------------------------


def _verify_legacy_signature(child: Any, parent: Any) -> bool:
    """Verify a signature that verify_directly_issued_by rejects by algorithm, such as SHA-1 with RSA.

    Such certificates are still reported (weak_signature), but their
    signature must not be mistaken for a wrong issuer.
    """
    public_key = parent.public_key()
    algorithm = child.signature_hash_algorithm
    arguments: tuple[Any, ...]
    if isinstance(public_key, rsa.RSAPublicKey):
        arguments = (child.signature_algorithm_parameters, algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        arguments = (ec.ECDSA(algorithm),)
    elif isinstance(public_key, dsa.DSAPublicKey):
        arguments = (algorithm,)
    else:
        return False
    public_key.verify(child.signature, child.tbs_certificate_bytes, *arguments)
    return True


def _signature_verifies(child: Any, parent: Any) -> bool | None:
    """Verify child's signature with parent's key; None when the algorithm cannot be checked here."""
    try:
        child.verify_directly_issued_by(parent)
        return True
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass

    # Only a weak hash explains the rejection. Anything else, such as a key
    # type that cannot have made this signature, is a wrong issuer.
    if not _signature_problems(child, "certificate"):
        return False
    try:
        return _verify_legacy_signature(child, parent)
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # For example MD5, which the OpenSSL build may refuse to verify at all.
        return None


# Certificates hash and compare by their DER, and chain analysis checks the
# same pairs many times, so each pair is verified once.
@functools.lru_cache(maxsize=256)
def _relation(child: Any, parent: Any) -> str:
    """Tell whether parent issued child: by name and signature, by name only, or not at all.

    A signature whose algorithm cannot be verified counts as issued, because
    the names match and weak_signature already reports the algorithm.
    """
    if child.issuer != parent.subject:
        return _NOT_ISSUED
    if _signature_verifies(child, parent) is False:
        return _BAD_SIGNATURE
    return _ISSUED


def _is_self_signed(certificate: Any) -> bool:
    return _relation(certificate, certificate) == _ISSUED


def _deduplicate(certificates: list[Any], findings: list[Problem]) -> list[Any]:
    unique: list[Any] = []
    seen: set[bytes] = set()
    for certificate in certificates:
        fingerprint = certificate.fingerprint(hashes.SHA256())
        if fingerprint in seen:
            findings.append(Problem("duplicate_certificate",
                                    f"The certificate {_describe(certificate)} appears more than once in "
                                    "certificate; the copy was removed."))
            continue
        seen.add(fingerprint)
        unique.append(certificate)
    return unique


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


def _find_leaf(certificates: list[Any], key: Any) -> int:
    """Pick the leaf: the certificate matching the key, else the first that issued none of the others."""
    if key is not None:
        key_der = _public_key_der(key.public_key())
        for index, certificate in enumerate(certificates):
            public_key = _certificate_public_key(certificate)
            if key_der is not None and public_key is not None and _public_key_der(public_key) == key_der:
                return index

    issuers = set()
    for child_index, child in enumerate(certificates):
        for parent_index, parent in enumerate(certificates):
            if child_index != parent_index and _relation(child, parent) != _NOT_ISSUED:
                issuers.add(parent_index)
    for index in range(len(certificates)):
        if index not in issuers:
            return index
    return 0


def _build_path(certificates: list[Any], leaf_index: int) -> list[int]:
    """Follow issuers from the leaf through the supplied certificates; return their indexes."""
    path = [leaf_index]
    while True:
        current = certificates[path[-1]]
        if _is_self_signed(current):
            return path

        candidates = [index for index in range(len(certificates))
                      if index not in path and _relation(current, certificates[index]) != _NOT_ISSUED]
        if not candidates:
            return path

        # Prefer a parent whose signature verifies, then the one that follows in the input.
        candidates.sort(key=lambda index: (_relation(current, certificates[index]) != _ISSUED,
                                           index != path[-1] + 1))
        path.append(candidates[0])


def _role(position: int, path_length: int, certificate: Any) -> str:
    if position == 0:
        return "leaf certificate"
    if position == path_length - 1 and _is_self_signed(certificate):
        return "root certificate"
    return "intermediate certificate"


def _is_ca(certificate: Any) -> bool | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return None
    except ValueError:
        return None


def _chain_structure_problems(certificates: list[Any], path: list[int]) -> list[Problem]:
    problems = []

    for position in range(len(path) - 1):
        child = certificates[path[position]]
        parent = certificates[path[position + 1]]
        if _relation(child, parent) == _BAD_SIGNATURE:
            problems.append(Problem("chain_signature_invalid",
                                    f"The certificate {_describe(child)} names {_describe(parent)} as its issuer, "
                                    "but its signature does not verify with that certificate's key; get the "
                                    "matching issuer certificate from your CA (it may have been reissued with "
                                    "a new key)."))
        # A self-signed root at the end is removed before serving, and old
        # version 1 roots carry no basicConstraints at all.
        is_removed_root = position + 1 == len(path) - 1 and _is_self_signed(parent)
        if _is_ca(parent) is not True and not is_removed_root:
            problems.append(Problem("chain_incomplete",
                                    f"The certificate {_describe(parent)} issued {_describe(child)} but is not a CA "
                                    "certificate (basicConstraints CA:TRUE is missing), so clients reject the "
                                    "chain; supply the chain of intermediate CA certificates from your CA."))

    if path != list(range(len(path))):
        order = "; ".join(_describe(certificates[index]) for index in path)
        problems.append(Problem("chain_order",
                                f"The certificates are out of order: the leaf must come first and each "
                                f"certificate must be followed by its issuer. Reorder them as: {order}."))

    extras = [index for index in range(len(certificates)) if index not in path]
    if extras:
        top = certificates[path[-1]]
        if _is_self_signed(top):
            for index in extras:
                problems.append(Problem("chain_order",
                                        f"The certificate {_describe(certificates[index])} is not part of the chain "
                                        f"of {_describe(certificates[path[0]])}; remove it."))
        else:
            following = certificates[extras[0]]
            others = f" and {len(extras) - 1} more, which follow," if len(extras) > 1 else ", which follows,"
            problems.append(Problem("chain_incomplete",
                                    f"The issuer of {_describe(top)} ({_describe_issuer(top)}) is missing: "
                                    f"{_describe(following)}{others} did not issue it. Insert the "
                                    f"certificate of {_describe_issuer(top)} from your CA right after "
                                    f"{_describe(top)}, and remove certificates that do not belong to this chain."))
    return problems


# Per-certificate checks ----------------------------------------------------


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


def _dns_names(leaf: Any) -> list[str] | None:
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


# Trust anchors -------------------------------------------------------------


def _index_by_subject(certificates: list[Any]) -> dict[Any, list[Any]]:
    index: dict[Any, list[Any]] = {}
    for certificate in certificates:
        index.setdefault(certificate.subject, []).append(certificate)
    return index


@functools.lru_cache(maxsize=1)
def _system_trust_store() -> tuple[Any, ...]:
    """Load the system trust anchors: certifi if installed, else the OpenSSL default CA file."""
    paths = []
    if certifi is not None:
        paths.append(certifi.where())
    else:
        # NOTE: only the CA file is read; a hashed CA directory (capath) alone is not searched.
        defaults = ssl.get_default_verify_paths()
        paths.extend(path for path in (defaults.cafile, defaults.openssl_cafile) if path)

    for path in paths:
        try:
            with open(path, "rb") as handle, warnings.catch_warnings():
                # Some public roots carry a non-positive serial, which cryptography
                # loads with a deprecation warning that means nothing to the user.
                warnings.simplefilter("ignore")
                return tuple(x509.load_pem_x509_certificates(handle.read()))
        except (OSError, ValueError):
            continue
    return ()


def _anchors(top: Any, store: dict[Any, list[Any]]) -> bool:
    """Tell whether the top certificate of the chain is in the store or issued by a store certificate."""
    top_der = top.public_bytes(serialization.Encoding.DER)
    for candidate in store.get(top.subject, []):
        if candidate.public_bytes(serialization.Encoding.DER) == top_der:
            return True
    return any(_relation(top, candidate) == _ISSUED for candidate in store.get(top.issuer, []))


def _strict_verification_warning(chain: list[Any], anchors: list[Any], hostname: str,
                                 now: datetime.datetime) -> list[Problem]:
    """Run the RFC 5280 verifier of cryptography as a second opinion on an anchored chain."""
    if _verification is None:
        return []
    try:
        verifier = (_verification.PolicyBuilder()
                    .store(_verification.Store(anchors))
                    .time(now)
                    .build_server_verifier(_verification.DNSName(hostname)))
        verifier.verify(chain[0], chain[1:])
    except _verification.VerificationError as error:
        return [Problem("chain_untrusted",
                        f"The chain anchors in ca_bundle by name and signature, but a strict RFC 5280 verifier "
                        f"rejects it ({error}); clients with strict checks may reject the endpoint, so have the "
                        "certificates reissued by your CA.")]
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return []
    return []


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
    result.fingerprint_sha256 = leaf.fingerprint(hashes.SHA256()).hex(":").upper()
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


def _chain_end(top: Any) -> str:
    if _is_self_signed(top):
        return f"The chain ends at the root {_describe(top)}, which"
    return f"The chain ends at {_describe(top)}, whose issuer {_describe_issuer(top)}"


def _trust_findings(result: TlsValidation, chain: list[Any], ca_bundle: str | bytes | None,
                    now: datetime.datetime, strict: bool) -> None:
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
