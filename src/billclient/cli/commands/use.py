"""``billclient use SERVICE``: quote, confirm, open, meter, end; the exit status says how.

Refused before anything is opened: a plan without the service or a bad amount (2),
an inactive account, a balance that does not cover one unit or a spending limit with
nothing left (7). While it runs, the spending-limit notices (80 %, reached) are shown.
A gateway-served service is consumed from the metering gateway (:mod:`.gateway_use`);
the others are metered here (time services by the clock, bytes and events fed up to
the amount).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import datetime
from typing import Any

from billclient.core.bus import Topic
from billclient.core.gateway_client import GatewayProgress
from billclient.core.sessions import RunningSession, RunProgress, RunState
from billclient.core.spending import limit_event_text, limit_lines
from billclient.core.words.formats import format_units
from billclient.core.words.limits import limit_text, nearest_limit
from billclient.core.words.rating import cause_text, end_summary
from billclient.protocol import (
    Account,
    AccountLimits,
    AccountStatus,
    LimitEvent,
    Service,
    ServiceUnit,
)
from billclient.protocol.money import format_money

from ..context import Context
from ..exits import FAILURE, INTERRUPTED, OFFLINE, OK, REFUSED, STOPPED, CliError
from ..output import exact_money, money
from .account import recovered_line
from .gateway_use import GatewayPlan, check_amount, gateway_plan, refusal_status, start_consumer
from .services import quote_line

__all__ = ["run_use"]

_DELIVERED = ("service_done", "user")
_CONSUMER_GRACE = 10.0
"""Seconds the gateway consumer may take to notice that its run has ended."""


class _Meter:
    """Shows a run: a one-line meter on a terminal, lines in a pipe, JSON with --json."""

    def __init__(self, ctx: Context, service: Service, currency: str, goal: int) -> None:
        self.ctx, self.service, self.currency, self.goal = ctx, service, currency, goal
        self.server: str | None = None
        self.seq = -1
        self.offline = False

    def __call__(self, progress: RunProgress) -> None:
        out = self.ctx.out
        if progress.server and self.server and progress.server != self.server:
            out.note(f"switched to {progress.server} ({self.server} did not answer)")
        self.server = progress.server or self.server
        if progress.state == RunState.OFFLINE and not self.offline:
            out.note(
                "no billing server answers; continuing within the "
                f"{format_units(progress.granted_units, self.service.unit.value)} granted"
            )
        self.offline = progress.state == RunState.OFFLINE
        if out.as_json:
            if progress.seq != self.seq and progress.state != RunState.ENDED:
                self.seq = progress.seq
                out.json(self._record(progress))
            return
        if out.tty:
            out.live(self._line(progress))
        elif progress.seq != self.seq:
            self.seq = progress.seq
            out.text(self._line(progress))

    def _line(self, progress: RunProgress) -> str:
        unit = self.service.unit.value
        state = {RunState.OFFLINE: ", offline", RunState.STOPPING: ", ending"}.get(
            progress.state, ""
        )
        return (
            f"{self.service.name}: {format_units(progress.used_units, unit)} of "
            f"{format_units(self.goal, unit)}, {exact_money(progress.estimate, self.currency)} "
            f"so far{state}"
        )

    def _record(self, progress: RunProgress) -> dict[str, Any]:
        return {
            "session_id": progress.session_id,
            "seq": progress.seq,
            "used_units": progress.used_units,
            "charged": format_money(progress.charged),
            "estimate": format_money(progress.estimate),
            "granted_units": progress.granted_units,
            "server": progress.server,
            "state": progress.state,
        }


async def _feed(run: RunningSession, goal: int) -> None:
    """For byte and event services without a gateway: deliver ``goal`` units, never
    beyond the grant."""
    fed = 0
    while fed < goal:
        room = min(goal - fed, run.progress.granted_units - run.progress.used_units)
        if room > 0 and run.progress.state in (RunState.RUNNING, RunState.OFFLINE):
            run.add(room)
            fed += room
        await asyncio.sleep(0.05)


def _refuse_early(
    account: Account, service: Service, max_units: int | None, limits: AccountLimits
) -> None:
    """Refusals the server would give anyway, said before a session is opened."""
    reached = next((line for line in limit_lines(limits) if line.left == 0), None)
    if reached is not None:
        text = limit_text(reached, account.currency, datetime.now().astimezone())
        raise CliError(
            f"your {reached.period} spending limit is reached ({text}): services cannot "
            "start until then; billclient limits shows or changes it",
            REFUSED,
        )
    if account.status is not AccountStatus.ACTIVE:
        raise CliError(
            f"account {account.account_id} is {account.status.value}: services cannot start; "
            "contact support to activate it",
            REFUSED,
        )
    if max_units == 0:
        one = format_units(1, service.unit.value)
        raise CliError(
            f"your available balance, {money(account.available, account.currency)}, does not "
            f"cover {one} of {service.name}: top up first (billclient topup)",
            REFUSED,
        )


async def run_use(ctx: Context) -> int:
    """Quote, confirm, open, meter, end; the exit status says how it ended."""
    args = ctx.args
    check_amount(args)
    client = await ctx.client()
    runner = await ctx.runner()
    for recovered in await runner.recover():  # a session a crashed run left journaled
        ctx.out.note(recovered_line(recovered))
    service = await runner.service(args.service)
    plan = gateway_plan(args, service)
    account = await client.api.account()
    currency = account.currency
    quote = await runner.quote(service.service_id, plan.goal)
    limits = await client.api.limits()
    _refuse_early(account, service, quote.max_units, limits)
    if not ctx.out.as_json:
        ctx.out.text(quote_line(service, plan.goal, quote.charge, quote.max_units, currency))
    unit = service.unit.value
    if quote.max_units is not None and quote.max_units < plan.goal:
        nearest = nearest_limit(limit_lines(limits))
        bound = (
            "balance"
            if nearest is None or nearest.left >= account.available
            else f"{nearest.period} spending limit"
        )
        ctx.out.note(
            f"your {bound} covers only {format_units(quote.max_units, unit)}: "
            "the service stops there"
        )
    ctx.confirm(
        f"Start {service.name} for {format_units(plan.goal, unit)} at about "
        f"{money(quote.charge, currency)}?"
    )
    meter = _Meter(ctx, service, currency, plan.goal)
    unsubscribe = client.bus.subscribe(Topic.RUN, meter)

    def limit_notice(event: LimitEvent) -> None:
        if ctx.out.as_json:
            ctx.out.json({"event": "limit", "data": event})
        else:
            ctx.out.note(limit_event_text(event, currency))

    unsubscribe_limits = client.bus.subscribe(Topic.LIMIT, limit_notice)
    client.live.start()  # the limit notices arrive on the live stream
    try:
        return await _run(ctx, service, plan, currency)
    finally:
        unsubscribe()
        unsubscribe_limits()
        await client.live.stop()


async def _run(ctx: Context, service: Service, plan: GatewayPlan, currency: str) -> int:
    client = await ctx.client()
    run = await (await ctx.runner()).start(service.service_id, limit_units=plan.limit)
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        asyncio.get_running_loop().create_task(run.stop("user"))

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, interrupt)
    consumer: asyncio.Task[GatewayProgress | None] | None = None
    feeder: asyncio.Task[None] | None = None
    try:
        try:
            consumer = start_consumer(ctx, run, plan, client.settings.ca_file)
        except CliError:
            await run.stop("client_error")
            raise
        if consumer is None and service.unit is not ServiceUnit.SECOND:
            feeder = loop.create_task(_feed(run, plan.goal))
        final = await run.wait()
        outcome = None
        if consumer is not None:  # it ends with the run (the gateway cuts the session off)
            with contextlib.suppress(TimeoutError):
                outcome = await asyncio.wait_for(asyncio.shield(consumer), _CONSUMER_GRACE)
    finally:
        for task in (consumer, feeder):
            if task is not None and not task.done():
                task.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
    return _report(ctx, service, final, currency, interrupted, outcome)


def _report(
    ctx: Context,
    service: Service,
    final: RunProgress,
    currency: str,
    interrupted: bool,
    outcome: GatewayProgress | None,
) -> int:
    out = ctx.out
    out.end_live()
    if out.as_json:
        out.json(
            {
                "session_id": final.session_id,
                "seq": final.seq,
                "used_units": final.used_units,
                "charged": format_money(final.charged),
                "server": final.server,
                "state": final.state,
                "cause": final.cause,
                "cdr_id": final.cdr_id,
                "reason": final.reason,
                "final": True,
            }
        )
    else:
        out.text(_summary(service, final, currency))
    delivered = final.state == RunState.ENDED and final.cause in _DELIVERED
    refused = None if delivered else refusal_status(outcome)
    if refused is not None and not interrupted:
        status, line = refused
        out.note(line)
        return status
    if final.reason and not delivered:
        out.note(final.reason)
    if final.state == RunState.UNSETTLED:
        return OFFLINE
    if final.state == RunState.FAILED:
        return FAILURE
    if interrupted:
        return INTERRUPTED
    return OK if delivered else STOPPED


def _summary(service: Service, final: RunProgress, currency: str) -> str:
    """The run's end as sentences: why it ended, used and billed, the record."""
    if final.state == RunState.UNSETTLED:
        return (
            f"{service.name} stopped after {format_units(final.used_units, service.unit.value)}; "
            "the end is journaled until a billing server answers."
        )
    why = cause_text(final.cause) if final.state == RunState.ENDED else "It could not end."
    used = end_summary(service, final.used_units, final.charged, currency, money=money)
    record = f" Record {final.cdr_id}." if final.cdr_id else ""
    return f"{service.name} ended. {why} {used}{record}"
