"""The request context every handler gets, and guards every route runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from billclient.protocol import ErrorCode

from ..config import ServerSettings
from .problems import ApiError

__all__ = ["Context", "Ctx", "context", "refuse_nul"]


@dataclass(frozen=True, slots=True)
class Context:
    """What every request handler needs: the settings and the database."""

    settings: ServerSettings
    engine: Engine


async def context(request: Request) -> Context:
    """The application's context (set by create_app). ``async`` like every dependency
    without I/O: FastAPI runs plain ``def`` dependencies on a worker thread."""
    ctx: Context = request.app.state.context
    return ctx


Ctx = Annotated[Context, Depends(context)]
"""A route's context."""


async def refuse_nul(request: Request) -> None:
    """Every route's dependency: 422 for a path or query parameter holding a NUL
    character (no database stores one in text; PostgreSQL refuses it in a query)."""
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        if isinstance(value, str):
            refuse_nul_in(name, value)


def refuse_nul_in(name: str, value: str) -> None:
    """422 when ``value`` (parameter ``name``) holds a NUL character (see :func:`refuse_nul`)."""
    if "\x00" in value:
        raise ApiError(ErrorCode.VALIDATION_ERROR, f"{name} must not contain NUL characters")
