"""The keys each catalogue table allows: how a value is checked and its default.

A table is described by a mapping ``key -> Key``: the check turns the TOML
value into the model's value or raises :class:`Invalid`; a key is either
required, or has a default (fixed, or computed from the row's other keys).
Adding a key to the format is one line in a ``*_KEYS`` table here (plus the
field in :mod:`billserver.catalog.model`). Any key not in the table is refused.

Checks raise messages without the key (the parser prefixes table, row and key):
``must be an integer >= 1, got 0``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from babel.numbers import list_currencies

from billclient.protocol import AccountKind
from billclient.protocol.money import format_decimal, parse_decimal
from billclient.rating import Unit

__all__ = [
    "ACCOUNT_KEYS",
    "DAYS",
    "MAX_INT64",
    "MEDIA",
    "PLAN_KEYS",
    "RATE_KEYS",
    "SERVICE_KEYS",
    "TOP_KEYS",
    "USER_KEYS",
    "VOUCHER_KEYS",
    "WINDOW_KEYS",
    "Check",
    "Invalid",
    "Key",
    "show",
]

MAX_INT64 = 2**63 - 1
"""Largest integer (count, micro-units or pico-units) a catalogue may hold."""

MEDIA = ("voice", "video", "im", "web", "download", "other")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = tuple(kind.value for kind in AccountKind)
STATUSES = ("active", "inactive", "pending")
ROLES = ("user", "support", "operator", "service")
DEFAULT_GRANT = {Unit.SECOND: 60, Unit.BYTE: 1_000_000, Unit.EVENT: 1}

PRICE_PLACES = 12
MONEY_PLACES = 6


class Invalid(Exception):
    """A value a check refuses; ``suffix`` narrows the key (``days`` -> ``days[2]``)."""

    def __init__(self, message: str, *, suffix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.suffix = suffix


Check = Callable[[Any], Any]
"""Turns a TOML value into the model's value, or raises :class:`Invalid`."""


@dataclass(frozen=True)
class Key:
    """One allowed key of a table."""

    check: Check
    required: bool = False
    default: Any = None
    """Value when the key is absent (not required, no ``default_from``)."""
    default_from: Callable[[Mapping[str, Any]], Any] | None = None
    """Computes the default from the row's keys checked so far (in table order)."""


def show(value: object) -> str:
    """A TOML value as an error message quotes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 64 else value[:61] + "..."
        return json.dumps(text, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dt.datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dt.time):
        return f'the time {value.isoformat()} (write times as strings, like "08:00")'
    return repr(value)


def _must(what: str, value: object) -> Invalid:
    return Invalid(f"must be {what}, got {show(value)}")


# --- checks ----------------------------------------------------------------------


def identifier(pattern: str) -> Check:
    """A string matching ``pattern`` entirely."""
    compiled = re.compile(pattern)

    def check(value: Any) -> str:
        if not isinstance(value, str) or compiled.fullmatch(value) is None:
            raise _must(f"a string matching {pattern}", value)
        return value

    return check


def text(value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise _must("a non-empty string", value)
    return value


def secret(value: Any) -> str:
    """A non-empty string that error messages never repeat."""
    if not isinstance(value, str) or not value:
        raise Invalid("must be a non-empty string")
    return value


def choice(options: Iterable[str], convert: Callable[[str], Any] = str) -> Check:
    """One of ``options`` (strings), converted by ``convert``."""
    allowed = tuple(options)
    listed = ", ".join(json.dumps(option) for option in allowed)

    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in allowed:
            raise _must(f"one of {listed}", value)
        return convert(value)

    return check


def count(value: Any) -> int:
    """An integer from 1 to MAX_INT64 (a boolean is not an integer)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _must("an integer >= 1", value)
    if value > MAX_INT64:
        raise _must(f"an integer <= {MAX_INT64}", value)
    return value


_DECIMAL_SHAPE = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")


