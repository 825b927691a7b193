"""Idempotency keys: replay a stored answer for the same key and body.

Answers that completed an operation (2xx) or refused it for a business reason
(402, 403, 409 other than ``idempotency_conflict``) are stored with the key, in
the same transaction as the operation (a refusal's changes roll back to a savepoint
first; what it records anyway, its :attr:`~.problems.ApiError.aftermath`, commits with
the stored answer); 401, 422, 429 and 5xx answers are not, so the same key may be
retried after them. An operation with a step outside the database (a card charge)
reserves its key first (:func:`run_reserved`), so that step runs once per key however
many calls with that key arrive at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, Connection, Engine, delete, insert, select, text, update

from billclient.protocol import PROBLEM_CONTENT_TYPE, ErrorCode

from .. import db
from ..clock import now_us
from ..db import AnyRow
from ..ledger import Refused
from ..ledger.actor import Actor
from ..tables import idempotency_keys
from .problems import ApiError
from .refusals import refusal_error

__all__ = [
    "IN_PROGRESS",
    "RESERVATION_S",
    "IdempotencyKey",
    "Operation",
    "Outcome",
    "idempotent_response",
    "outcome_response",
    "request_digest",
    "run_idempotent",
    "run_reserved",
]

T = TypeVar("T")

IN_PROGRESS = 0
"""``idempotency_keys.status`` of a key reserved by a call still running (:func:`run_reserved`)."""

RESERVATION_S = 60
"""Seconds a reservation holds its key: longer than any card charge may take (the
provider call times out before); a retry after that takes over a reservation whose call
died with its process."""

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


def _stored(conn: Connection, scope: str, endpoint: str, key: str) -> AnyRow | None:
    return conn.execute(
        select(idempotency_keys).where(*_key_row(scope, endpoint, key))
    ).one_or_none()


def _store(
    conn: Connection, scope: str, endpoint: str, key: str, digest: str, outcome: Outcome, now: int
) -> None:
    conn.execute(
        insert(idempotency_keys).values(
            scope=scope,
            endpoint=endpoint,
            key=key,
            request_digest=digest,
            status=outcome.status,
            body=outcome.body,
            created_at=now,
        )
    )


def _replay(stored: AnyRow, digest: str, *, take_over_after: int | None = None) -> Outcome:
    """The stored answer of a key: 409 when it was used with another body, 503 while the
    call that reserved it is still running (:func:`run_reserved`). A reservation older
    than ``take_over_after`` microseconds is answered as it is (status
    :data:`IN_PROGRESS`): the caller takes it over."""
    if stored.request_digest != digest:
        raise ApiError(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            "this Idempotency-Key was already used with a different request body",
        )
    age = now_us() - int(stored.created_at)
    if stored.status == IN_PROGRESS and (take_over_after is None or age < take_over_after):
        raise ApiError(
            ErrorCode.UNAVAILABLE,
            "a request with this Idempotency-Key is still being processed; retry shortly "
            "with the same key to get its answer",
            headers={"Retry-After": "1"},
        )
    return Outcome(int(stored.status), dict(stored.body), replayed=True)


def _run(conn: Connection, operation: Callable[[], tuple[int, dict[str, Any]]]) -> Outcome:
    """Run ``operation`` in a savepoint: its answer, or the problem of a storable refusal
    (the savepoint rolled back); any other error propagates."""
    savepoint = conn.begin_nested()
    try:
        status, answer = operation()
        savepoint.commit()
    except (ApiError, Refused) as refusal:
        savepoint.rollback()
        error = refusal if isinstance(refusal, ApiError) else refusal_error(refusal)
        if not _storable(error):
            raise error from None
        if error.aftermath is not None:
            error.aftermath(conn)
        status, answer = error.code.status, error.problem().model_dump(mode="json")
    return Outcome(status, answer)


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
        stored = _stored(conn, actor.scope, endpoint, key)
        if stored is not None:
            return _replay(stored, digest)
        outcome = _run(conn, lambda: operation(conn, now))
        _store(conn, actor.scope, endpoint, key, digest, outcome, now)
        return outcome


def run_reserved(
    engine: Engine,
    actor: Actor,
    *,
    endpoint: str,
    key: str,
    body: dict[str, Any],
    check: Callable[[Connection], None],
    outside: Callable[[], T],
    operation: Callable[[Connection, int, T], tuple[int, dict[str, Any]]],
) -> Outcome:
    """Like :func:`run_idempotent` for an operation with a step outside the database (a
    card charge): the key is settled first, so that step runs once per key.

    1. In a write transaction of its own, ``check(conn)`` runs (a storable refusal is
       stored as the key's answer at once) and the key is reserved: stored with the
       status :data:`IN_PROGRESS`, committed. (A reservation older than
       :data:`RESERVATION_S` is taken over the same way, ``check`` again included.)
    2. ``outside()`` runs with no transaction open. Meanwhile the same key answers 503
       ``unavailable`` with Retry-After (whatever the body; another body is 409), so
       concurrent calls with one key make one outside call between them.
    3. In a second write transaction ``operation(conn, now, result)`` runs and its
       answer replaces the reservation.

    Should ``outside`` or ``operation`` fail with an error that is not stored, the
    reservation is withdrawn and the key may be retried. Should the process die in
    between, the reservation is taken over by a retry after :data:`RESERVATION_S`
    seconds (the outside step must itself be idempotent for that retry: a payment
    reference derived from the key).
    """
    digest = request_digest(body)
    row = _key_row(actor.scope, endpoint, key)
    lease = RESERVATION_S * 1_000_000
    with db.write(engine) as conn:
        _queue_same_key(conn, actor.scope, endpoint, key)
        reserved_at = now_us()
        stored = _stored(conn, actor.scope, endpoint, key)
        if stored is not None:
            replay = _replay(stored, digest, take_over_after=lease)
            if replay.status != IN_PROGRESS:
                return replay

        def checked() -> tuple[int, dict[str, Any]]:
            check(conn)
            return IN_PROGRESS, {}

        outcome = _run(conn, checked)
        if stored is None:
            _store(conn, actor.scope, endpoint, key, digest, outcome, reserved_at)
        else:  # the call that reserved the key died: take its reservation over
            values = {"status": outcome.status, "body": outcome.body, "created_at": reserved_at}
            conn.execute(update(idempotency_keys).where(*row).values(**values))
        if outcome.status != IN_PROGRESS:
            return outcome
    ours = (
        *row,
        idempotency_keys.c.status == IN_PROGRESS,
        idempotency_keys.c.created_at == reserved_at,
    )
    try:
        result = outside()
        with db.write(engine) as conn:
            now = now_us()
            outcome = _run(conn, lambda: operation(conn, now, result))
            finished = update(idempotency_keys).where(*ours)
            if not conn.execute(finished.values(status=outcome.status, body=outcome.body)).rowcount:
                # this call outlived its reservation and a retry took the key over
                raise ApiError(
                    ErrorCode.UNAVAILABLE,
                    "this request took too long; retry with the same key to get its answer",
                    headers={"Retry-After": "1"},
                )
            return outcome
    except BaseException:
        with db.write(engine) as conn:
            conn.execute(delete(idempotency_keys).where(*ours))
        raise


def _key_row(scope: str, endpoint: str, key: str) -> tuple[ColumnElement[bool], ...]:
    """The conditions naming one key's row."""
    return (
        idempotency_keys.c.scope == scope,
        idempotency_keys.c.endpoint == endpoint,
        idempotency_keys.c.key == key,
    )


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
    return outcome_response(outcome, decorate=decorate)


def outcome_response(
    outcome: Outcome, *, decorate: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> JSONResponse:
    """An outcome as JSON or a problem document (see :func:`idempotent_response`)."""
    answer = outcome.body
    if decorate is not None and not outcome.is_problem:
        answer = decorate(answer)
    media = PROBLEM_CONTENT_TYPE if outcome.is_problem else "application/json"
    return JSONResponse(answer, status_code=outcome.status, media_type=media)
