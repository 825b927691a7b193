"""The client core's exceptions, and the mapping of problem answers onto them.

Every error a front end may show derives from :class:`BillingError`; ``str(error)``
is one line a person can read (what happened and, where it helps, what to do)::

    BillingError                      base; str(e) is a one-line message for a person
     +-- NotSignedIn                  no credentials for this profile
     +-- CredentialsUnavailable       keychain missing/locked/insecure-implicit problem
     +-- InsecureServer               not a usable server URL (plain http elsewhere, /v1, ...)
     +-- ServiceNotOffered            the plan has no such service
     +-- NotABillingServer            the address is a gateway or not a billing server
     +-- SettingsError                the profile's configuration cannot be read or written
     +-- ServerUnreachable            no server answered within the budget (.attempts: list[str])
     |    +-- TlsFailure              certificate verification failed
     +-- ApiError                     the server answered a problem (.status, .problem: Problem)
          +-- Unauthorized (401)  +-- DeviceRevoked (refresh token reused / device deleted)
          +-- Forbidden (403)     +-- AccountInactive, ServiceNotInPlan
          +-- NotFound (404)
          +-- InsufficientFunds (402)  +-- SpendingLimitReached (``spending_limit``)
          +-- Conflict (409)      +-- SeqConflict, StaleSeq, IdempotencyConflict,
          |                           SessionEnded (.session: SessionResource | None)
          +-- InvalidRequest (422; 413, 416)
          +-- RateLimited (429, .retry_after: float | None)
          +-- ServerError (5xx)

:func:`error_from_response` turns a non-2xx answer into the matching ``ApiError``.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
from pydantic import ValidationError

from billclient.protocol import ErrorCode, Problem, SessionResource

__all__ = [
    "AccountInactive",
    "ApiError",
    "BillingError",
    "Conflict",
    "CredentialsUnavailable",
    "DeviceRevoked",
    "Forbidden",
    "IdempotencyConflict",
    "InsecureServer",
    "InsufficientFunds",
    "InvalidRequest",
    "NotABillingServer",
    "NotFound",
    "NotSignedIn",
    "RateLimited",
    "SeqConflict",
    "ServerError",
    "ServerUnreachable",
    "ServiceNotInPlan",
    "ServiceNotOffered",
    "SessionEnded",
    "SettingsError",
    "SpendingLimitReached",
    "StaleSeq",
    "TlsFailure",
    "Unauthorized",
    "error_from_response",
    "parse_retry_after",
]


class BillingError(Exception):
    """Base of every client core error; ``str(error)`` is a one-line message for a person."""


class NotSignedIn(BillingError):
    """This profile has no credentials: sign in first."""


class CredentialsUnavailable(BillingError):
    """The keychain cannot be used (missing, locked, or only an insecure one available)."""


class InsecureServer(BillingError):
    """A server URL was refused: plain http to a host other than this machine, no
    scheme, or a path that is not a server's base address (``.../v1``)."""


class NotABillingServer(BillingError):
    """The address given answers, but it is not a billing server (a gateway, say)."""


class ServiceNotOffered(BillingError):
    """The caller's plan does not offer the service asked for (known before any request)."""


class SettingsError(BillingError):
    """The profile's settings file cannot be read or written."""


class ServerUnreachable(BillingError):
    """No server answered within the budget; ``attempts`` says what each attempt met."""

    def __init__(self, message: str, attempts: list[str] | None = None) -> None:
        super().__init__(message)
        self.attempts: list[str] = list(attempts or [])


class TlsFailure(ServerUnreachable):
    """A server's TLS certificate could not be verified."""


class ApiError(BillingError):
    """The server answered with a problem document."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(_one_line(problem))
        self.problem = problem
        self.status: int = problem.status

    @property
    def code(self) -> ErrorCode:
        """The problem's machine-readable code."""
        return self.problem.code


class Unauthorized(ApiError):
    """401: the credentials were refused."""


class DeviceRevoked(Unauthorized):
    """This device was signed out (a reused refresh token, or deleted): sign in again."""


class Forbidden(ApiError):
    """403: the login may not do this."""


class AccountInactive(Forbidden):
    """403 ``account_inactive``: the account may not open sessions or charges."""


class ServiceNotInPlan(Forbidden):
    """403 ``service_not_in_plan``."""


class NotFound(ApiError):
    """404: no such thing (or not the caller's)."""


