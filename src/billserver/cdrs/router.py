"""``GET /v1/cdrs``: the caller's charge detail records."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import and_, or_, select

from billclient.protocol import Cdr

from .. import db
from ..tables import cdrs
from ..web import Caller, Ctx, PageParams, WindowParams, page_response, paged
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
) -> JSONResponse:
    """CDRs with ``ended_at`` in ``[from, to)``, oldest first, superseded ones included."""
    if caller.account_id is None:
        return page_response(request, [], page, None)
    query = (
        select(cdrs)
        .where(cdrs.c.account_id == caller.account_id)
        .order_by(cdrs.c.ended_at, cdrs.c.created_at, cdrs.c.cdr_id)
        .limit(page.limit)
    )
    if window.start is not None:
        query = query.where(cdrs.c.ended_at >= window.start)
    if window.end is not None:
        query = query.where(cdrs.c.ended_at < window.end)
    after = page.key(int, int, str)
    if after is not None:
        ended, created, cdr_id = after
        query = query.where(
            or_(
                cdrs.c.ended_at > ended,
                and_(cdrs.c.ended_at == ended, cdrs.c.created_at > created),
                and_(
                    cdrs.c.ended_at == ended,
                    cdrs.c.created_at == created,
                    cdrs.c.cdr_id > cdr_id,
                ),
            )
        )
    with db.read(ctx.engine) as conn:
        rows = conn.execute(query).all()
    items = [cdr_view(r).model_dump(mode="json") for r in rows]
    last = [rows[-1].ended_at, rows[-1].created_at, rows[-1].cdr_id] if rows else None
    return page_response(request, items, page, last)
