"""The figure cache read with nothing but :mod:`json`, for the very first window.

:class:`~billclient.gui.cache.FigureCache` writes ``gui-figures.json`` (the last
account figures seen) with the protocol's pydantic models; reading it back here
needs neither pydantic nor the rest of the core, so that the window can show the
cached balance before those are imported. The figures stay marked as not current
until live ones arrive.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

__all__ = ["AccountFigures", "BalanceFigures", "CachedAccount", "parse_micro", "read_cached"]

_log = logging.getLogger(__name__)
_MICRO = Decimal(1_000_000)


class BalanceFigures(Protocol):
    """What the dashboard reads of balance figures (a protocol ``BalanceEvent``, ...)."""

    @property
    def balance(self) -> int: ...
    @property
    def reserved(self) -> int: ...
    @property
    def available(self) -> int: ...


class AccountFigures(BalanceFigures, Protocol):
    """What the dashboard reads of an account (a protocol ``Account``, a cached one)."""

    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def credit_limit(self) -> int: ...


@dataclass(frozen=True)
class Figures:
    """Balance figures in micro-units."""

    balance: int
    reserved: int
    available: int


@dataclass(frozen=True)
class CachedAccount:
    """An account as the figure cache remembers it (money in micro-units)."""

    name: str
    status: str
    kind: str
    currency: str
    balance: int
    reserved: int
    available: int
    credit_limit: int


def parse_micro(text: Any) -> int:
    """A wire money string (``"12.5"``) as exact micro-units; ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a money string")
    try:
        value = Decimal(text) * _MICRO
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a money string") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"{text!r} is not an amount in micro-units")
    return int(value)


def read_cached(path: Path) -> tuple[CachedAccount, datetime] | None:
    """The cached account at ``path`` and when it was current; None when there is none
    (or it cannot be read: the window then waits for live figures)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        raw = data["account"]
        account = CachedAccount(
            name=str(raw["name"]),
            status=str(raw["status"]),
            kind=str(raw["kind"]),
            currency=str(raw["currency"]),
            balance=parse_micro(raw["balance"]),
            reserved=parse_micro(raw["reserved"]),
            available=parse_micro(raw["available"]),
            credit_limit=parse_micro(raw["credit_limit"]),
        )
        at = datetime.fromisoformat(data["at"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        _log.warning("ignored the figure cache %s: %s", path, error)
        return None
    return account, at
