# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Facts about a leaf certificate that are safe to show: fingerprint, dates, names."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone
from typing import Any

from ansible_collections.gaap.genai.plugins.module_utils._pem import HAS_CRYPTOGRAPHY, load_certificates

if HAS_CRYPTOGRAPHY:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes


def fingerprint_sha256(certificate: Any) -> str:
    """Return the SHA-256 fingerprint of a certificate as colon-separated upper-case hex."""
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def dns_names(certificate: Any) -> list[str]:
    """Return the certificate's SAN dNSNames, or an empty list when it has none."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (x509.ExtensionNotFound, ValueError):
        return []
    return extension.value.get_values_for_type(x509.DNSName)


def leaf_facts(certificate: Any, now: datetime | None = None) -> dict:
    """Describe a leaf certificate for results and diffs."""
    now = now or datetime.now(timezone.utc)
    not_after = certificate.not_valid_after_utc
    return {
        "fingerprint_sha256": fingerprint_sha256(certificate),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": (not_after - now).days,
        "subject": certificate.subject.rfc4514_string(),
        "dns_names": dns_names(certificate),
    }


def secret_leaf_facts(secret: dict | None, now: datetime | None = None) -> dict | None:
    """Describe the leaf of the chain in a kubernetes.io/tls Secret, or None when there is none."""
    encoded = ((secret or {}).get("data") or {}).get("tls.crt")
    if not encoded:
        return None
    try:
        chain = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    certificates = load_certificates(chain).certificates
    return leaf_facts(certificates[0], now) if certificates else None