def decimal(places: int, *, minimum: int | None = 0, above: bool = False) -> Check:
    """A decimal string with at most ``places`` fractional digits, as 10**-places units.

    ``minimum`` (in units, None for no bound) is inclusive unless ``above``.
    The magnitude is bounded by MAX_INT64 units, so every amount fits a BIGINT.
    """
    largest = format_decimal(MAX_INT64, places)

    def check(value: Any) -> int:
        if not isinstance(value, str):
            raise _must('a decimal string like "0.02"', value)
        match = _DECIMAL_SHAPE.fullmatch(value)
        if match is None:
            raise _must('a decimal string like "0.02"', value)
        if len(match.group(2) or "") > places:
            raise Invalid(f"must have at most {places} decimal places, got {show(value)}")
        if len(match.group(1).lstrip("0")) > 20:
            raise Invalid(f"must be at most {largest} in magnitude, got {show(value)}")
        number = parse_decimal(value, places)
        if abs(number) > MAX_INT64:
            raise Invalid(f"must be at most {largest} in magnitude, got {show(value)}")
        if minimum is not None and (number <= minimum if above else number < minimum):
            bound = format_decimal(minimum, places)
            raise Invalid(f"must be {'>' if above else '>='} {bound}, got {show(value)}")
        return number

    return check


def as_text(check: Check) -> Check:
    """Run ``check`` but keep the original text (for the rating package's parsers)."""

    def keep(value: Any) -> Any:
        check(value)
        return value

    return keep


@functools.cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency(value: Any) -> str:
    """An ISO 4217 code that babel knows."""
    if not isinstance(value, str) or re.fullmatch(r"[A-Z]{3}", value) is None:
        raise _must('a three-letter ISO 4217 currency code like "USD"', value)
    if value not in _currencies():
        raise Invalid(f"unknown ISO 4217 currency code {show(value)}")
    return value


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone(value: Any) -> str:
    """An IANA time zone name the tz database knows."""
    if not isinstance(value, str) or not value:
        raise _must('an IANA time zone name like "Europe/Berlin"', value)
    if value not in _zones():
        raise Invalid(f"unknown IANA time zone {show(value)}")
    return value


def clock(*, allow_24: bool) -> Check:
    """A local time "HH:MM" from 00:00 to 23:59 (or exactly "24:00" if allowed)."""
    last = "24:00" if allow_24 else "23:59"

    def check(value: Any) -> str:
        ok = isinstance(value, str) and (
            re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value) is not None
            or (allow_24 and value == "24:00")
        )
        if not ok:
            raise _must(f'a time "HH:MM" from "00:00" to "{last}"', value)
        return str(value)

    return check


def days(value: Any) -> list[str]:
    """A non-empty array of distinct day names "mon" .. "sun"."""
    if not isinstance(value, list):
        raise _must('an array of days like ["mon", "tue"]', value)
    if not value:
        raise Invalid("must list at least one day (leave it out to mean every day)")
    listed = ", ".join(json.dumps(day) for day in DAYS)
    for index, day in enumerate(value):
        if not isinstance(day, str) or day not in DAYS:
            raise Invalid(f"must be one of {listed}, got {show(day)}", suffix=f"[{index}]")
        if day in value[:index]:
            raise Invalid(f"{show(day)} is listed twice", suffix=f"[{index}]")
    return list(value)


def flag(value: Any) -> bool:
    """A boolean."""
    if not isinstance(value, bool):
        raise _must("true or false", value)
    return value


def tax_rate(value: Any) -> str:
    """A tax rate: a decimal fraction string from "0" to "1" with at most 6 places."""
    if not isinstance(value, str) or re.fullmatch(r"(0|1)(\.[0-9]{1,6})?", value) is None:
        raise _must('a decimal fraction from "0" to "1" like "0.19" (19 %)', value)
    if value.startswith("1") and value.strip("1.0"):
        raise _must('a decimal fraction from "0" to "1" like "0.19" (19 %)', value)
    return value


def account_list(value: Any) -> list[str]:
    """A non-empty array of distinct account ids (checked against the accounts later)."""
    if not isinstance(value, list) or not value:
        raise _must('a non-empty array of account ids like ["acme"]', value)
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise Invalid(f"must be an account id, got {show(item)}", suffix=f"[{index}]")
        if item in value[:index]:
            raise Invalid(f"{show(item)} is listed twice", suffix=f"[{index}]")
    return list(value)


