"""Usage reports enter the process's group commit: one at a time, or a caller's batch.

Both are run by the same :func:`~.usage.report_usage`, in the shared, durably
committed transactions of :class:`~.group_commit.GroupCommitter`; the caller is
authenticated in that same transaction.

Authentication before the writer: a token this process has not authenticated yet is
checked first in a read transaction of its own (on a worker thread), so a call with a
bad token never queues for the one writer nor takes the write lock. A token
authenticated here before (and not refused since) skips that read: it is checked
again, as ever, inside the writer's transaction, and forgotten when refused there: a
token revoked meanwhile reaches the writer only with the calls already queued when it
is first refused there (usually one), never afterwards. A batch (``POST /v1/sessions/updates``) is
one operation of the group commit: the caller is authenticated once, then every
report is applied or refused on its own (a refused one rolled back alone) and gets
exactly what its single call would have answered (:func:`report_results`).

Lock order: an operation takes account locks in the order of the token's account as
last authenticated here (:class:`~billserver.accounts.LockOrder`), never trusting it
for who the caller is: a missing or stale entry can at worst make two processes'
batches deadlock on PostgreSQL, which the database resolves by failing one of them
(the client retries).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import orjson
from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from billclient.protocol import MAX_REPORTS, ErrorCode, SessionUpdate

from .. import db
from ..clock import now_us
from ..db.deferred import deferred, suspended
from ..db.driver import run_sql
from ..ledger import Actor, Refused
from ..web import ApiError, actor_for_token, token_hash
from ..web.context import refuse_nul_in
from ..web.handlers import describe_errors
from ..web.limits import refuse_long_id
from ..web.refusals import refusal_error
from .group_commit import GroupCommitter
from .policy import SessionPolicy
from .records import prefetch
from .reports import Report
from .usage import report_usage

__all__ = [
    "Checked",
    "check_reports",
    "count_accepted",
    "report_results",
    "submit_report",
    "submit_reports",
]


async def submit_report(
    committer: GroupCommitter, policy: SessionPolicy, token: str, session_id: str, report: Report
) -> dict[str, Any]:
    """Apply one update or end call for the bearer of ``token``; its answer once
    committed (raises :class:`~billserver.web.ApiError` for a refusal)."""
    digest = await _admitted(committer, policy, token)

    def operation(conn: Connection) -> dict[str, Any]:
        caller = _authenticated(conn, token, digest, policy)
        return _applied(conn, caller, session_id, report, policy)

    return await committer.run(operation, lock_key=policy.order.token_key(digest), reads=session_id)


@dataclass(frozen=True, slots=True)
class Checked:
    """One report of a batch after its own checks: a report to apply, or a refusal."""

    session_id: str
    report: Report | None
    refusal: ApiError | None = None


def check_reports(body: bytes) -> list[Checked]:
    """The reports of a ``POST /v1/sessions/updates`` body, each checked as its single
    call's path and body would be (a refusal is kept with its report); raises a 422
    :class:`~billserver.web.ApiError` for a malformed envelope (nothing is applied)."""
    envelope = _json(body)
    if not isinstance(envelope, dict) or "reports" not in envelope:
        raise _malformed('the body must be an object {"reports": [...]}')
    extra = sorted(set(envelope) - {"reports"})
    if extra:
        raise _malformed(f"{extra[0]}: Extra inputs are not permitted")
    reports = envelope["reports"]
    if not isinstance(reports, list) or not 1 <= len(reports) <= MAX_REPORTS:
        raise _malformed(f"reports: a list of 1 to {MAX_REPORTS} reports")
    checked: list[Checked] = []
    seen: set[str] = set()
    for index, item in enumerate(reports):
        if not isinstance(item, dict) or not isinstance(item.get("session_id"), str):
            raise _malformed(f"reports.{index}: an object with a string session_id")
        session_id = item["session_id"]
        if session_id in seen:
            raise _malformed(f"reports.{index}: session {session_id} is reported twice")
        seen.add(session_id)
        checked.append(_check(session_id, {k: v for k, v in item.items() if k != "session_id"}))
    return checked


async def submit_reports(
    committer: GroupCommitter, policy: SessionPolicy, token: str, reports: Sequence[Checked]
) -> list[dict[str, Any]]:
    """Apply the checked ``reports`` of one call in one group-commit operation; their
    results (see :func:`report_results`) once committed. A token that is not valid is
    a 401 for the whole call."""
    digest = await _admitted(committer, policy, token)

    def operation(conn: Connection) -> list[dict[str, Any]]:
        caller = _authenticated(conn, token, digest, policy)
        return report_results(conn, caller, reports, policy=policy)

    return await committer.run(operation, lock_key=policy.order.token_key(digest))


def report_results(
    conn: Connection, caller: Actor, reports: Sequence[Checked], *, policy: SessionPolicy
) -> list[dict[str, Any]]:
    """``{"session_id", "status", "body"}`` of each report, in order: each applied on
    its own, a refused one rolled back alone. An error that is not a refusal (a storage
    fault) fails the whole call: nothing of it commits.

    The reports are first applied inside one savepoint for them all; should one be
    refused, everything since that savepoint is rolled back and the reports are
    applied again, each in a savepoint of its own (what a refusal needs, at two
    statements a report that the usual call, with no refusal, saves)."""
    later = deferred(conn)
    if later is not None:
        later.flush(conn)  # the savepoint is this call's alone
        prefetch(conn, [item.session_id for item in reports if item.report is not None])
    run_sql(conn, "SAVEPOINT usage_reports")
    try:
        results = _results(conn, caller, reports, policy, isolated=False)
    except _Refusal:
        if later is not None:
            later.discard()
        run_sql(conn, "ROLLBACK TO SAVEPOINT usage_reports")
        with suspended(conn):
            results = _results(conn, caller, reports, policy, isolated=True)
    run_sql(conn, "RELEASE SAVEPOINT usage_reports")
    return results


class _Refusal(Exception):
    """A report applied without a savepoint of its own was refused."""


def _results(
    conn: Connection,
    caller: Actor,
    reports: Sequence[Checked],
    policy: SessionPolicy,
    *,
    isolated: bool,
) -> list[dict[str, Any]]:
    """:func:`report_results`' answers; without ``isolated``, the first refusal raises
    :class:`_Refusal` (its report may have written part of its rows)."""
    results = []
    for item in reports:
        if item.refusal is not None:
            results.append(_refused(item.session_id, item.refusal))
            continue
        assert item.report is not None
        if isolated:
            run_sql(conn, "SAVEPOINT usage_report")
        try:
            answer = _applied(conn, caller, item.session_id, item.report, policy)
        except ApiError as refusal:
            if not isolated:
                raise _Refusal from refusal
            run_sql(conn, "ROLLBACK TO SAVEPOINT usage_report")
            run_sql(conn, "RELEASE SAVEPOINT usage_report")
            results.append(_refused(item.session_id, refusal))
            continue
        if isolated:
            run_sql(conn, "RELEASE SAVEPOINT usage_report")
        results.append({"session_id": item.session_id, "status": 200, "body": answer})
    return results


def count_accepted(state: Any, results: Sequence[dict[str, Any]]) -> None:
    """Add a batch's accepted reports to the metrics' update count (when metrics are
    on: ``state.metrics``, the application's registry)."""
    metrics = getattr(state, "metrics", None)
    if metrics is not None:
        metrics.updates_accepted += sum(result["status"] == 200 for result in results)


def _applied(
    conn: Connection, caller: Actor, session_id: str, report: Report, policy: SessionPolicy
) -> dict[str, Any]:
    """:func:`~.usage.report_usage`, a refusal of the money kernel (a retired account)
    raised as the problem its route answers."""
    try:
        return report_usage(conn, caller, session_id, report, now=now_us(), policy=policy)
    except Refused as refused:
        raise refusal_error(refused) from None


async def _admitted(committer: GroupCommitter, policy: SessionPolicy, token: str) -> str:
    """The hash of ``token``, once it is known to be valid (checked in a read
    transaction of its own unless it was authenticated here before): a 401
    :class:`~billserver.web.ApiError` before the writer otherwise."""
    digest = token_hash(token)
    if not policy.order.knows_token(digest):
        await anyio.to_thread.run_sync(_check_token, committer.engine, token, digest, policy)
    return digest


def _check_token(engine: Engine, token: str, digest: str, policy: SessionPolicy) -> None:
    with db.read(engine) as conn:
        caller = actor_for_token(conn, token, policy.server_id)
    if caller.account_id is not None:
        policy.order.remember_token(digest, caller.account_id)


def _authenticated(conn: Connection, token: str, digest: str, policy: SessionPolicy) -> Actor:
    """The caller, authenticated in the writer's transaction (a token refused here is
    forgotten, so its next call is checked before the writer again); once per
    transaction and token when the transaction defers its writes (its calls share
    one moment: nothing in it signs anybody out)."""
    later = deferred(conn)
    known: Actor | None = None if later is None else later.memo.get((_CALLER, digest))
    if known is not None:
        return known
    try:
        caller = actor_for_token(conn, token, policy.server_id)
    except ApiError:
        policy.order.forget_token(digest)
        raise
    if caller.account_id is not None:
        policy.order.remember_token(digest, caller.account_id)
    if later is not None:
        later.memo[(_CALLER, digest)] = caller
    return caller


_CALLER = "caller"


def _check(session_id: str, fields: dict[str, Any]) -> Checked:
    """The single call's checks before the session is read, in its order: the path id
    (NUL, length), then the body."""
    try:
        refuse_nul_in("session_id", session_id)
        refuse_long_id("session_id", session_id)
    except ApiError as refusal:
        return Checked(session_id, None, refusal)
    try:
        update = SessionUpdate.model_validate(fields)
    except ValidationError as invalid:
        detail = describe_errors(invalid.errors())
        return Checked(session_id, None, ApiError(ErrorCode.VALIDATION_ERROR, detail))
    return Checked(session_id, Report(update.seq, update.used_units, None, update.measured_at))


def _refused(session_id: str, refusal: ApiError) -> dict[str, Any]:
    body = refusal.problem().model_dump(mode="json")
    return {"session_id": session_id, "status": refusal.code.status, "body": body}


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass  # orjson is stricter (integers beyond 64 bits, NaN): the standard parser decides
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise _malformed(f"the body is not valid JSON ({error})") from None


def _malformed(detail: str) -> ApiError:
    return ApiError(ErrorCode.VALIDATION_ERROR, detail)
