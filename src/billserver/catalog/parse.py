"""Reading a catalogue file (CATALOG.md) into a :class:`Catalog`, or refusing it.

:func:`parse_catalog` checks every table, row and key, collects every problem
and raises one :class:`CatalogError` listing them in file order (top-level keys,
then services, plans, accounts, users, vouchers, each row by row). Nothing is
returned from a file with any problem. The allowed keys of each table live in
:mod:`billserver.catalog.keys`.

Beyond CATALOG.md: counts and amounts are bounded by 2**63 - 1 (in units,
micro-units or pico-units) so that every figure fits a BIGINT column.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from billclient.protocol import AccountKind
from billclient.protocol.money import format_money
from billclient.rating import Rate, Unit, Window

from ..ledger.funds import floor
from . import keys
from .keys import show
from .model import AccountDef, Catalog, CatalogError, PlanDef, ServiceDef, UserDef, VoucherDef
from .reading import (
    Report,
    account_extras,
    label,
    money_text,
    read_row,
    syntax_message,
)

__all__ = ["load_catalog", "parse_catalog"]


# Tables in the order their problems are listed.
_TOP, _SERVICES, _PLANS, _ACCOUNTS, _USERS, _VOUCHERS = range(6)


def parse_catalog(text: str, *, source: str = "catalog") -> Catalog:
    """Parse and check catalogue TOML ``text``; ``source`` names it in messages.

    Raises :class:`CatalogError` with one line per problem: a TOML syntax error
    (``source, line 3, column 7: TOML syntax error: ...``), or every problem of
    the content, each naming table, row and key.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogError([syntax_message(source, text, error)], source=source) from None
    reader = _Reader()
    catalog = reader.read(document)
    if catalog is None or reader.problems:
        raise CatalogError(reader.sorted_problems(), source=source)
    return catalog


