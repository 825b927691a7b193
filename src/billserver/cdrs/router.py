"""``GET /v1/cdrs``: the caller's charge detail records; ``GET /v1/cdrs/{id}``: one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from billclient.protocol import Cdr, ErrorCode, ListOrder

from .. import db
from ..tables import cdrs
from ..web import (
    ApiError,
    Caller,
    Ctx,
    OrderParam,
    PageParams,
    WindowParams,
    page_response,
    paged,
    problems,
)
from .listing import cdr_key, key_of, ordered, past
from .views import cdr_view

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["records"])


@router.get("/cdrs", response_model=list[Cdr], responses=paged())
def list_cdrs(
    request: Request,
    caller: Caller,
    ctx: Ctx,
    page: PageParams,
    window: WindowParams,
    order: OrderParam = ListOrder.ASC,
    before: Annotated[
        str | None,
        Query(max_length=200, description="only records older than this record (its cdr_id)"),
    ] = None,
) -> JSONResponse:
    """CDRs with ``ended_at`` in ``[from, to)``, superseded ones included, oldest first
    (``order=desc``: newest first); ``before`` keeps those older than that record."""
    if caller.account_id is None:
        return page_response(request, [], page, None)
    query = ordered(select(cdrs).where(cdrs.c.account_id == caller.account_id), order)
    query = query.limit(page.limit)
    if window.start is not None:
        query = query.where(cdrs.c.ended_at >= window.start)
    if window.end is not None:
        query = query.where(cdrs.c.ended_at < window.end)
    after = page.key(int, int, str)
    if after is not None:
        query = query.where(past(after, older=order is ListOrder.DESC))
    with db.read(ctx.engine) as conn:
        if before is not None:
            bound = None
            if "\x00" not in before:
                bound = conn.execute(key_of(caller.account_id, before)).one_or_none()
            if bound is None:
                raise ApiError(ErrorCode.VALIDATION_ERROR, f"before: no charge record {before}")
            query = query.where(past(list(bound), older=True))
        rows = conn.execute(query).all()
    items = [cdr_view(r).model_dump(mode="json") for r in rows]
    return page_response(request, items, page, cdr_key(rows[-1]) if rows else None)


@router.get("/cdrs/{cdr_id}", response_model=Cdr, responses=problems(404))
def get_cdr(caller: Caller, ctx: Ctx, cdr_id: Annotated[str, Path(max_length=200)]) -> Cdr:
    """One of the caller's charge records (404 for any other)."""
    row = None
    if caller.account_id is not None and "\x00" not in cdr_id:
        with db.read(ctx.engine) as conn:
            row = conn.execute(
                select(cdrs).where(cdrs.c.account_id == caller.account_id, cdrs.c.cdr_id == cdr_id)
            ).one_or_none()
    if row is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no charge record {cdr_id}")
    return cdr_view(row)
