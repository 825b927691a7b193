"""Application errors and their RFC 9457 problem answers.

Exception tree::

    ApiError                 any refusal with an ErrorCode (-> problem+json)

Domain services raise ``ApiError``; ``app.py`` installs handlers turning it, and
FastAPI's own validation and routing errors, into problem documents. Anything
else becomes a bare 500 ``internal`` problem with no trace.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from billclient.protocol import PROBLEM_CONTENT_TYPE, ErrorCode, Problem

__all__ = ["ApiError", "problem_response"]


class ApiError(Exception):
    """A refusal the caller should see as a problem document."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.headers = headers or {}
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
