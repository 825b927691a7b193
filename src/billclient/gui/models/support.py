"""Columns of the support console: account search hits, live sessions, audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QCoreApplication, Qt

from billclient.protocol import AccountSummary, AuditEntry, LiveSession
from billclient.protocol.money import format_money as wire_money

from ..formatting import format_datetime, format_duration, format_money, format_time
from .columns import Column

__all__ = [
    "DURATION_COLUMN",
    "account_columns",
    "audit_columns",
    "live_session_columns",
    "session_key",
    "status_label",
    "summary_key",
]

RIGHT = Qt.AlignmentFlag.AlignRight
translate = QCoreApplication.translate


def status_label(status: str) -> str:
    """An account status for people."""
    return {
        "active": translate("support", "Active"),
        "inactive": translate("support", "Suspended"),
        "pending": translate("support", "Pending"),
    }.get(status, status)


def account_columns() -> list[Column]:
    """Account, name, status, kind, logins."""
    return [
        Column.plain(translate("support", "Account"), lambda a: a.account_id),
        Column.plain(translate("support", "Name"), lambda a: a.name),
        Column(
            translate("support", "Status"),
            lambda a: status_label(a.status),
            lambda a: str(a.status),
            lambda a: str(a.status),
        ),
        Column(
            translate("support", "Kind"),
            lambda a: (
                translate("support", "Postpaid")
                if a.kind == "postpaid"
                else translate("support", "Prepaid")
            ),
            lambda a: str(a.kind),
            lambda a: str(a.kind),
        ),
        Column.plain(translate("support", "Logins"), lambda a: ", ".join(a.logins)),
    ]


def _seconds(session: LiveSession, now: Callable[[], datetime]) -> float:
    end = session.ended_at or now()
    return max((end - session.started_at).total_seconds(), 0.0)


def _started(session: LiveSession, now: Callable[[], datetime]) -> str:
    """When a session started: the time alone when that was today (the usual case)."""
    started, today = session.started_at.astimezone(), now().astimezone()
    if started.date() == today.date():
        return format_time(started)
    return format_datetime(started)


def live_session_columns(currency: Callable[[], str], now: Callable[[], datetime]) -> list[Column]:
    """User, service, duration (ticking), used, charge, endpoint, started, rate."""
    return [
        Column.plain(translate("support", "User"), lambda s: s.user or "—"),
        Column.plain(translate("support", "Service"), lambda s: s.service_id),
        Column(
            translate("support", "Duration"),
            lambda s: format_duration(_seconds(s, now)),
            lambda s: _seconds(s, now),
            lambda s: str(int(_seconds(s, now))),
            RIGHT,
        ),
        Column(
            translate("support", "Used"),
            lambda s: str(s.used_units),
            lambda s: s.used_units,
            lambda s: str(s.used_units),
            RIGHT,
        ),
        Column(
            translate("support", "Charge"),
            lambda s: format_money(s.charged, currency()),
            lambda s: s.charged,
            lambda s: wire_money(s.charged),
            RIGHT,
        ),
        Column.plain(
            translate("support", "Endpoint"), lambda s: s.endpoint or translate("support", "direct")
        ),
        Column(
            translate("support", "Started"),
            lambda s: _started(s, now),
            lambda s: s.started_at.timestamp(),
            lambda s: s.started_at.isoformat(),
        ),
        # last: the longest text takes the room left, cut with "…" (whole in its tooltip)
        Column.plain(translate("support", "Rate"), lambda s: s.rate),
    ]


DURATION_COLUMN = 2
"""The index of the live sessions' ticking duration column."""


def _details(entry: AuditEntry) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(entry.details.items()))


def audit_columns() -> list[Column]:
    """When, who, action, details, device, server."""
    return [
        Column(
            translate("support", "When"),
            lambda e: format_datetime(e.at),
            lambda e: (e.at.timestamp(), e.audit_id),
            lambda e: e.at.isoformat(),
        ),
        Column.plain(translate("support", "Who"), lambda e: e.actor),
        Column.plain(translate("support", "Action"), lambda e: e.action),
        Column(
            translate("support", "Details"),
            _details,
            _details,
            lambda e: json.dumps(e.details, sort_keys=True, default=str),
        ),
        Column.plain(translate("support", "Device"), lambda e: e.device_id or ""),
        Column.plain(translate("support", "Server"), lambda e: e.server_id or ""),
    ]


def summary_key(summary: AccountSummary) -> str:
    """A search hit's identity."""
    return summary.account_id


def session_key(session: LiveSession) -> str:
    """A live session's identity."""
    return session.session_id
