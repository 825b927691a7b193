"""``billserver serve``: the billing server, with the metrics listener when asked."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import import_into, note_creation, open_db, settings
from .failures import Failure
from .limit_flags import SERVER_LIMITS
from .parser import BILLING, GATEWAY, OPERATIONS, UPDATES

__all__ = ["cmd_serve"]


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..app import create_app, served
    from ..db.storage import describe_database, probe_writable
    from ..migrations.upgrade import upgrade
    from ..web.guarded_http import uvicorn_options
    from ..web.logs import configure_logging

    config = settings(
        args,
        "host",
        "port",
        "db_url",
        "catalog",
        "server_id",
        "advertise",
        "access_ttl",
        "reaper_interval",
        "heartbeat_interval",
        *OPERATIONS,
        *GATEWAY,
        "card_min",
        "card_max",
        "reconcile_interval",
        "sandbox_settle_after",
        *UPDATES,
        *BILLING,
        *SERVER_LIMITS,
    )
    configure_logging()
    note_creation(config.db_url)
    engine = open_db(config.db_url)
    upgrade(engine)
    fault = probe_writable(engine)
    if fault is not None:  # refuse to start rather than answer 503 to everything
        raise Failure(fault.explain(describe_database(config.db_url)))
    if config.catalog is not None:
        print(import_into(engine, config.catalog, config.effective_server_id), file=sys.stderr)
    app = create_app(config, engine)
    server_config = uvicorn.Config(
        served(app),
        host=config.host,
        port=config.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        server_header=False,
        **uvicorn_options(config, forwarded_allow_ips=config.forwarded_allow_ips),
    )
    server = _graceful_server_class()(server_config)
    if config.metrics_port is not None:
        return _serve_with_metrics(server, server_config, app, config, engine)
    try:
        server.run()
    except SystemExit as exit_:  # uvicorn exits when it cannot bind
        raise Failure(f"could not serve on {config.host}:{config.port}") from exit_
    return 0 if server.started else 1


def _serve_with_metrics(
    server: Any, server_config: Any, app: Any, settings: Any, engine: Any
) -> int:
    """Run the API server and the metrics listener in one event loop (the API server's:
    uvloop, as when it runs alone)."""
    import asyncio
    import contextlib
    from collections.abc import Iterator

    import uvicorn

    from ..operations.metrics import metrics_app

    class QuietServer(uvicorn.Server):
        """The metrics listener: stops with the API server, leaves signals to it."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    metrics = QuietServer(
        uvicorn.Config(
            metrics_app(app.state.metrics, engine),
            host=settings.metrics_host,
            port=settings.metrics_port,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
        )
    )
    where = f"{settings.metrics_host}:{settings.metrics_port}"

    async def listen() -> None:
        try:
            await metrics.serve()
        except SystemExit:  # uvicorn exits when it cannot bind
            raise Failure(f"could not serve metrics on {where}") from None

    async def both() -> int:
        listener = asyncio.create_task(listen())
        while not metrics.started and not listener.done():
            await asyncio.sleep(0.01)
        if listener.done():
            listener.result()  # raises the failure to bind
            raise Failure(f"could not serve metrics on {where}")
        try:
            await server.serve()
        finally:
            metrics.should_exit = True
            await listener
        return 0 if server.started else 1

    try:
        with asyncio.Runner(loop_factory=server_config.get_loop_factory()) as runner:
            return runner.run(both())
    except SystemExit as exit_:  # uvicorn exits when it cannot bind
        raise Failure(f"could not serve on {settings.host}:{settings.port}") from exit_


def _graceful_server_class() -> Any:
    import contextlib
    from collections.abc import Iterator

    import uvicorn

    class GracefulServer(uvicorn.Server):
        """uvicorn's server, but a stop asked for by SIGTERM/SIGINT exits 0.

        uvicorn re-raises the captured signal after its graceful shutdown, which
        turns a clean stop into "killed by signal"; the shutdown has completed by
        then, so the process reports success instead.
        """

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                self._captured_signals.clear()

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            # open event streams end now: the graceful shutdown waits for open responses
            app: Any = self.config.app
            app.state.event_hub.stop()

    return GracefulServer
