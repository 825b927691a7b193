"""The billing server's ASGI application: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
from fastapi import Depends, FastAPI
from sqlalchemy import Engine
from starlette.types import ASGIApp

from billclient import __version__

from .accounts.router import router as accounts_router
from .admin.router import router as admin_router
from .cdrs.router import router as cdrs_router
from .charges.router import router as charges_router
from .components.resign import resign_loop
from .components.router import router as updates_router
from .config import ServerSettings
from .db import make_engine
from .db.storage import StorageMonitor
from .events.guard import StreamRegistry
from .events.router import router as events_router
from .events.stream import EventHub
from .gateway.billing_side import Tolerance
from .gateway.billing_side.router import router as gateway_router
from .hierarchy.router import router as hierarchy_router
from .integration.router import router as integration_router
from .invoices.router import router as invoices_router
from .migrations.upgrade import upgrade
from .operations.jobs import billing_jobs_loop
from .operations.metrics import MetricsMiddleware, Registry
from .operations.retention import retention_loop
from .pricing.router import router as pricing_router
from .sessions import SessionPolicy
from .sessions.front import UpdateFront
from .sessions.group_commit import GroupCommitter
from .sessions.reaper import reaper_loop
from .sessions.records import prefetch
from .sessions.router import router as sessions_router
from .spending.router import router as spending_router
from .topups.reconcile import reconcile_loop
from .topups.router import router as topups_router
from .web import Context, refuse_nul
from .web.failures import FailureAnswers
from .web.handlers import document_problems, install_error_handlers
from .web.layers import Layer, Layers
from .web.limits import BodyLimits, refuse_long_path_ids
from .web.logs import RequestLog

__all__ = ["create_app", "served"]

log = logging.getLogger("billserver")


def create_app(settings: ServerSettings, engine: Engine | None = None) -> FastAPI:
    """Build the application; the database is migrated when it starts serving."""
    engine = engine or make_engine(settings.db_url)
    ctx = Context(settings=settings, engine=engine)
    policy = SessionPolicy.of(settings)
    hub = EventHub(engine)
    committer = GroupCommitter(engine, prepare=prefetch, committed=hub.committed)
    storage = StorageMonitor(engine)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(upgrade, engine)
        reaper = asyncio.create_task(
            reaper_loop(engine, policy, settings.reaper_interval), name="reaper"
        )
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
    app.state.session_policy = policy
    app.state.gateway_tolerance = Tolerance(
        settings.gateway_tolerance, settings.gateway_tolerance_units
    )
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
        spending_router,
    ):
        app.include_router(router)
    install_error_handlers(app)
    document_problems(app)
    failures: Layer = (FailureAnswers, {})  # unhandled errors become 503 / 500
    layers: list[Layer] = [  # innermost first
        failures,
        (
            BodyLimits,
            {
                "max_bytes": settings.max_body_bytes,
                "timeout": settings.body_timeout,
                "larger": {"/v1/integration/events": settings.max_batch_body_bytes},
            },
        ),
    ]
    if settings.log_requests:
        layers.append((RequestLog, {"server_id": settings.effective_server_id}))
    if settings.metrics_port is not None:  # the listener itself is started by `serve`
        app.state.metrics = Registry(writer=committer)
        layers.append((MetricsMiddleware, {"registry": app.state.metrics}))
    # the failure answers again for a call the update front passes on: inside FastAPI's
    # error layer, which would answer and re-raise what they did not
    app.add_middleware(Layers, layers=layers, again=[failures])
    app.state.served = UpdateFront(app, committer=committer, policy=policy, layers=layers)
    return app


def served(app: FastAPI) -> ASGIApp:
    """What ``serve`` runs: ``app`` behind :class:`~.sessions.front.UpdateFront`, which
    answers the update calls (the hot path) before FastAPI's own stack, through the
    same layers."""
    front: ASGIApp = app.state.served
    return front
