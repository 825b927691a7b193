"""Problem answers mapped onto the exception tree; Retry-After parsing."""

from __future__ import annotations

import email.utils

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billclient.core import errors
from billclient.core.errors import (
    AccountInactive,
    ApiError,
    BillingError,
    Conflict,
    Forbidden,
    RateLimited,
    ServerError,
    SessionEnded,
    error_from_response,
    parse_retry_after,
)
from billclient.protocol import ErrorCode, Problem

EXPECTED = {
    ErrorCode.VALIDATION_ERROR: errors.InvalidRequest,
    ErrorCode.UNAUTHORIZED: errors.Unauthorized,
    ErrorCode.FORBIDDEN: errors.Forbidden,
    ErrorCode.NOT_FOUND: errors.NotFound,
    ErrorCode.METHOD_NOT_ALLOWED: errors.ApiError,
    ErrorCode.INSUFFICIENT_FUNDS: errors.InsufficientFunds,
    ErrorCode.SPENDING_LIMIT: errors.SpendingLimitReached,
    ErrorCode.ACCOUNT_INACTIVE: errors.AccountInactive,
    ErrorCode.SERVICE_NOT_IN_PLAN: errors.ServiceNotInPlan,
    ErrorCode.IDEMPOTENCY_CONFLICT: errors.IdempotencyConflict,
    ErrorCode.SEQ_CONFLICT: errors.SeqConflict,
    ErrorCode.STALE_SEQ: errors.StaleSeq,
    ErrorCode.SESSION_ENDED: errors.SessionEnded,
    ErrorCode.RATE_LIMITED: errors.RateLimited,
    ErrorCode.REQUEST_TIMEOUT: errors.ApiError,
    ErrorCode.CONTENT_TOO_LARGE: errors.InvalidRequest,
    ErrorCode.RANGE_NOT_SATISFIABLE: errors.InvalidRequest,
    ErrorCode.UNAVAILABLE: errors.ServerError,
    ErrorCode.INTERNAL: errors.ServerError,
}


def _answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        json=body,
        headers={"content-type": "application/problem+json", **(headers or {})},
        request=httpx.Request("GET", "http://127.0.0.1/v1/x"),
    )


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_code_has_its_exception(code: ErrorCode) -> None:
    problem = Problem.of(code, "something\nhappened")
    error = error_from_response(_answer(code.status, problem.model_dump(mode="json")))
    assert type(error) is EXPECTED[code]
    assert isinstance(error, BillingError)
    assert error.status == code.status
    assert error.code is code
    assert "\n" not in str(error)
    assert "something happened" in str(error)


def test_the_tree_is_as_drawn() -> None:
    assert issubclass(errors.TlsFailure, errors.ServerUnreachable)
    assert issubclass(errors.DeviceRevoked, errors.Unauthorized)
    assert issubclass(AccountInactive, Forbidden)
    assert issubclass(SessionEnded, Conflict)
    assert issubclass(errors.SpendingLimitReached, errors.InsufficientFunds)
    for name in ("NotSignedIn", "CredentialsUnavailable", "InsecureServer", "ServerUnreachable"):
        assert issubclass(getattr(errors, name), BillingError)
    for name in ("Unauthorized", "Forbidden", "NotFound", "InsufficientFunds", "Conflict"):
        assert issubclass(getattr(errors, name), ApiError)


def test_session_ended_carries_the_session() -> None:
    session = {
        "session_id": "s1",
        "service_id": "voice",
        "state": "ended",
        "started_at": "2026-01-01T00:00:00Z",
        "ended_at": "2026-01-01T00:01:00Z",
        "last_seq": 3,
        "used_units": 60,
        "unbilled_units": 0,
        "charged": "0.07",
        "granted_units": 120,
        "reserved": "0",
        "final": False,
        "update_interval": 10,
        "cause": "update_timeout",
        "cdr_id": "c1",
    }
    body = Problem.of(ErrorCode.SESSION_ENDED, "ended", session=session).model_dump(mode="json")
    error = error_from_response(_answer(409, body))
    assert isinstance(error, SessionEnded)
    assert error.session is not None
    assert (error.session.session_id, error.session.charged) == ("s1", 70_000)
    bare = error_from_response(_answer(409, Problem.of(ErrorCode.SESSION_ENDED, "x").model_dump()))
    assert isinstance(bare, SessionEnded)
    assert bare.session is None


def test_rate_limited_carries_retry_after() -> None:
    body = Problem.of(ErrorCode.RATE_LIMITED, "slow down").model_dump(mode="json")
    error = error_from_response(_answer(429, body, {"Retry-After": "7"}))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0


@pytest.mark.parametrize(("status", "kind"), [(502, ServerError), (404, errors.NotFound)])
def test_an_answer_without_a_problem_document_still_maps(status: int, kind: type) -> None:
    answer = httpx.Response(
        status, text="<html>bad gateway</html>", request=httpx.Request("GET", "http://x/")
    )
    error = error_from_response(answer)
    assert type(error) is kind
    assert f"HTTP {status}" in str(error)


@given(st.integers(0, 10**6))
def test_retry_after_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == seconds


@given(st.integers(0, 10**6))
def test_retry_after_http_date(delta: int) -> None:
    now = 1_800_000_000.0
    header = email.utils.formatdate(now + delta, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(delta)


@given(st.text())
def test_retry_after_never_fails(text: str) -> None:
    value = parse_retry_after(text)
    assert value is None or value >= 0
