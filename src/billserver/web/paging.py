"""Cursor pagination of list routes: ``?limit=&cursor=`` and the ``Link`` header."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from billclient.protocol import ErrorCode, ListOrder

from ..clock import to_us
from .problems import ApiError

__all__ = ["OrderParam", "Page", "PageParams", "Window", "WindowParams", "page_response"]

_BIGINT = 2**63


@dataclass(frozen=True, slots=True)
class Page:
    """``?limit=&cursor=`` of a list call; the cursor decodes to the last row's sort key."""

    limit: int
    after: list[Any] | None

    def key(self, *types: type) -> list[Any] | None:
        """The cursor as a sort key of ``types`` (int or str), None without one; 422 if malformed.

        A cursor is opaque to clients, but one made up or cut short must be refused,
        not crash the query: each part must have the expected type, ints must fit a
        BIGINT and strings must not hold NUL.
        """
        if self.after is None:
            return None
        if len(self.after) != len(types) or not all(
            _key_part(value, kind) for value, kind in zip(self.after, types, strict=True)
        ):
            raise ApiError(ErrorCode.VALIDATION_ERROR, "cursor is not valid for this list")
        return self.after


def _key_part(value: object, kind: type) -> bool:
    if isinstance(value, bool) or not isinstance(value, kind):
        return False
    if isinstance(value, int):
        return -_BIGINT < value < _BIGINT
    return isinstance(value, str) and "\x00" not in value


def _page(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page:
    after = None
    if cursor is not None:
        try:
            after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            if not isinstance(after, list):
                raise ValueError
        except ValueError:
            raise ApiError(ErrorCode.VALIDATION_ERROR, "cursor is not valid") from None
    return Page(limit, after)


PageParams = Annotated[Page, Depends(_page)]


def page_response(
    request: Request, items: list[dict[str, Any]], page: Page, last_key: list[Any] | None
) -> JSONResponse:
    """A JSON array answer with a ``Link: <...>; rel="next"`` header when more may follow."""
    headers = {}
    if last_key is not None and len(items) == page.limit:
        cursor = base64.urlsafe_b64encode(json.dumps(last_key).encode()).decode()
        url = request.url.include_query_params(cursor=cursor)
        headers["Link"] = f'<{url}>; rel="next"'
    return JSONResponse(items, headers=headers)


@dataclass(frozen=True, slots=True)
class Window:
    """``?from=&to=`` of a list: the half-open window ``[start, end)`` of instants in
    microseconds since the epoch (None: open on that side)."""

    start: int | None
    end: int | None


async def _window(
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> Window:
    return Window(
        to_us(start) if start is not None else None, to_us(end) if end is not None else None
    )


WindowParams = Annotated[Window, Depends(_window)]
"""A list route's ``from`` and ``to``."""


OrderParam = Annotated[ListOrder, Query(description="asc: oldest first; desc: newest first")]
"""A list route's ``order`` (give it the default ``ListOrder.ASC``)."""
