"""Columns of the user's own lists: charge records (CDRs) and the money statement."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt

from billclient.protocol import Cdr, StatementLine
from billclient.protocol.money import format_money as wire_money

from ..formatting import format_datetime, format_money, format_units
from .columns import Column

__all__ = ["cause_label", "cdr_columns", "cdr_key", "statement_columns"]

Currency = Callable[[], str]
Units = Callable[[str], str]
"""service id -> its unit (``second``, ``byte``, ``event``), ``""`` when unknown."""

RIGHT = Qt.AlignmentFlag.AlignRight
translate = QCoreApplication.translate


def cause_label(cause: str | None) -> str:
    """A short label for an end cause (the detail view says it in a sentence)."""
    labels = {
        "user": translate("records", "Stopped"),
        "service_done": translate("records", "Finished"),
        "credit_exhausted": translate("records", "Balance ran out"),
        "spending_limit": translate("records", "Spending limit reached"),
        "gateway_closed": translate("records", "Gateway closed or refused"),
        "operation_failed": translate("records", "Failed, not charged"),
        "client_error": translate("records", "App error"),
        "update_timeout": translate("records", "No news from device"),
        "account_inactive": translate("records", "Account suspended"),
        "support": translate("records", "Ended by support"),
    }
    return labels.get(cause or "", cause or "")


def _units(units: Units, service_id: str, count: int) -> str:
    unit = units(service_id)
    return format_units(count, unit) if unit else str(count)


def cdr_columns(
    currency: Currency, units: Units, service_name: Callable[[str], str]
) -> list[Column]:
    """Ended, service, used, billed, charged, cause, record id."""

    def money(micro: int) -> str:
        return format_money(micro, currency())

    return [
        Column(
            translate("records", "Ended"),
            lambda c: format_datetime(c.ended_at),
            lambda c: c.ended_at.timestamp(),
            lambda c: c.ended_at.isoformat(),
        ),
        Column(
            translate("records", "Service"),
            lambda c: service_name(c.service_id),
            lambda c: service_name(c.service_id).casefold(),
            lambda c: c.service_id,
        ),
        Column(
            translate("records", "Used"),
            lambda c: _units(units, c.service_id, c.used_units),
            lambda c: c.used_units,
            lambda c: str(c.used_units),
            RIGHT,
        ),
        Column(
            translate("records", "Billed"),
            lambda c: _units(units, c.service_id, c.billed_units),
            lambda c: c.billed_units,
            lambda c: str(c.billed_units),
            RIGHT,
        ),
        Column(
            translate("records", "Charged"),
            lambda c: money(c.charged),
            lambda c: c.charged,
            lambda c: wire_money(c.charged),
            RIGHT,
        ),
        Column(
            translate("records", "Ended because"),
            lambda c: cause_label(c.cause),
            lambda c: cause_label(c.cause),
            lambda c: str(c.cause),
        ),
        Column(
            translate("records", "Record"),
            lambda c: c.cdr_id if c.supersedes is None else f"{c.cdr_id} ({c.supersedes})",
            lambda c: c.cdr_id,
            lambda c: c.cdr_id,
        ),
    ]


def statement_columns(currency: Currency) -> list[Column]:
    """When, kind, description, amount, balance after."""

    def money(micro: int) -> str:
        return format_money(micro, currency())

    kinds = {
        "charge": translate("records", "Charge"),
        "topup": translate("records", "Top-up"),
        "adjustment": translate("records", "Adjustment"),
        "opening": translate("records", "Opening balance"),
        "refund": translate("records", "Refund"),
    }

    def kind(line: StatementLine) -> str:
        return kinds.get(line.kind, line.kind)

    return [
        Column(
            translate("records", "When"),
            lambda s: format_datetime(s.at),
            lambda s: (s.at.timestamp(), s.entry_id),
            lambda s: s.at.isoformat(),
        ),
        Column(translate("records", "Kind"), kind, lambda s: kind(s).casefold(), lambda s: s.kind),
        Column(
            translate("records", "Description"),
            lambda s: s.description,
            lambda s: s.description.casefold(),
            lambda s: s.description,
        ),
        Column(
            translate("records", "Amount"),
            lambda s: money(s.amount),
            lambda s: s.amount,
            lambda s: wire_money(s.amount),
            RIGHT,
        ),
        Column(
            translate("records", "Balance after"),
            lambda s: money(s.balance),
            lambda s: s.balance,
            lambda s: wire_money(s.balance),
            RIGHT,
        ),
    ]


def cdr_key(cdr: Cdr) -> str:
    """A CDR's identity (for in-place updates)."""
    return cdr.cdr_id
