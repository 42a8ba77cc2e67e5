"""Canonical form of resource quantities ("1000m" -> "1", "1024Mi" -> "1Gi"), as the API server stores them.

A quantity keeps its format family (binary SI, decimal SI or decimal
exponent) and is written with the largest suffix that leaves an integer,
rounding up below nano units.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
QUANTITY_RE = re.compile(r"^([+-]?[0-9]*\.?[0-9]*)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity."""


def parse(text: str) -> tuple[Fraction, str]:
    """Return the value and the format family ("binary", "decimal" or "exponent") of a quantity."""
    match = QUANTITY_RE.match(text.strip())
    if not match or match.group(1) in ("", "+", "-", ".") or not any(char.isdigit() for char in match.group(1)):
        raise QuantityError('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'')
    number = Fraction(match.group(1))
    suffix = match.group(2) or ""
    if suffix in BINARY_SUFFIXES:
        return number * (2 ** BINARY_SUFFIXES[suffix]), "binary"
    if suffix[:1] in ("e", "E"):
        return number * Fraction(10) ** int(suffix[1:]), "exponent"
    return number * Fraction(10) ** DECIMAL_SUFFIXES[suffix], "decimal"


def _decimal(value: Fraction, exponent_form: bool) -> str:
    # Values finer than nano units are rounded up to the next nano.
    nanos = math.ceil(value * 10**9) if value >= 0 else -math.ceil(-value * 10**9)
    if nanos == 0:
        return "0"
    exponent = -9
    while nanos % 1000 == 0 and exponent < 18:
        nanos //= 1000
        exponent += 3
    if exponent_form:
        return f"{nanos}" if exponent == 0 else f"{nanos}e{exponent}"
    suffix = next(name for name, power in DECIMAL_SUFFIXES.items() if power == exponent)
    return f"{nanos}{suffix}"


def canonical(text: str | int | float) -> str:
    """Return the canonical string of a quantity given as a string or a JSON number."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = repr(text) if isinstance(text, float) else str(text)
    value, family = parse(str(text))
    if family == "binary" and value.denominator == 1 and value != 0:
        mantissa, power = int(value), 0
        while mantissa % 1024 == 0 and power < 60:
            mantissa //= 1024
            power += 10
        if power == 0:
            return _decimal(value, exponent_form=False)
        suffix = next(name for name, shift in BINARY_SUFFIXES.items() if shift == power)
        return f"{mantissa}{suffix}"
    return _decimal(value, exponent_form=family == "exponent")
