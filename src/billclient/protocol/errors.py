"""Error codes and the RFC 9457 problem document.

Every failed call answers ``application/problem+json``::

    {"type": "/problems/<code>", "title", "status", "detail", "code"}

``ErrorCode`` lists every code PROTOCOL.md allows, each with its HTTP status, and
three PROTOCOL.md leaves to HTTP that are answered in the same form: a request that
did not arrive in time (408 ``request_timeout``), a body above the server's limit
(413 ``content_too_large``) and a gateway download ``Range`` beyond the file (416
``range_not_satisfiable``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["PROBLEM_CONTENT_TYPE", "ErrorCode", "Problem"]

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ErrorCode(StrEnum):
    """The machine-readable ``code`` of a problem answer."""

    VALIDATION_ERROR = "validation_error"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    SPENDING_LIMIT = "spending_limit"
    ACCOUNT_INACTIVE = "account_inactive"
    SERVICE_NOT_IN_PLAN = "service_not_in_plan"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    SEQ_CONFLICT = "seq_conflict"
    STALE_SEQ = "stale_seq"
    SESSION_ENDED = "session_ended"
    RATE_LIMITED = "rate_limited"
    REQUEST_TIMEOUT = "request_timeout"
    CONTENT_TOO_LARGE = "content_too_large"
    RANGE_NOT_SATISFIABLE = "range_not_satisfiable"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"

    @property
    def status(self) -> int:
        """The HTTP status that goes with this code."""
        return _STATUS[self]

    @property
    def summary(self) -> str:
        """A short human title for this code (the problem's ``title``)."""
        return _TITLES[self]


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.INSUFFICIENT_FUNDS: 402,
    ErrorCode.SPENDING_LIMIT: 402,
    ErrorCode.ACCOUNT_INACTIVE: 403,
    ErrorCode.SERVICE_NOT_IN_PLAN: 403,
    ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.SEQ_CONFLICT: 409,
    ErrorCode.STALE_SEQ: 409,
    ErrorCode.SESSION_ENDED: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.REQUEST_TIMEOUT: 408,
    ErrorCode.CONTENT_TOO_LARGE: 413,
    ErrorCode.RANGE_NOT_SATISFIABLE: 416,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}

_TITLES: dict[ErrorCode, str] = {
    ErrorCode.VALIDATION_ERROR: "The request is not valid",
    ErrorCode.UNAUTHORIZED: "Sign-in required",
    ErrorCode.FORBIDDEN: "Not allowed",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed",
    ErrorCode.INSUFFICIENT_FUNDS: "Insufficient funds",
    ErrorCode.SPENDING_LIMIT: "Spending limit reached",
    ErrorCode.ACCOUNT_INACTIVE: "Account inactive",
    ErrorCode.SERVICE_NOT_IN_PLAN: "Service not in plan",
    ErrorCode.IDEMPOTENCY_CONFLICT: "Idempotency key reused with another request",
    ErrorCode.SEQ_CONFLICT: "Sequence number conflict",
    ErrorCode.STALE_SEQ: "Stale sequence number",
    ErrorCode.SESSION_ENDED: "Session ended",
    ErrorCode.RATE_LIMITED: "Too many requests",
    ErrorCode.REQUEST_TIMEOUT: "The request did not arrive in time",
    ErrorCode.CONTENT_TOO_LARGE: "The request body is too large",
    ErrorCode.RANGE_NOT_SATISFIABLE: "Range not satisfiable",
    ErrorCode.UNAVAILABLE: "Service unavailable",
    ErrorCode.INTERNAL: "Internal error",
}


class Problem(BaseModel):
    """An RFC 9457 problem document; extra members (such as ``session``) are kept."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: ErrorCode

    @classmethod
    def of(cls, code: ErrorCode, detail: str, **extra: Any) -> Problem:
        """Build the problem document for ``code``."""
        return cls(
            type=f"/problems/{code.value}",
            title=code.summary,
            status=code.status,
            detail=detail,
            code=code,
            **extra,
        )
