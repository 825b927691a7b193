"""Running the gateway on uvicorn."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn

from ..web.guarded_http import uvicorn_options
from .app import create_gateway_app
from .settings import GatewaySettings

__all__ = ["gateway_server", "run_gateway"]


class _Server(uvicorn.Server):
    """uvicorn's server; a stop asked for by SIGTERM/SIGINT exits 0 after the shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals.clear()

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        # open streams and downloads end now: the graceful shutdown waits for them
        app: Any = self.config.app
        app.state.meter.closing = True


def gateway_server(settings: GatewaySettings, **config: Any) -> uvicorn.Server:
    """A uvicorn server for the gateway (``await server.serve()`` or ``server.run()``);
    ``config`` overrides uvicorn settings (``log_config``, ...)."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": 5,
        "server_header": False,
        **uvicorn_options(settings),
    }
    options.update(config)
    return _Server(uvicorn.Config(create_gateway_app(settings), **options))


def run_gateway(settings: GatewaySettings) -> int:
    """Serve until stopped; 0 after a clean stop, 1 when the gateway could not start."""
    server = gateway_server(settings)
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind
        return 1
    return 0 if server.started else 1
