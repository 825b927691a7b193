"""Idempotency keys: replay a stored answer for the same key and body.

Answers that completed an operation (2xx) or refused it for a business reason
(402, 403, 409 other than ``idempotency_conflict``) are stored with the key, in
the same transaction as the operation (a refusal's changes roll back to a savepoint
first; what it records anyway, its :attr:`~.problems.ApiError.aftermath`, commits with
the stored answer); 401, 422, 429 and 5xx answers are not, so
the same key may be retried after them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, Engine, insert, select, text

from billclient.protocol import PROBLEM_CONTENT_TYPE, ErrorCode

from .. import db
from ..clock import now_us
from ..ledger.actor import Actor
from ..tables import idempotency_keys
from .problems import ApiError

__all__ = [
    "IdempotencyKey",
    "Operation",
    "Outcome",
    "idempotent_response",
    "request_digest",
    "run_idempotent",
]

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)]
"""A route's ``Idempotency-Key`` header."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """An answer to send: status, JSON body, and whether it is a problem document."""

    status: int
    body: dict[str, Any]
    replayed: bool = False

    @property
    def is_problem(self) -> bool:
        """Whether ``body`` is a problem document."""
        return self.status >= 400


Operation = Callable[[Connection, int], tuple[int, dict[str, Any]]]
"""``operation(conn, now) -> (status, answer)``, run once per idempotency key."""


def request_digest(body: dict[str, Any]) -> str:
    """A digest of a request body that ignores member order and whitespace."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _storable(error: ApiError) -> bool:
    return error.code.status in (402, 403, 409) and error.code is not ErrorCode.IDEMPOTENCY_CONFLICT


def _queue_same_key(conn: Connection, scope: str, endpoint: str, key: str) -> None:
    """On PostgreSQL, make concurrent calls with one key wait for each other (an
    advisory lock held until commit), so the later one replays the stored answer
    instead of failing on the unique key; SQLite's write transaction already does."""
    if conn.dialect.name != "postgresql":
        return
    name = hashlib.sha256(json.dumps([scope, endpoint, key]).encode()).digest()
    lock = int.from_bytes(name[:8], "big", signed=True)
    conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


def run_idempotent(
    engine: Engine,
    actor: Actor,
    *,
    endpoint: str,
    key: str,
    body: dict[str, Any],
    operation: Operation,
) -> Outcome:
    """Run ``operation(conn, now)`` once per (caller, endpoint, key) in one write transaction."""
    digest = request_digest(body)
    with db.write(engine) as conn:
        _queue_same_key(conn, actor.scope, endpoint, key)
        now = now_us()
        stored = conn.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.scope == actor.scope,
                idempotency_keys.c.endpoint == endpoint,
                idempotency_keys.c.key == key,
            )
        ).one_or_none()
        if stored is not None:
            if stored.request_digest != digest:
                raise ApiError(
                    ErrorCode.IDEMPOTENCY_CONFLICT,
                    "this Idempotency-Key was already used with a different request body",
                )
            return Outcome(int(stored.status), dict(stored.body), replayed=True)
        savepoint = conn.begin_nested()
        try:
            status, answer = operation(conn, now)
            savepoint.commit()
        except ApiError as error:
            savepoint.rollback()
            if not _storable(error):
                raise
            if error.aftermath is not None:
                error.aftermath(conn)
            status, answer = error.code.status, error.problem().model_dump(mode="json")
        conn.execute(
            insert(idempotency_keys).values(
                scope=actor.scope,
                endpoint=endpoint,
                key=key,
                request_digest=digest,
                status=status,
                body=answer,
                created_at=now,
            )
        )
        return Outcome(status, answer)


def idempotent_response(
    engine: Engine,
    actor: Actor,
    endpoint: str,
    key: str,
    body: dict[str, Any],
    operation: Operation,
    *,
    decorate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> JSONResponse:
    """The answer of an idempotent route: :func:`run_idempotent`, as JSON or a problem.

    ``decorate`` adds to a successful answer what must not be stored with the key (it is
    applied to replays too)."""
    outcome = run_idempotent(
        engine, actor, endpoint=endpoint, key=key, body=body, operation=operation
    )
    answer = outcome.body
    if decorate is not None and not outcome.is_problem:
        answer = decorate(answer)
    media = PROBLEM_CONTENT_TYPE if outcome.is_problem else "application/json"
    return JSONResponse(answer, status_code=outcome.status, media_type=media)