def tables(name: str) -> Check:
    """An array of tables (``[[name]]``); the rows are checked by the parser."""

    def check(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise _must(f"an array of tables ([[{name}]])", value)
        return value

    return check


# --- tables ----------------------------------------------------------------------

_price = decimal(PRICE_PLACES)
_money = decimal(MONEY_PLACES)

TOP_KEYS: Mapping[str, Key] = {
    "currency": Key(currency, required=True),
    "services": Key(tables("services"), default=()),
    "plans": Key(tables("plans"), default=()),
    "accounts": Key(tables("accounts"), default=()),
    "users": Key(tables("users"), default=()),
    "vouchers": Key(tables("vouchers"), default=()),
}

SERVICE_KEYS: Mapping[str, Key] = {
    # beyond CATALOG.md: one dotted part is allowed ("message.submit")
    "id": Key(identifier("[a-z0-9_-]{1,32}(\\.[a-z0-9_-]{1,31})?"), required=True),
    "name": Key(text, required=True),
    "unit": Key(choice(Unit, Unit), required=True),
    "media": Key(choice(MEDIA), required=True),
    "grant": Key(count, default_from=lambda row: DEFAULT_GRANT[row["unit"]]),
    "update_interval": Key(count, default=10),
    # optional addition: bits per second of a gateway-served stream (voice, video)
    "bitrate": Key(count, default=None),
}

PLAN_KEYS: Mapping[str, Key] = {
    "id": Key(identifier("[a-z0-9_-]{1,32}"), required=True),
    "name": Key(text, required=True),
    "timezone": Key(timezone, default="UTC"),
    "tax_rate": Key(tax_rate, default=None),
    # beyond CATALOG.md: the monthly spending limit every new account of the plan gets
    "default_monthly_limit": Key(decimal(MONEY_PLACES, above=True), default=None),
    "rates": Key(tables("plans.rates"), default=()),
}

# Prices and money stay text: billclient.rating.Rate.from_text parses them.
RATE_KEYS: Mapping[str, Key] = {
    "service": Key(text, required=True),
    "price": Key(as_text(_price), required=True),
    "per": Key(count, default=1),
    "increment": Key(count, default=1),
    "first_increment": Key(count, default_from=lambda row: row["increment"]),
    "setup_fee": Key(as_text(_money), default="0"),
    "min_charge": Key(as_text(_money), default="0"),
    "windows": Key(tables("plans.rates.windows"), default=()),
}

WINDOW_KEYS: Mapping[str, Key] = {
    "days": Key(days, default=None),
    "start": Key(clock(allow_24=False), required=True),
    "end": Key(clock(allow_24=True), required=True),
    "price": Key(as_text(_price), required=True),
}

ACCOUNT_KEYS: Mapping[str, Key] = {
    "id": Key(identifier("[A-Za-z0-9_.@-]{1,64}"), required=True),
    "name": Key(text, required=True),
    "kind": Key(choice(KINDS), required=True),
    "plan": Key(text, required=True),
    "balance": Key(decimal(MONEY_PLACES, minimum=None), default=0),
    "credit_limit": Key(_money, default=0),
    "status": Key(choice(STATUSES), default="active"),
    "low_balance_threshold": Key(_money, default=None),
    "parent": Key(text, default=None),
    "shared_balance": Key(flag, default=False),
    "auto_topup_threshold": Key(_money, default=None),
    "auto_topup_amount": Key(decimal(MONEY_PLACES, minimum=0, above=True), default=None),
    "auto_topup_card": Key(text, default=None),
}

USER_KEYS: Mapping[str, Key] = {
    "login": Key(identifier("[A-Za-z0-9_.@+-]{1,128}"), required=True),
    "password": Key(secret, required=True),
    "role": Key(choice(ROLES), default="user"),
    "account": Key(text, default=None),
    "may_charge": Key(account_list, default=None),
}

VOUCHER_KEYS: Mapping[str, Key] = {
    "code": Key(identifier("[A-Za-z0-9_-]{4,64}"), required=True),
    "amount": Key(decimal(MONEY_PLACES, minimum=0, above=True), required=True),
}
