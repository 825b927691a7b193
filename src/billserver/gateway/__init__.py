"""The metering gateway (``billserver gateway``): serves metered services to sessions
the billing server authorised, meters what it serves and reports it.

In-process use (a demo, a test harness)::

    settings = GatewaySettings(billing=["http://127.0.0.1:8700"], secret="...")
    app = create_gateway_app(settings)        # any ASGI server
    run_gateway(settings)                     # or: uvicorn, blocking, until SIGINT/SIGTERM

The billing server's side of the gateway (``gateway/billing_side/``) is imported by the
billing server, which has no use for the gateway process's own modules: those are
imported when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_gateway_app
    from .run import gateway_server, run_gateway
    from .settings import GatewaySettings

__all__ = ["GatewaySettings", "create_gateway_app", "gateway_server", "run_gateway"]

_HOMES = {
    "GatewaySettings": "settings",
    "create_gateway_app": "app",
    "gateway_server": "run",
    "run_gateway": "run",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
