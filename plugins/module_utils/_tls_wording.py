# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wording shared by TLS messages: the subject or issuer of a certificate, and a date."""

from __future__ import annotations

import datetime
from typing import Any


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
