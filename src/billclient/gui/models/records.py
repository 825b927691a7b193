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


def _tr(text: str) -> str:
    return QCoreApplication.translate("records", text)


def cause_label(cause: str | None) -> str:
    """A short label for an end cause (the detail view says it in a sentence)."""
    labels = {
        "user": _tr("Stopped"),
        "service_done": _tr("Finished"),
        "credit_exhausted": _tr("Balance ran out"),
        "gateway_closed": _tr("Provider closed"),
        "client_error": _tr("App error"),
        "update_timeout": _tr("No news from device"),
        "account_inactive": _tr("Account suspended"),
        "support": _tr("Ended by support"),
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
            _tr("Ended"),
            lambda c: format_datetime(c.ended_at),
            lambda c: c.ended_at.timestamp(),
            lambda c: c.ended_at.isoformat(),
        ),
        Column(
            _tr("Service"),
            lambda c: service_name(c.service_id),
            lambda c: service_name(c.service_id).casefold(),
            lambda c: c.service_id,
        ),
        Column(
            _tr("Used"),
            lambda c: _units(units, c.service_id, c.used_units),
            lambda c: c.used_units,
            lambda c: str(c.used_units),
            RIGHT,
        ),
        Column(
            _tr("Billed"),
            lambda c: _units(units, c.service_id, c.billed_units),
            lambda c: c.billed_units,
            lambda c: str(c.billed_units),
            RIGHT,
        ),
        Column(
            _tr("Charged"),
            lambda c: money(c.charged),
            lambda c: c.charged,
            lambda c: wire_money(c.charged),
            RIGHT,
        ),
        Column(
            _tr("Ended because"),
            lambda c: cause_label(c.cause),
            lambda c: cause_label(c.cause),
            lambda c: str(c.cause),
        ),
        Column(
            _tr("Record"),
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
        "charge": _tr("Charge"),
        "topup": _tr("Top-up"),
        "adjustment": _tr("Adjustment"),
        "opening": _tr("Opening balance"),
        "refund": _tr("Refund"),
    }

    def kind(line: StatementLine) -> str:
        return kinds.get(line.kind, line.kind)

    return [
        Column(
            _tr("When"),
            lambda s: format_datetime(s.at),
            lambda s: (s.at.timestamp(), s.entry_id),
            lambda s: s.at.isoformat(),
        ),
        Column(_tr("Kind"), kind, lambda s: kind(s).casefold(), lambda s: s.kind),
        Column(
            _tr("Description"),
            lambda s: s.description,
            lambda s: s.description.casefold(),
            lambda s: s.description,
        ),
        Column(
            _tr("Amount"),
            lambda s: money(s.amount),
            lambda s: s.amount,
            lambda s: wire_money(s.amount),
            RIGHT,
        ),
        Column(
            _tr("Balance after"),
            lambda s: money(s.balance),
            lambda s: s.balance,
            lambda s: wire_money(s.balance),
            RIGHT,
        ),
    ]


def cdr_key(cdr: Cdr) -> str:
    """A CDR's identity (for in-place updates)."""
    return cdr.cdr_id
