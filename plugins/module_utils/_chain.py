# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Chain structure: duplicate removal, issuer links, the path from the leaf, CA flags and order.

The path is built from the supplied certificates only. Whether its top
is trusted is decided in _trust.
"""

from __future__ import annotations

import functools
from typing import Any

from ansible_collections.gaap.genai.plugins.module_utils._certificate_checks import (
    _certificate_public_key,
    _public_key_der,
    _signature_problems,
)
from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem
from ansible_collections.gaap.genai.plugins.module_utils._tls_wording import _describe, _describe_issuer

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
except ImportError as error:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: ImportError | None = error
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

_ISSUED = "issued"
_BAD_SIGNATURE = "bad_signature"
_NOT_ISSUED = "not_issued"


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
    """Keep the first copy of each certificate, with one warning per duplicated certificate."""
    unique: dict[bytes, Any] = {}
    copies: dict[bytes, int] = {}
    for certificate in certificates:
        fingerprint = certificate.fingerprint(hashes.SHA256())
        if fingerprint in unique:
            copies[fingerprint] = copies.get(fingerprint, 0) + 1
            continue
        unique[fingerprint] = certificate

    for fingerprint, count in copies.items():
        removed = "the copy was removed" if count == 1 else f"the {count} extra copies were removed"
        findings.append(Problem("duplicate_certificate",
                                f"The certificate {_describe(unique[fingerprint])} appears more than once in "
                                f"certificate; {removed}."))
    return list(unique.values())


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
