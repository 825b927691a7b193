"""Every failure as an RFC 9457 problem document, and the problem schemas in OpenAPI."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode
from starlette.exceptions import HTTPException as StarletteHTTPException

from billclient.protocol import (
    BalanceEvent,
    ErrorCode,
    LimitEvent,
    NoticeEvent,
    Problem,
    SessionEvent,
    SessionReports,
)

from ..ledger import Refused
from .problems import ApiError, problem_response
from .refusals import refusal_error

__all__ = ["describe_errors", "document_problems", "install_error_handlers"]

_STATUS_CODES = {
    400: ErrorCode.VALIDATION_ERROR,  # Starlette's "error parsing the body" (not UTF-8 JSON)
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.UNAVAILABLE,
}


def install_error_handlers(app: FastAPI) -> None:
    """Turn ApiError, a ledger refusal and FastAPI's validation and routing errors into
    problem documents.

    Any other exception is answered by :class:`~billserver.web.failures.FailureAnswers`
    (503 for a storage fault, else a bare 500 ``internal``), which create_app installs
    just outside the routes."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(exc.code, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(Refused)
    async def _refused(_request: Request, exc: Refused) -> JSONResponse:
        error = refusal_error(exc)
        return problem_response(error.code, error.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(ErrorCode.VALIDATION_ERROR, describe_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.INTERNAL)
        detail = exc.detail if isinstance(exc.detail, str) else code.summary
        return problem_response(code, detail, dict(exc.headers or {}))


def describe_errors(errors: Any) -> str:
    """The ``detail`` of a 422 for pydantic's validation ``errors`` (locations without
    the leading ``body``)."""
    parts = []
    for error in list(errors)[:5]:
        if error.get("type") == "json_invalid":
            parts.append(
                f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'syntax')})"
            )
            continue
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        message = str(error.get("msg", "invalid"))
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts) or "the request is not valid"


def document_problems(app: FastAPI) -> None:
    """Add the schemas routes reference by hand to OpenAPI: Problem and SessionProblem
    for their error answers (web.problems), the event payloads for ``/v1/events``, the
    body of ``POST /v1/sessions/updates`` (which checks each report on its own)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            models: tuple[tuple[type[BaseModel], JsonSchemaMode], ...] = (
                (Problem, "serialization"),
                (BalanceEvent, "serialization"),
                (SessionEvent, "serialization"),
                (NoticeEvent, "serialization"),
                (LimitEvent, "serialization"),
                (SessionReports, "validation"),  # a body its route reads itself
            )
            for model, mode in models:
                definition = model.model_json_schema(
                    ref_template="#/components/schemas/{model}", mode=mode
                )
                for name, nested in definition.pop("$defs", {}).items():  # enums
                    components.setdefault(name, nested)
                components[model.__name__] = definition
            components["SessionProblem"] = {
                "title": "SessionProblem",
                "description": "A problem; a 409 session_ended one carries the session resource.",
                "allOf": [{"$ref": "#/components/schemas/Problem"}],
                "properties": {"session": {"$ref": "#/components/schemas/SessionResource"}},
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
