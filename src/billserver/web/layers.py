"""The server's own ASGI layers (metrics, request log, body limits, failure answers),
applied once to every request: around the routes inside FastAPI's stack, or before it
by a front that answers some requests itself (:class:`~billserver.sessions.front.UpdateFront`).

:class:`Layers` is one middleware holding them all. A front runs the same layers
(:func:`wrap`) around its own handler; a request it passes on to the application
carries :data:`LAYERED` in its scope, and the application's :class:`Layers` apply
only the layers that must be inside FastAPI's own error layer (the failure answers:
Starlette's handler answers an exception and re-raises it, which uvicorn logs and
closes the connection for): counted, logged and limited once, answered as ever.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["LAYERED", "Layer", "Layers", "marked", "wrap"]

LAYERED = "billserver.layered"
"""Scope key: the request went through the layers already (before the application)."""

Layer = tuple[type[Any], dict[str, Any]]
"""An ASGI middleware class and its keyword arguments."""


def wrap(app: ASGIApp, layers: Sequence[Layer]) -> ASGIApp:
    """``app`` inside ``layers`` (innermost first)."""
    for cls, kwargs in layers:
        app = cls(app, **kwargs)
    return app


class Layers:
    """ASGI middleware: ``layers`` around the application; only ``again`` (innermost
    ones of them) for a request a front put through them already."""

    def __init__(
        self, app: ASGIApp, *, layers: Sequence[Layer], again: Sequence[Layer] = ()
    ) -> None:
        self.layered = wrap(app, layers)
        self.again = wrap(app, again)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get(LAYERED):
            await self.again(scope, receive, send)
        else:
            await self.layered(scope, receive, send)


def marked(app: ASGIApp) -> ASGIApp:
    """``app`` for requests that went through the layers already (see the module)."""

    async def layered(scope: Scope, receive: Receive, send: Send) -> None:
        scope[LAYERED] = True  # the same scope: what the routes set in it, the layers see
        await app(scope, receive, send)

    return layered
