"""The last account figures seen, kept on disk so that the next start shows them at
once (marked as not current until live figures arrive). No secrets: the same figures
the window shows.

:class:`FigureCache` writes ``gui-figures.json`` from the protocol's models;
:func:`read_cached` reads it back with nothing but :mod:`json`, so that the very first
window can show the cached balance before pydantic and the rest of the core are
imported (this module imports neither at load time).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from billclient.protocol.account import Account
    from billclient.protocol.events import BalanceEvent

__all__ = [
    "AccountFigures",
    "BalanceFigures",
    "CachedAccount",
    "FigureCache",
    "Figures",
    "parse_micro",
    "read_cached",
]

_log = logging.getLogger(__name__)
_MICRO = Decimal(1_000_000)


class FigureCache:
    """``path`` holds ``{"account": <Account>, "at": <ISO time>}``; writes are atomic and
    at most every ``min_interval`` seconds unless forced (:meth:`flush`)."""

    def __init__(self, path: Path, min_interval: float = 10.0) -> None:
        self.path = path
        self.min_interval = min_interval
        self._account: Account | None = None
        self._at: datetime | None = None
        self._saved = 0.0
        self._dirty = False

    def load(self) -> tuple[Account, datetime] | None:
        """The cached account and when its figures were current, or None.

        Needs the protocol models (pydantic): the first window reads the file with
        :func:`read_cached` instead."""
        from pydantic import ValidationError

        from billclient.protocol.account import Account

        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            account = Account.model_validate(data["account"])
            at = datetime.fromisoformat(data["at"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as error:
            _log.warning("ignored the figure cache %s: %s", self.path, error)
            return None
        self._account, self._at = account, at
        return account, at

    def account(self, account: Account) -> None:
        """A fresh account read."""
        self._account = account
        self._changed()

    def balance(self, figures: BalanceEvent) -> None:
        """New figures for the account already known."""
        if self._account is None:
            return
        self._account = self._account.model_copy(
            update={
                "balance": figures.balance,
                "reserved": figures.reserved,
                "available": figures.available,
            }
        )
        self._changed()

    def _changed(self) -> None:
        self._at = datetime.now().astimezone()
        self._dirty = True
        if time.monotonic() - self._saved >= self.min_interval:
            self.flush()

    def flush(self) -> None:
        """Write what changed since the last write."""
        if not self._dirty or self._account is None or self._at is None:
            return
        data = {"account": self._account.model_dump(mode="json"), "at": self._at.isoformat()}
        temporary = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(data), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:
            _log.warning("cannot write the figure cache %s: %s", self.path, error)
            return
        self._saved = time.monotonic()
        self._dirty = False

    def clear(self) -> None:
        """Forget the figures (sign-out: the next person must not see them)."""
        self._account, self._at, self._dirty = None, None, False
        self.path.unlink(missing_ok=True)


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