def load_catalog(path: str | os.PathLike[str]) -> Catalog:
    """Read, parse and check the catalogue file at ``path``.

    A missing, unreadable or non-UTF-8 file raises :class:`CatalogError` with a
    one-line message naming the path; otherwise as :func:`parse_catalog`.
    """
    name = os.fspath(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise CatalogError([f"{name}: no such file"], source=name) from None
    except IsADirectoryError:
        raise CatalogError([f"{name}: is a directory, not a catalogue file"], source=name) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise CatalogError([f"{name}: cannot read the file: {reason}"], source=name) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = f"{name}, line {line}: not UTF-8 text (byte offset {error.start})"
        raise CatalogError([message], source=name) from None
    return parse_catalog(text, source=name)


# --- rows ------------------------------------------------------------------------


class _Reader:
    """One pass over a parsed TOML document, collecting problems."""

    def __init__(self) -> None:
        self.problems: list[tuple[int, int, int, str]] = []
        self.service_rows: dict[str, int] = {}
        self.service_units: dict[str, Unit] = {}
        self.plan_rows: dict[str, int] = {}
        self.account_rows: dict[str, int] = {}

    def reporter(self, table: int, row: int) -> Report:
        def report(message: str) -> None:
            self.problems.append((table, row, len(self.problems), message))

        return report

    def sorted_problems(self) -> list[str]:
        return [problem[3] for problem in sorted(self.problems)]

    def unique(
        self, seen: dict[str, int], value: Any, index: int, table: str, key: str, report: Report
    ) -> bool:
        """Record ``value`` as the ``key`` of row ``index``; False (reported) if taken."""
        if not isinstance(value, str):
            return False
        first = seen.setdefault(value, index)
        if first != index:
            where = f"{table}[{index}] ({key} {show(value)})"
            report(f"{where}: {key}: duplicate {key} {show(value)}, first used by {table}[{first}]")
            return False
        return True

    def read(self, document: dict[str, Any]) -> Catalog | None:
        top, ok = read_row(document, "", keys.TOP_KEYS, self.reporter(_TOP, 0))
        services = self.services(top.get("services", ()))
        plans = self.plans(top.get("plans", ()))
        accounts = self.accounts(top.get("accounts", ()))
        users = self.users(top.get("users", ()))
        vouchers = self.vouchers(top.get("vouchers", ()))
        if not ok or self.problems:
            return None
        return Catalog(
            currency=top["currency"],
            services=tuple(services),
            plans=tuple(plans),
            accounts=tuple(accounts),
            users=tuple(users),
            vouchers=tuple(vouchers),
        )

    # --- services ---

    def services(self, rows: Sequence[Any]) -> list[ServiceDef]:
        result = []
        for index, row in enumerate(rows):
            report = self.reporter(_SERVICES, index)
            where = label("services", index, row, "id", keys.SERVICE_KEYS)
            values, ok = read_row(row, where, keys.SERVICE_KEYS, report)
            fresh = self.unique(
                self.service_rows, values.get("id"), index, "services", "id", report
            )
            if fresh and "unit" in values:
                self.service_units[values["id"]] = values["unit"]
            if ok and fresh:
                result.append(ServiceDef(**values))
        return result

    # --- plans ---

    def plans(self, rows: Sequence[Any]) -> list[PlanDef]:
        result = []
        for index, row in enumerate(rows):
            report = self.reporter(_PLANS, index)
            where = label("plans", index, row, "id", keys.PLAN_KEYS)
            values, ok = read_row(row, where, keys.PLAN_KEYS, report)
            ok &= self.unique(self.plan_rows, values.get("id"), index, "plans", "id", report)
            rates = self.rates(values.get("rates", ()), where, values.get("timezone"), report)
            if ok and rates is not None:
                result.append(PlanDef(**{**values, "rates": rates}))
        return result

    def rates(
        self, rows: Sequence[Any], plan: str, timezone: str | None, report: Report
    ) -> dict[str, Rate] | None:
        """The rates of one plan by service id, or None if any is wrong."""
        result: dict[str, Rate] = {}
        seen: dict[str, int] = {}
        all_ok = True
        for index, row in enumerate(rows):
            where = label(f"{plan}.rates", index, row, "service", keys.RATE_KEYS)
            values, ok = read_row(row, where, keys.RATE_KEYS, report)
            windows = self.windows(values.get("windows", ()), where, report)
            ok &= windows is not None
            service = values.get("service")
            if service is not None:
                if service not in self.service_rows:
                    report(f"{where}: service: unknown service {show(service)}")
                    ok = False
                elif service in seen:
                    report(
                        f"{where}: service: overlapping rates for service {show(service)} "
                        f"(also rates[{seen[service]}])"
                    )
                    ok = False
                else:
                    seen[service] = index
            unit = self.service_units.get(service) if isinstance(service, str) else None
            if ok and windows is not None and unit is not None and timezone is not None:
                assert isinstance(service, str)
                arguments = {k: v for k, v in values.items() if k not in ("service", "windows")}
                try:
                    rate = Rate.from_text(
                        unit=unit, timezone=timezone, windows=windows, **arguments
                    )
                except ValueError as error:
                    report(f"{where}: {error}")
                    ok = False
                else:
                    result[service] = rate
            all_ok &= ok
        return result if all_ok else None

    def windows(
        self, rows: Sequence[Any], rate: str, report: Report
    ) -> list[dict[str, Any]] | None:
        """The checked windows of one rate (as Rate.from_text takes them), or None."""
        result = []
        all_ok = True
        for index, row in enumerate(rows):
            where = f"{rate}.windows[{index}]"
            values, ok = read_row(row, where, keys.WINDOW_KEYS, report)
            if "start" in values and values.get("end") == values["start"]:
                report(f"{where}: end: must differ from start")
                ok = False
            if ok:
                try:
                    Window.from_text(**values)
                except ValueError as error:
                    report(f"{where}: {error}")
                    ok = False
            if ok:
                result.append(values)
            all_ok &= ok
        return result if all_ok else None

    # --- accounts ---

    def accounts(self, rows: Sequence[Any]) -> list[AccountDef]:
        read = []
        for index, row in enumerate(rows):
            report = self.reporter(_ACCOUNTS, index)
            where = label("accounts", index, row, "id", keys.ACCOUNT_KEYS)
            values, ok = read_row(row, where, keys.ACCOUNT_KEYS, report)
            ok &= self.unique(self.account_rows, values.get("id"), index, "accounts", "id", report)
            ok &= self.account_figures(row, values, where, report)
            read.append((index, row, where, values, ok))
        result = []
        parents: dict[str, str] = {}
        for index, _row, where, values, ok in read:
            report = self.reporter(_ACCOUNTS, index)
            plan = values.get("plan")
            if plan is not None and plan not in self.plan_rows:
                report(f"{where}: plan: unknown plan {show(plan)}")
                ok = False
            parent, own = values.get("parent"), values.get("id")
            if parent is not None:
                if parent == own:
                    report(f"{where}: parent: must be another account, not the account itself")
                    ok = False
                elif parent not in self.account_rows:
                    report(f"{where}: parent: unknown account {show(parent)}")
                    ok = False
                elif own is not None and self.account_rows.get(own) == index:
                    parents[own] = parent
            ok &= account_extras(values, where, report)
            if ok:
                result.append(AccountDef(**values))
        self.parent_cycles(parents)
        return result

    def account_figures(
        self, row: Any, values: Mapping[str, Any], where: str, report: Report
    ) -> bool:
        """Balance and credit limit against the account's kind."""
        kind = values.get("kind")
        balance, limit = values.get("balance"), values.get("credit_limit")
        if kind == AccountKind.PREPAID:
            ok = True
            if limit is not None and limit != 0:
                got = money_text(row, "credit_limit", limit)
                report(f'{where}: credit_limit: must be "0" for a prepaid account, got {got}')
                ok = False
            if balance is not None and balance < floor(kind, 0):
                got = money_text(row, "balance", balance)
                report(f"{where}: balance: must be >= 0 for a prepaid account, got {got}")
                ok = False
            return ok
        if kind is not None and balance is not None and limit is not None:
            if balance >= floor(kind, limit):
                return True
            got = money_text(row, "balance", balance)
            report(
                f"{where}: balance: must be >= -credit_limit ({format_money(-limit)}) "
                f"for a postpaid account, got {got}"
            )
            return False
        return True

    def parent_cycles(self, parents: Mapping[str, str]) -> None:
        """Report each cycle of parents once, at its first account in the file."""
        state: dict[str, bool] = {}  # False: on the current path, True: done
        for start in parents:
            path: list[str] = []
            node: str | None = start
            while node is not None and node not in state:
                state[node] = False
                path.append(node)
                node = parents.get(node)
            if node is not None and state[node] is False:
                cycle = path[path.index(node) :]
                first = min(range(len(cycle)), key=lambda i: self.account_rows[cycle[i]])
                cycle = cycle[first:] + cycle[:first]
                index = self.account_rows[cycle[0]]
                chain = " -> ".join(show(account) for account in [*cycle, cycle[0]])
                where = f"accounts[{index}] (id {show(cycle[0])})"
                self.reporter(_ACCOUNTS, index)(f"{where}: parent: forms a cycle {chain}")
            for visited in path:
                state[visited] = True

    # --- users and vouchers ---

    def users(self, rows: Sequence[Any]) -> list[UserDef]:
        result = []
        seen: dict[str, int] = {}
        for index, row in enumerate(rows):
            report = self.reporter(_USERS, index)
            where = label("users", index, row, "login", keys.USER_KEYS)
            values, ok = read_row(row, where, keys.USER_KEYS, report)
            ok &= self.unique(seen, values.get("login"), index, "users", "login", report)
            role, account = values.get("role"), values.get("account")
            has_account = isinstance(row, dict) and "account" in row
            ok &= self.service_scope(role, values.get("may_charge"), where, report)
            if values.get("may_charge") is not None:
                values["may_charge"] = tuple(values["may_charge"])
            if role == "user" and not has_account:
                report(f'{where}: account: is required for role "user"')
                ok = False
            elif role in ("support", "operator", "service") and has_account:
                report(f"{where}: account: must be left out for role {show(role)}")
                ok = False
            elif account is not None and account not in self.account_rows:
                report(f"{where}: account: unknown account {show(account)}")
                ok = False
            if ok:
                result.append(UserDef(**values))
        return result

    def service_scope(
        self, role: Any, may_charge: list[str] | None, where: str, report: Report
    ) -> bool:
        """``may_charge`` is required for role "service", refused for others, and must name
        known accounts."""
        if role == "service" and may_charge is None:
            report(f'{where}: may_charge: is required for role "service"')
            return False
        if role != "service" and may_charge is not None:
            report(f'{where}: may_charge: is only for role "service"')
            return False
        ok = True
        for index, account in enumerate(may_charge or ()):
            if account not in self.account_rows:
                report(f"{where}: may_charge[{index}]: unknown account {show(account)}")
                ok = False
        return ok

    def vouchers(self, rows: Sequence[Any]) -> list[VoucherDef]:
        result = []
        seen: dict[str, int] = {}
        for index, row in enumerate(rows):
            report = self.reporter(_VOUCHERS, index)
            where = label("vouchers", index, row, "code", keys.VOUCHER_KEYS)
            values, ok = read_row(row, where, keys.VOUCHER_KEYS, report)
            ok &= self.unique(seen, values.get("code"), index, "vouchers", "code", report)
            if ok:
                result.append(VoucherDef(**values))
        return result
