"""The metering gateway (``billserver gateway``): serves metered services to sessions
the billing server authorised, meters what it serves and reports it.

In-process use (a demo, a test harness)::

    settings = GatewaySettings(billing=["http://127.0.0.1:8700"], secret="...")
    app = create_gateway_app(settings)        # any ASGI server
    run_gateway(settings)                     # or: uvicorn, blocking, until SIGINT/SIGTERM
"""

from __future__ import annotations

from .app import create_gateway_app
from .run import gateway_server, run_gateway
from .settings import GatewaySettings

__all__ = ["GatewaySettings", "create_gateway_app", "gateway_server", "run_gateway"]
