"""What a server address that answers "not found" to a sign-in really is.

A billing server always has ``POST /v1/devices``; an address that answers 404 there
is something else: most often the deployment's metering gateway (whose
``/v1/health`` names a ``gateway_id``), or a web server that is not a billing server
at all. :func:`explain_not_found` asks ``/v1/health`` and says which, in one line.
"""

from __future__ import annotations

import contextlib

import httpx

from .errors import BillingError, NotABillingServer, NotFound
from .pool import ServerPool

__all__ = ["explain_not_found"]


async def explain_not_found(pool: ServerPool, error: NotFound) -> BillingError:
    """The error to show for a sign-in answered 404 (``error``) by the pool's server."""
    server = pool.current or (pool.servers[0] if pool.servers else "the server")
    health: object = None
    with contextlib.suppress(BillingError, httpx.HTTPError, ValueError):
        answer = await pool.request("GET", "/v1/health")
        if answer.status_code == 200:
            health = answer.json()
    if isinstance(health, dict) and "gateway_id" in health:
        return NotABillingServer(
            f"{server} is a metering gateway, not a billing server: sign in with the "
            "billing server's address (the gateway's operator knows it)"
        )
    if isinstance(health, dict) and "server_id" in health:
        return error  # a billing server that refused: its own words say why
    return NotABillingServer(
        f"{server} is not a billing server (it has no sign-in at {server}/v1/devices): "
        "check the address"
    )
