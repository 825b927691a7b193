"""The last word on a request that failed: one problem answer, one log entry.

:class:`FailureAnswers` is an ASGI layer just outside the routes (and their
``ApiError`` and validation handlers). An exception that gets past them becomes

- 503 ``unavailable`` with ``Retry-After`` when it is a storage fault
  (:func:`billserver.db.storage.storage_fault`: the disk, the file, the database
  server), logged as one warning line without the SQL;
- 500 ``internal`` otherwise (a bug), logged once with its trace.

Either way the answer is a complete response, so the connection stays open for the
client's next request. (Starlette's own handler for ``Exception`` answers too, but
then re-raises, so uvicorn logged every 500 a second time and closed the
connection.) An exception after the response has started cannot be answered: it
is passed on, and uvicorn logs it and closes that connection.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billclient.protocol import ErrorCode

from ..db.storage import RETRY_AFTER, storage_fault
from .problems import problem_response

__all__ = ["FailureAnswers"]

log = logging.getLogger("billserver")


class FailureAnswers:
    """ASGI middleware: unhandled exceptions become a 503 or 500 problem answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            if started:
                raise
            where = f"{scope.get('method', '')} {scope.get('path', '')}"
            fault = storage_fault(error)
            if fault is not None:
                log.warning("%s: storage failure: %s", where, fault.explain("the database"))
                response = problem_response(
                    ErrorCode.UNAVAILABLE,
                    f"the database is not available ({fault.reason}); try again later",
                    {"Retry-After": str(RETRY_AFTER)},
                )
            else:
                log.error("%s: unhandled error", where, exc_info=error)
                response = problem_response(
                    ErrorCode.INTERNAL, "the server failed; try again later"
                )
            await response(scope, receive, send)
