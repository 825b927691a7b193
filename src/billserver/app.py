"""The billing server's ASGI application: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from billclient import __version__
from billclient.protocol import BalanceEvent, ErrorCode, NoticeEvent, Problem, SessionEvent

from .accounts.router import router as accounts_router
from .admin.router import router as admin_router
from .billing_jobs import billing_jobs_loop
from .cdrs.router import router as cdrs_router
from .charges.router import router as charges_router
from .components.resign import resign_loop
from .components.router import router as updates_router
from .config import ServerSettings
from .db import make_engine
from .errors import ApiError, problem_response
from .events.guard import StreamRegistry
from .events.router import router as events_router
from .events.stream import EventHub
from .failures import FailureAnswers
from .group_commit import GroupCommitter
from .hierarchy.router import router as hierarchy_router
from .integration.router import router as integration_router
from .invoices.router import router as invoices_router
from .limits import BodyLimits, refuse_long_path_ids
from .logging_setup import RequestLog
from .metrics import MetricsMiddleware, Registry
from .migrate import upgrade
from .pricing.router import router as pricing_router
from .retention import retention_loop
from .sessions.gateway_router import router as gateway_router
from .sessions.reaper import reap_once
from .sessions.router import router as sessions_router
from .storage import StorageMonitor, log_failure
from .topups.reconcile import reconcile_loop
from .topups.router import router as topups_router
from .web import Context, refuse_nul

__all__ = ["create_app"]

log = logging.getLogger("billserver")

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


def create_app(settings: ServerSettings, engine: Engine | None = None) -> FastAPI:
    """Build the application; the database is migrated when it starts serving."""
    engine = engine or make_engine(settings.db_url)
    ctx = Context(settings=settings, engine=engine)
    hub = EventHub(engine)
    committer = GroupCommitter(engine)
    storage = StorageMonitor(engine)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(upgrade, engine)
        reaper = asyncio.create_task(_reaper_loop(ctx), name="reaper")
        retention = asyncio.create_task(retention_loop(settings, engine), name="retention")
        reconciler = asyncio.create_task(reconcile_loop(engine, settings), name="reconcile")
        resigner = None
        if settings.updates_timestamp_key is not None:
            resigner = asyncio.create_task(resign_loop(settings, engine), name="resign")
        billing = asyncio.create_task(billing_jobs_loop(engine, settings), name="billing-jobs")
        try:
            yield
        finally:
            hub.close()
            await anyio.to_thread.run_sync(committer.close)
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retention
            reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reconciler
            if resigner is not None:
                resigner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await resigner
            billing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await billing
            storage.close()
            engine.dispose()

    app = FastAPI(
        title="Billing protocol",
        version=__version__,
        summary="Real-time metering and billing: PROTOCOL.md v1",
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul), Depends(refuse_long_path_ids)],
    )
    app.state.context = ctx
    app.state.event_hub = hub
    app.state.event_streams = StreamRegistry(
        max_streams=settings.events_max_streams, max_per_login=settings.events_max_per_login
    )
    app.state.group_commit = committer
    app.state.storage = storage
    for router in (
        accounts_router,
        pricing_router,
        sessions_router,
        cdrs_router,
        topups_router,
        events_router,
        admin_router,
        updates_router,
        gateway_router,
        invoices_router,
        charges_router,
        integration_router,
        hierarchy_router,
    ):
        app.include_router(router)
    _install_error_handlers(app)
    _document_problem(app)
    app.add_middleware(FailureAnswers)  # innermost: unhandled errors become 503 / 500
    app.add_middleware(
        BodyLimits,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout,
        larger={"/v1/integration/events": settings.max_batch_body_bytes},
    )
    if settings.log_requests:
        app.add_middleware(RequestLog, server_id=settings.effective_server_id)
    if settings.metrics_port is not None:  # the listener itself is started by `serve`
        app.state.metrics = Registry()
        app.add_middleware(MetricsMiddleware, registry=app.state.metrics)
    return app


async def _reaper_loop(ctx: Context) -> None:
    while True:
        try:
            ended = await anyio.to_thread.run_sync(reap_once, ctx.engine, ctx.policy)
            if ended:
                log.info("reaper ended %d silent session(s)", ended)
        except Exception as error:  # the reaper must outlive a passing database error
            log_failure(log, "reaper run failed", error)
        await asyncio.sleep(ctx.settings.reaper_interval)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(exc.code, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(ErrorCode.VALIDATION_ERROR, _describe(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.INTERNAL)
        detail = exc.detail if isinstance(exc.detail, str) else code.summary
        return problem_response(code, detail, dict(exc.headers or {}))


def _describe(errors: Any) -> str:
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


def _document_problem(app: FastAPI) -> None:
    """Add the schemas routes reference by hand to OpenAPI: Problem and SessionProblem
    for their error answers (web.problems), the event payloads for ``/v1/events``."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (Problem, BalanceEvent, SessionEvent, NoticeEvent):
                definition = model.model_json_schema(
                    ref_template="#/components/schemas/{model}", mode="serialization"
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