class InsufficientFunds(ApiError):
    """402: the available balance does not cover it."""


class SpendingLimitReached(InsufficientFunds):
    """402 ``spending_limit``: a daily or monthly spending limit of the account leaves
    too little; the detail names the limit and when it resets."""


class Conflict(ApiError):
    """409: the call conflicts with the state on the server."""


class SeqConflict(Conflict):
    """409 ``seq_conflict``: the same seq was sent with other figures."""


class StaleSeq(Conflict):
    """409 ``stale_seq``: an older seq than the last accepted one."""


class IdempotencyConflict(Conflict):
    """409 ``idempotency_conflict``: the key was used with another request body."""


class SessionEnded(Conflict):
    """409 ``session_ended``; ``session`` is the ended session when the server sent it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.session: SessionResource | None = None
        raw = (problem.model_extra or {}).get("session")
        if isinstance(raw, dict):
            try:
                self.session = SessionResource.model_validate(raw)
            except ValidationError:
                self.session = None


class InvalidRequest(ApiError):
    """422: the request was malformed or invalid."""


class RateLimited(ApiError):
    """429: too many requests; ``retry_after`` seconds to wait, when the server said."""

    def __init__(self, problem: Problem, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed or is unavailable."""


_BY_CODE: dict[ErrorCode, type[ApiError]] = {
    ErrorCode.UNAUTHORIZED: Unauthorized,
    ErrorCode.FORBIDDEN: Forbidden,
    ErrorCode.ACCOUNT_INACTIVE: AccountInactive,
    ErrorCode.SERVICE_NOT_IN_PLAN: ServiceNotInPlan,
    ErrorCode.NOT_FOUND: NotFound,
    ErrorCode.INSUFFICIENT_FUNDS: InsufficientFunds,
    ErrorCode.SPENDING_LIMIT: SpendingLimitReached,
    ErrorCode.SEQ_CONFLICT: SeqConflict,
    ErrorCode.STALE_SEQ: StaleSeq,
    ErrorCode.IDEMPOTENCY_CONFLICT: IdempotencyConflict,
    ErrorCode.SESSION_ENDED: SessionEnded,
    ErrorCode.VALIDATION_ERROR: InvalidRequest,
    ErrorCode.CONTENT_TOO_LARGE: InvalidRequest,
    ErrorCode.RANGE_NOT_SATISFIABLE: InvalidRequest,
    ErrorCode.RATE_LIMITED: RateLimited,
    ErrorCode.UNAVAILABLE: ServerError,
    ErrorCode.INTERNAL: ServerError,
}

_BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    402: InsufficientFunds,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidRequest,
    429: RateLimited,
}

_STATUS_CODE: dict[int, ErrorCode] = {
    401: ErrorCode.UNAUTHORIZED,
    402: ErrorCode.INSUFFICIENT_FUNDS,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.IDEMPOTENCY_CONFLICT,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.UNAVAILABLE,
}


def _one_line(problem: Problem) -> str:
    text = " ".join(f"{problem.title}: {problem.detail}".split())
    return text if len(text) <= 300 else text[:297] + "..."


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def _problem_of(response: httpx.Response) -> Problem:
    """The answer's problem document, or one made up from its status when it has none."""
    try:
        body: Any = response.json()
        if isinstance(body, dict):
            return Problem.model_validate(body)
    except (ValueError, ValidationError):
        pass
    status = response.status_code
    code = _STATUS_CODE.get(status, ErrorCode.INTERNAL if status >= 500 else ErrorCode.FORBIDDEN)
    reason = response.reason_phrase or "no details"
    return Problem(
        type=f"/problems/{code.value}",
        title=code.summary,
        status=status,
        detail=f"the server answered HTTP {status} ({reason}) without details",
        code=code,
    )


def error_from_response(response: httpx.Response) -> ApiError:
    """The :class:`ApiError` subclass for a problem answer (any non-2xx response)."""
    problem = _problem_of(response)
    status = response.status_code
    kind = _BY_CODE.get(problem.code) or _BY_STATUS.get(status)
    if kind is None:
        kind = ServerError if status >= 500 else ApiError
    if status >= 500 and not issubclass(kind, ServerError):
        kind = ServerError
    if kind is RateLimited:
        return RateLimited(problem, parse_retry_after(response.headers.get("Retry-After")))
    if problem.status != status:
        problem = problem.model_copy(update={"status": status})
    return kind(problem)
