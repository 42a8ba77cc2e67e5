# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DNS hostname rules for a Gateway listener, and SAN matching per RFC 9525.

A listener hostname is a DNS name: labels of letters, digits and hyphens
(RFC 1123), each at most 63 octets, at most 253 octets in all, lowercase.
An internationalized name (U-labels) is converted to its A-label form
(xn--...). IP addresses are rejected because Gateway API listeners match
on DNS names only.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.gaap.genai.plugins.module_utils._problems import Problem

try:
    import idna as _idna
except ImportError:
    # The idna package (IDNA 2008 with UTS 46 mapping) comes with requests.
    # Without it the stdlib codec (IDNA 2003) is used, which differs for a
    # few characters: it maps ß to ss, for example.
    _idna = None

MAX_LABEL_LENGTH = 63
MAX_NAME_LENGTH = 253
MAX_SHOWN_LENGTH = 80

_LDH_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_HOST_WITH_PORT = re.compile(r"^[^:]+:[0-9]+$")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{40,}")


def looks_like_key_material(value: str) -> bool:
    """Tell whether a value may be part of a key: line breaks, or long base64 runs with mixed case or +/=."""
    if any(character in "\r\n\t" for character in value.strip()):
        return True
    for run in _BASE64_RUN.findall(value):
        mixed_case = any(c.islower() for c in run) and any(c.isupper() for c in run)
        if mixed_case or any(c in "+/=" for c in run):
            return True
    return False


def show_value(value: str) -> str:
    """Quote a user-supplied value for a message, cut to a readable length.

    A value with line breaks or long base64 runs is not shown at all,
    because it may be a key pasted into the wrong option.
    """
    if looks_like_key_material(value):
        return f"({len(value)} characters, not shown)"
    if len(value) > MAX_SHOWN_LENGTH:
        value = value[:MAX_SHOWN_LENGTH] + "..."
    return repr(value)


def _to_a_label(label: str) -> str | None:
    """Convert one label to its A-label, or return None if it has no valid one."""
    if label.isascii():
        return label

    try:
        if _idna is not None:
            return _idna.encode(label, uts46=True).decode("ascii")
        return label.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None


def _is_valid_a_label(label: str) -> bool:
    """Tell whether an xn-- label decodes to a valid internationalized label."""
    try:
        if _idna is not None:
            _idna.decode(label)
        else:
            label.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return False
    return True


def normalize_hostname(hostname: str) -> str:
    """Return the hostname stripped, lowercase, without a trailing dot, in A-label form.

    Labels that have no A-label are kept as they are, so that
    hostname_problems can name them. Never raises for a str.
    """
    name = hostname.strip().lower()
    if name.endswith(".") and not name.endswith(".."):
        name = name[:-1]

    labels = []
    for label in name.split("."):
        converted = _to_a_label(label)
        labels.append(label if converted is None else converted.lower())
    return ".".join(labels)


def _is_ip_address(name: str) -> bool:
    candidate = name.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def hostname_problems(hostname: str) -> list[Problem]:
    """Check a hostname against the DNS rules and return one problem per broken rule."""
    if not isinstance(hostname, str) or not hostname.strip():
        return [Problem("hostname_invalid", "The hostname is empty; set hostname to the DNS name that clients use, "
                                            "for example chat.example.com.")]

    stripped = hostname.strip()
    if "-----" in stripped or len(stripped) > 2 * MAX_NAME_LENGTH:
        # Most likely a certificate or key pasted into the wrong option, so
        # none of it is repeated in the message.
        return [Problem("hostname_invalid", f"The hostname is {len(stripped)} characters long and looks like PEM "
                                            "data or a file, not a DNS name; set hostname to the name that "
                                            "clients use, for example chat.example.com.")]

    shown = show_value(hostname)
    if _is_ip_address(stripped):
        return [Problem("hostname_invalid", f"The hostname {shown} is an IP address, but Gateway listeners match "
                                            "DNS names only; use a DNS name that resolves to the endpoint.")]
    if "/" in stripped:
        return [Problem("hostname_invalid", f"The hostname {shown} looks like a URL or path; give the host name "
                                            "only, for example chat.example.com.")]
    if _HOST_WITH_PORT.match(stripped):
        return [Problem("hostname_invalid", f"The hostname {shown} contains a port; give the host name only, "
                                            "because the listener port is set separately.")]

    problems = []
    name = normalize_hostname(hostname)
    labels = name.split(".")

    if labels[0] == "*":
        problems.append(Problem("hostname_invalid", f"The hostname {shown} is a wildcard; an endpoint serves one host, "
                                                    "so give the exact name that clients use."))
        labels = labels[1:]

    if any(label == "" for label in labels):
        problems.append(Problem("hostname_invalid", f"The hostname {shown} contains an empty label (two dots in a row "
                                                    "or a leading dot); remove the extra dot."))

    for label in labels:
        if label == "":
            continue
        if _to_a_label(label) is None or not label.isascii():
            problems.append(Problem("hostname_invalid", f"The label {show_value(label)} of hostname {shown} is not a "
                                                        "valid internationalized name; check its spelling or give "
                                                        "its A-label (xn--...)."))
        elif len(label) > MAX_LABEL_LENGTH:
            problems.append(Problem("hostname_invalid", f"The label {show_value(label)} of hostname {shown} is "
                                                        f"{len(label)} characters long; DNS allows at most "
                                                        f"{MAX_LABEL_LENGTH}, so shorten it."))
        elif label.startswith("xn--") and not _is_valid_a_label(label):
            problems.append(Problem("hostname_invalid", f"The label {show_value(label)} of hostname {shown} starts "
                                                        "with xn-- but is not a valid A-label; give the name in "
                                                        "Unicode or copy its A-label from a converter."))
        elif not _LDH_LABEL.match(label):
            problems.append(Problem("hostname_invalid", f"The label {show_value(label)} of hostname {shown} contains "
                                                        "characters other than letters, digits and inner hyphens; "
                                                        "DNS names allow only those (no underscores, no spaces)."))

    if len(name) > MAX_NAME_LENGTH:
        problems.append(Problem("hostname_invalid", f"The hostname {shown} is {len(name)} characters long in DNS form; "
                                                    f"DNS allows at most {MAX_NAME_LENGTH}, so use a shorter name."))

    if labels and labels[-1].isdigit():
        problems.append(Problem("hostname_invalid", f"The hostname {shown} ends in an all-numeric label, which no "
                                                    "top-level domain has; use a DNS name, not an address."))

    return problems


def san_matches(hostname: str, san: str) -> bool:
    """Tell whether a SAN dNSName covers the hostname, following RFC 9525 section 6.3.

    The comparison ignores case. A wildcard counts only as the whole
    left-most label, covers exactly one label, and never covers the name
    it is attached to (*.example.com does not cover example.com). A
    wildcard needs at least two labels after it, so *.com covers nothing.
    """
    host = normalize_hostname(hostname)
    pattern = normalize_hostname(san)
    if not host or not pattern or "*" in host:
        return False

    if "*" not in pattern:
        return host == pattern

    pattern_labels = pattern.split(".")
    host_labels = host.split(".")
    if pattern_labels[0] != "*" or "*" in ".".join(pattern_labels[1:]):
        return False
    if len(pattern_labels) < 3 or len(host_labels) != len(pattern_labels):
        return False
    if host_labels[0] == "":
        return False
    return host_labels[1:] == pattern_labels[1:]
