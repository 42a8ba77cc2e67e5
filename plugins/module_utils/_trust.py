# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Trust anchoring: whether the top of a chain is, or was issued by, a trusted CA.

The anchors are the certificates in ca_bundle or, without one, the
system trust store. For an anchored chain, the RFC 5280 verifier of
cryptography gives a second opinion as a warning.
"""

from __future__ import annotations

import datetime
import functools
import ssl
import warnings
from typing import Any

from ansible_collections.gaap.genai.plugins.module_utils._chain import _ISSUED, _is_self_signed, _relation
from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem
from ansible_collections.gaap.genai.plugins.module_utils._tls_wording import _describe, _describe_issuer

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

try:
    from cryptography.x509 import verification as _verification
except ImportError:
    _verification = None

try:
    import certifi
except ImportError:
    certifi = None


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


def _chain_end(top: Any) -> str:
    if _is_self_signed(top):
        return f"The chain ends at the root {_describe(top)}, which"
    return f"The chain ends at {_describe(top)}, whose issuer {_describe_issuer(top)}"
