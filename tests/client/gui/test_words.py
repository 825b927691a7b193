"""Pure GUI logic: error texts, the connection and low-balance texts (the shared words
themselves are tested in tests/client/core/test_words.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from billclient.core.errors import (
    AccountInactive,
    RateLimited,
    ServerUnreachable,
    TlsFailure,
    Unauthorized,
)
from billclient.core.live import ConnectionState, LinkStatus
from billclient.gui.formatting import set_locale
from billclient.gui.tray import low_balance_text
from billclient.gui.views.signin import sign_in_error_text, split_servers
from billclient.gui.widgets.connection import connection_summary, pool_summary
from billclient.protocol import ErrorCode, Problem
from billclient.protocol.events import NoticeEvent, NoticeKind


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_locale("en_US")
    yield
    set_locale("en_US")


def test_sign_in_errors_say_what_to_do() -> None:
    problem = Problem(
        type="/problems/unauthorized",
        title="t",
        status=401,
        detail="d",
        code=ErrorCode.UNAUTHORIZED,
    )
    assert sign_in_error_text(Unauthorized(problem)) == "Wrong login or password."
    tls = sign_in_error_text(TlsFailure("certificate verify failed for https://x"))
    assert tls.startswith("The server's certificate could not be verified")
    assert "No server answered" in sign_in_error_text(ServerUnreachable("nothing at x"))
    inactive = Problem(
        type="/problems/account_inactive",
        title="t",
        status=403,
        detail="d",
        code=ErrorCode.ACCOUNT_INACTIVE,
    )
    assert "not active" in sign_in_error_text(AccountInactive(inactive))
    limited = Problem(
        type="/problems/rate_limited",
        title="t",
        status=429,
        detail="d",
        code=ErrorCode.RATE_LIMITED,
    )
    assert "30 seconds" in sign_in_error_text(RateLimited(limited, 30))
    assert split_servers(" https://a, https://b\nhttps://c ") == [
        "https://a",
        "https://b",
        "https://c",
    ]


def test_connection_summary() -> None:
    now = datetime(2026, 1, 2, 13, 5, 9, tzinfo=UTC)
    live = ConnectionState(LinkStatus.LIVE, now, "https://a")
    assert connection_summary(live, True, now) == ("ok", "Live on primary")
    assert connection_summary(live, False, now) == ("warn", "Live on secondary")
    offline = ConnectionState(LinkStatus.OFFLINE, now)
    level, text = connection_summary(offline, None, now)
    assert level == "bad"
    assert text.startswith("Offline · last synced at ")
    assert connection_summary(None, None, None) == ("info", "Connecting")
    assert pool_summary(False) == ("warn", "Connected to secondary")


def test_low_balance_notice_text() -> None:
    notice = NoticeEvent(kind=NoticeKind.LOW_BALANCE, available=1_500_000, seconds_left=720)
    assert low_balance_text(notice, "EUR") == "€1.50 left: about 12 min at the current rate."
    idle = NoticeEvent(kind=NoticeKind.LOW_BALANCE, available=1_500_000)
    assert low_balance_text(idle, "EUR").startswith("€1.50 left. Top up")
