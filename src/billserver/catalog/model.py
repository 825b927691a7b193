"""The parsed catalogue: plain frozen values, checked and cross-referenced.

A :class:`Catalog` only exists when the whole file was valid (CATALOG.md): the
parser either returns one or raises :class:`CatalogError` listing every problem.
Money is in integer micro-units; rates are :class:`billclient.rating.Rate` values.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from billclient.rating import Rate, Unit

__all__ = [
    "AccountDef",
    "Catalog",
    "CatalogError",
    "PlanDef",
    "ServiceDef",
    "UserDef",
    "VoucherDef",
]


class CatalogError(Exception):
    """A catalogue that cannot be used, with every problem found.

    ``errors`` holds one line per problem, each naming the table, the row and the
    key (``services[2] (id "voice"): grant: must be an integer >= 1, got 0``), in
    file order. ``source`` names the file (or text) the catalogue came from.
    ``str(error)`` is the problems joined one per line.
    """

    def __init__(self, errors: Iterable[str], *, source: str | None = None) -> None:
        self.errors: list[str] = list(errors)
        self.source = source
        super().__init__("\n".join(self.errors))

    def __str__(self) -> str:
        return "\n".join(self.errors)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors,), {"source": self.source})


@dataclass(frozen=True)
class ServiceDef:
    """A metered service: what it counts and how credit is granted for it."""

    id: str
    name: str
    unit: Unit
    media: str
    grant: int
    """Units reserved per credit grant."""
    update_interval: int
    """Seconds between utilization updates."""
    bitrate: int | None = None
    """Bits per second the metering gateway paces a stream at (None: the media's default)."""


@dataclass(frozen=True)
class PlanDef:
    """A rate plan: its rates by service id, in file order.

    A plan without a rate for a service does not offer that service. ``rates``
    is a read-only mapping; it takes no part in hashing (the rest of the plan does).
    """

    id: str
    name: str
    timezone: str
    rates: Mapping[str, Rate] = field(hash=False)
    tax_rate: str | None = None
    """Invoice tax, a decimal fraction ("0.19"); None: no tax."""
    default_monthly_limit: int | None = None
    """The monthly spending limit a new account of the plan starts with (micro-units);
    its user may change it. None: no limit."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", types.MappingProxyType(dict(self.rates)))


@dataclass(frozen=True)
class AccountDef:
    """An account; money in micro-units, ``balance`` being the opening balance."""

    id: str
    name: str
    kind: str
    plan: str
    balance: int
    credit_limit: int
    status: str
    low_balance_threshold: int | None
    parent: str | None
    shared_balance: bool = False
    """Spend from the parent's balance (needs ``parent``)."""
    auto_topup_threshold: int | None = None
    auto_topup_amount: int | None = None
    auto_topup_card: str | None = None


@dataclass(frozen=True)
class UserDef:
    """A person who signs in; ``password`` is the plain text from the file."""

    login: str
    password: str = field(repr=False)
    role: str
    account: str | None
    may_charge: tuple[str, ...] | None = None
    """Role ``service``: the accounts (and their descendants) it may charge."""


@dataclass(frozen=True)
class VoucherDef:
    """A single-use top-up voucher worth ``amount`` micro-units."""

    code: str
    amount: int


@dataclass(frozen=True)
class Catalog:
    """A whole, valid catalogue: every reference resolves, every id is unique."""

    currency: str
    services: tuple[ServiceDef, ...]
    plans: tuple[PlanDef, ...]
    accounts: tuple[AccountDef, ...]
    users: tuple[UserDef, ...]
    vouchers: tuple[VoucherDef, ...]
    _services: Mapping[str, ServiceDef] = field(init=False, repr=False, compare=False, hash=False)
    _plans: Mapping[str, PlanDef] = field(init=False, repr=False, compare=False, hash=False)
    _accounts: Mapping[str, AccountDef] = field(init=False, repr=False, compare=False, hash=False)
    _users: Mapping[str, UserDef] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_services", {s.id: s for s in self.services})
        object.__setattr__(self, "_plans", {p.id: p for p in self.plans})
        object.__setattr__(self, "_accounts", {a.id: a for a in self.accounts})
        object.__setattr__(self, "_users", {u.login: u for u in self.users})

    def service(self, id: str) -> ServiceDef | None:
        """The service with this id, or None."""
        return self._services.get(id)

    def plan(self, id: str) -> PlanDef | None:
        """The plan with this id, or None."""
        return self._plans.get(id)

    def account(self, id: str) -> AccountDef | None:
        """The account with this id, or None."""
        return self._accounts.get(id)

    def user(self, login: str) -> UserDef | None:
        """The user with this login, or None."""
        return self._users.get(login)
