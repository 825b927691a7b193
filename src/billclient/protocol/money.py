"""Money and exact decimals.

Money is an integer count of micro-units (10^-6 of the currency) inside the
programs and a decimal string on the wire ("12.5", "0.000333", "-3"). Prices may
carry more places (the catalogue allows 12); :func:`parse_decimal` scales any
decimal string to an integer at a chosen number of places, exactly, or refuses.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

__all__ = [
    "MICRO",
    "MONEY_PATTERN",
    "Money",
    "MoneyIn",
    "format_decimal",
    "format_money",
    "parse_decimal",
    "parse_money",
]

MICRO = 1_000_000
"""Micro-units per currency unit."""

MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]{1,6})?$"
_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")  # matched whole (fullmatch)


def parse_decimal(text: str, places: int) -> int:
    """Return ``text`` times 10**places as an exact integer.

    Accepts a plain decimal string (optional leading minus, digits, optional
    fraction). Raises ValueError for anything else, including more than
    ``places`` fractional digits, exponents, spaces, NaN and infinities.
    """
    match = _DECIMAL.fullmatch(text)  # not match(): "$" would let a final newline through
    if match is None:
        raise ValueError(f"{text!r} is not a decimal number")
    sign, whole, frac = match.group(1), match.group(2), match.group(3) or ""
    if len(frac) > places:
        raise ValueError(f"{text!r} has more than {places} decimal places")
    value: int = int(whole) * 10**places + int(frac.ljust(places, "0") or "0")
    return -value if sign else value


def format_decimal(value: int, places: int) -> str:
    """Format an integer count of 10**-places as the shortest exact decimal."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**places)
    frac_text = str(frac).rjust(places, "0").rstrip("0") if places else ""
    return f"{sign}{whole}.{frac_text}" if frac_text else f"{sign}{whole}"


def parse_money(text: str) -> int:
    """Parse a money string (at most 6 fractional digits) into micro-units."""
    return parse_decimal(text, 6)


def format_money(micro: int) -> str:
    """Format micro-units as a money string: ``1500000`` -> ``"1.5"``."""
    if type(micro) is not int or micro < 0:  # e.g. a database's Decimal sum
        return format_decimal(micro, 6)
    whole, frac = divmod(micro, MICRO)  # the usual case, on every answer: kept short
    return f"{whole}.{frac:06d}".rstrip("0") if frac else str(whole)


def _money_text(value: Any) -> int:
    if not isinstance(value, str):
        raise ValueError('money must be a decimal string such as "12.50", not a number')
    return parse_money(value)


def _money_any(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)  # already micro-units: built in Python, not read from JSON
    return _money_text(value)


_MONEY_SCHEMA = WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["12.5"]})


Money = Annotated[
    int, BeforeValidator(_money_any), PlainSerializer(format_money, return_type=str), _MONEY_SCHEMA
]
"""Money in answers: micro-units in Python (an int is taken as micro-units), a string in JSON."""

MoneyIn = Annotated[
    int, BeforeValidator(_money_text), PlainSerializer(format_money, return_type=str), _MONEY_SCHEMA
]
"""Money in requests: only a decimal string is accepted; a JSON number is refused."""
