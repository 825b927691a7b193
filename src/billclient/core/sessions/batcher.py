"""The updates of sessions that are due together travel in one call.

Each running session sends its own updates, one at a time, in ``seq`` order
(:class:`~.running.RunningSession`). When several sessions run, their updates are
handed to one :class:`UpdateBatcher`, which waits a moment (``window``) for the
other running sessions' updates, then sends everything it holds as one
``POST /v1/sessions/updates``, or as the single call when only one update is due.
Each session gets exactly what its single call would have given it: the answer, or
the error it would have raised (a refusal of its own, or the whole call's failure:
the server unreachable, the token refused). Ends always go alone.

Sessions started at different moments would seldom be due in the same window, so
when an update starts a gathering the batcher tells the other running sessions
(:meth:`UpdateBatcher.follow`): one whose update is at least half due sends it now,
with the others (:meth:`~.machine.RunMachine.tick`'s ``join``). After one round the
sessions of a client update in step, in one call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from billclient.protocol import MAX_REPORTS, UpdateResult
from billclient.protocol.sessions import SessionReport

from ..api import ApiClient

__all__ = ["UpdateBatcher"]

_WINDOW = 0.05  # seconds an update waits for the other running sessions' updates


@dataclass(frozen=True, slots=True)
class _Due:
    report: SessionReport
    budget: float | None
    answer: asyncio.Future[UpdateResult]


class UpdateBatcher:
    """Gathers the updates of the sessions due together (see the module).

    ``api`` gives the client to send with (it may change after a new sign-in);
    ``running`` the number of sessions running now: an update waits for the others
    only when there are others, and no longer than ``window`` seconds.
    """

    def __init__(
        self,
        api: Callable[[], ApiClient],
        running: Callable[[], int],
        *,
        window: float = _WINDOW,
    ) -> None:
        self._api = api
        self._running = running
        self._window = window
        self._due: list[_Due] = []
        self._full = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._followers: list[Callable[[], None]] = []
        self.calls = 0
        """Calls sent so far (single and batched)."""
        self.batched = 0
        """Batched calls (two or more updates) among them."""

    def follow(self, join: Callable[[], None]) -> None:
        """Call ``join`` whenever updates start gathering (a running session)."""
        self._followers.append(join)

    def unfollow(self, join: Callable[[], None]) -> None:
        """Stop calling ``join`` (the session's run ended)."""
        if join in self._followers:
            self._followers.remove(join)

    async def update(
        self,
        session_id: str,
        *,
        seq: int,
        used_units: int,
        measured_at: datetime,
        budget: float | None = None,
    ) -> UpdateResult:
        """What ``POST /v1/sessions/{session_id}/updates`` answers (or raises) for this
        update, sent alone or with the other sessions' updates due now."""
        loop = asyncio.get_running_loop()
        report = SessionReport(
            session_id=session_id, seq=seq, used_units=used_units, measured_at=measured_at
        )
        due = _Due(report, budget, loop.create_future())
        self._due.append(due)
        if len(self._due) >= max(1, self._running()):
            self._full.set()
        if self._sender is None or self._sender.done():
            self._sender = loop.create_task(self._send_when_due())
            for join in list(self._followers):
                join()
        return await due.answer

    async def _send_when_due(self) -> None:
        if self._running() > 1 and not self._full.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._window)
        due, self._due = self._due, []
        self._full.clear()
        self._sender = None  # updates due from now on gather for the next call
        waiting = [item for item in due if not item.answer.done()]  # a stopped run: gone
        for start in range(0, len(waiting), MAX_REPORTS):
            await self._send(waiting[start : start + MAX_REPORTS])

    async def _send(self, due: list[_Due]) -> None:
        api = self._api()
        budgets = [item.budget for item in due if item.budget is not None]
        budget = max(budgets) if budgets else None
        self.calls += 1
        try:
            if len(due) == 1:
                report = due[0].report
                outcomes: list[UpdateResult | Exception] = [
                    await api.update_session(
                        report.session_id,
                        seq=report.seq,
                        used_units=report.used_units,
                        measured_at=report.measured_at,
                        budget=budget,
                    )
                ]
            else:
                self.batched += 1
                outcomes = list(await api.update_sessions([d.report for d in due], budget=budget))
        except Exception as failure:  # the whole call failed: each update fails alike
            outcomes = [failure] * len(due)
        for item, outcome in zip(due, outcomes, strict=True):
            if item.answer.done():
                continue
            if isinstance(outcome, Exception):
                item.answer.set_exception(outcome)
            else:
                item.answer.set_result(outcome)
