"""Commands about services: services, quote, use."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from billclient.core.bus import Topic
from billclient.core.sessions import RunningSession, RunProgress, RunState
from billclient.protocol import Service, ServiceUnit
from billclient.protocol.money import format_money

from ..context import Context
from ..exits import FAILURE, INTERRUPTED, OFFLINE, OK, STOPPED, USAGE, CliError
from ..output import money
from .account import recovered_line
from .gateway_use import check_amount, gateway_order, order_goal, start_consumer

__all__ = ["run_quote", "run_services", "run_use"]

_UNIT = {ServiceUnit.SECOND: "s", ServiceUnit.BYTE: "B", ServiceUnit.EVENT: "events"}


def _units(n: int, service: Service | None) -> str:
    return f"{n} {_UNIT[service.unit]}" if service else str(n)


def _price(service: Service) -> str:
    rate = service.rate
    one = {ServiceUnit.SECOND: "s", ServiceUnit.BYTE: "B", ServiceUnit.EVENT: "event"}
    per = f"{rate.per} {_UNIT[service.unit]}" if rate.per != 1 else one[service.unit]
    extra = f" + {money(rate.setup_fee)} setup" if rate.setup_fee else ""
    return f"{rate.price} per {per}{extra}"


async def run_services(ctx: Context) -> int:
    """The services of the plan, with their rates."""
    client = await ctx.client()
    services = await client.api.services()
    if ctx.out.as_json:
        ctx.out.json(services)
        return OK
    ctx.out.table(
        ["service", "name", "unit", "price", "update every"],
        [
            [s.service_id, s.name, s.unit.value, _price(s), f"{s.update_interval} s"]
            for s in services
        ],
    )
    return OK


async def run_quote(ctx: Context) -> int:
    """Advice of charge."""
    client = await ctx.client()
    runner = await ctx.runner()
    service = await runner.service(ctx.args.service)
    quote = await runner.quote(service.service_id, ctx.args.units)
    currency = (await client.api.account()).currency
    if ctx.out.as_json:
        ctx.out.json(quote)
        return OK
    ctx.out.text(_quote_line(service, quote.units, quote.charge, quote.max_units, currency))
    return OK


def _quote_line(
    service: Service, units: int, charge: int, max_units: int | None, currency: str
) -> str:
    covers = "any amount (free)" if max_units is None else _units(max_units, service)
    return (
        f"{service.name}: {_units(units, service)} cost {money(charge, currency)} now; "
        f"your balance covers {covers}"
    )


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
                f"no billing server answers; continuing within the {progress.granted_units} "
                "units granted"
            )
        self.offline = progress.state == RunState.OFFLINE
        if out.as_json:
            if progress.seq != self.seq and progress.state != RunState.ENDED:
                self.seq = progress.seq
                out.json(self._record(progress))
            return
        line = (
            f"{self.service.service_id}  {progress.used_units}/{_units(self.goal, self.service)}"
            f"  {money(progress.estimate, self.currency)}"
            f"  {progress.state}  {progress.server or '-'}"
        )
        if out.tty:
            out.live(line)
        elif progress.seq != self.seq:
            self.seq = progress.seq
            out.text(line)

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
    """For byte and event services: deliver ``goal`` units, never beyond the grant."""
    fed = 0
    while fed < goal:
        room = min(goal - fed, run.progress.granted_units - run.progress.used_units)
        if room > 0 and run.progress.state in (RunState.RUNNING, RunState.OFFLINE):
            run.add(room)
            fed += room
        await asyncio.sleep(0.05)


async def run_use(ctx: Context) -> int:
    """Quote, confirm, open, meter, end; exit status says how it ended."""
    args = ctx.args
    check_amount(args)  # --seconds / --units, or --file / --message for gateway services
    client = await ctx.client()
    runner = await ctx.runner()
    for recovered in await runner.recover():  # a session a crashed run left journaled
        ctx.out.note(recovered_line(recovered))
    service = await runner.service(args.service)
    if args.seconds is not None and service.unit is not ServiceUnit.SECOND:
        raise CliError(f"{service.service_id} counts {service.unit.value}s: use --units", USAGE)
    order = gateway_order(args, service)  # --file / --message: consumed from the gateway
    goal = args.seconds if args.seconds is not None else args.units
    if order is not None:
        goal = order_goal(order, args.units)
    currency = (await client.api.account()).currency
    quote = await runner.quote(service.service_id, goal)
    if not ctx.out.as_json:
        ctx.out.text(_quote_line(service, goal, quote.charge, quote.max_units, currency))
    if quote.max_units is not None and quote.max_units < goal:
        ctx.out.note(
            f"your balance covers only {_units(quote.max_units, service)}; "
            "the service stops when it is used up"
        )
    ctx.confirm(f"Start {service.name} for {_units(goal, service)} at {money(quote.charge)}?")
    meter = _Meter(ctx, service, currency, goal)
    unsubscribe = client.bus.subscribe(Topic.RUN, meter)
    limit = goal if order is None or args.units is not None else None
    run = await runner.start(service.service_id, limit_units=limit)
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        asyncio.get_running_loop().create_task(run.stop("user"))

    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, interrupt)
        loop.add_signal_handler(signal.SIGTERM, interrupt)
    feeder: asyncio.Task[Any] | None = None
    try:
        feeder = start_consumer(ctx, run, order, client.settings.ca_file)
    except CliError:
        await run.stop("client_error")
        unsubscribe()
        raise
    if feeder is None and service.unit is not ServiceUnit.SECOND:
        feeder = loop.create_task(_feed(run, goal))
    try:
        final = await run.wait()
    finally:
        if feeder is not None:
            feeder.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
        unsubscribe()
    return _report(ctx, final, currency, interrupted)


def _report(ctx: Context, final: RunProgress, currency: str, interrupted: bool) -> int:
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
        out.text(
            f"Session {final.session_id} {final.state} ({final.cause or '-'}): "
            f"{final.used_units} units, charged {money(final.charged, currency)}"
            + (f", record {final.cdr_id}" if final.cdr_id else "")
        )
    unusual = final.state != RunState.ENDED or final.cause not in ("service_done", "user")
    if final.reason and unusual:
        out.note(final.reason)
    if final.state == RunState.UNSETTLED:
        return OFFLINE
    if final.state == RunState.FAILED:
        return FAILURE
    if interrupted:
        return INTERRUPTED
    return OK if final.cause in ("service_done", "user") else STOPPED
