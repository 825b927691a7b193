"""Application errors and their RFC 9457 problem answers.

Exception tree::

    ApiError                 any refusal with an ErrorCode (-> problem+json)

Domain services raise ``ApiError``; ``app.py`` installs handlers turning it, and
FastAPI's own validation and routing errors, into problem documents. Anything
else becomes a bare 500 ``internal`` problem with no trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from billclient.protocol import PROBLEM_CONTENT_TYPE, ErrorCode, Problem

__all__ = [
    "AUTH_RESPONSES",
    "ApiError",
    "paged",
    "problem_response",
    "problems",
]


class ApiError(Exception):
    """A refusal the caller should see as a problem document.

    ``aftermath`` is what the refusal still records although the refused operation's
    changes roll back (a spending limit's notice): an idempotent route
    (:func:`~.idempotent.run_idempotent`) runs it after the rollback, in the
    transaction that stores the refusal with its key."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        aftermath: Callable[[Connection], None] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.aftermath = aftermath
        self.extra = extra

    def problem(self) -> Problem:
        """The problem document of this error."""
        return Problem.of(self.code, self.detail, **self.extra)


def problem_response(
    code: ErrorCode, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json answer."""
    body = Problem.of(code, detail, **extra).model_dump(mode="json")
    return JSONResponse(
        body, status_code=code.status, headers=headers, media_type=PROBLEM_CONTENT_TYPE
    )


# -- OpenAPI: the problem answers a route documents --------------------------------

_PROBLEM_SCHEMA = "#/components/schemas/Problem"
_SESSION_PROBLEM_SCHEMA = "#/components/schemas/SessionProblem"
"""A problem that may carry the ``session`` resource (409 ``session_ended``); app.py
adds both schemas to the OpenAPI components."""

_RETRY_AFTER: dict[str, Any] = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}

_DESCRIPTIONS = {
    401: "Missing, expired or revoked access token",
    402: "Insufficient funds, or a spending limit reached (`spending_limit`)",
    403: "Forbidden (role not allowed), account inactive or service not in plan",
    404: "Not found",
    409: "Conflict (idempotency, sequence or session ended)",
    422: "Invalid request (body, query, path or header)",
    429: "Too many failed sign-ins for this login or address",
    503: "Unavailable for a moment; try again after Retry-After",
}


def _problem_schema(
    description: str, schema: str = _PROBLEM_SCHEMA, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": schema}}},
    }
    if headers:
        entry["headers"] = headers
    return entry


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem_schema(_DESCRIPTIONS[401]),
    422: _problem_schema(_DESCRIPTIONS[422]),
}


def problems(*statuses: int, session: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem answers a route may give: 401 and 422 always,
    plus ``statuses`` (429 and 503 with ``Retry-After``). With ``session`` the 409
    answer may carry the session resource (``session_ended``)."""
    entries = dict(AUTH_RESPONSES)
    for status in statuses:
        schema = _SESSION_PROBLEM_SCHEMA if session and status == 409 else _PROBLEM_SCHEMA
        headers = _RETRY_AFTER if status in (429, 503) else None
        entries[status] = _problem_schema(_DESCRIPTIONS[status], schema, headers)
    return entries


def paged(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of a list route: :func:`problems` and the ``Link`` header of 200."""
    link = {
        "description": 'The next page when more may follow: `<URL>; rel="next"`',
        "schema": {"type": "string"},
    }
    return {200: {"headers": {"Link": link}}, **problems(*statuses)}
