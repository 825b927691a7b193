"""``billclient use`` for gateway-served services: ``--file`` and ``--message``.

A download (``use download --file NAME [--output PATH]``) runs until the file is
whole; messages (``use sms --message TEXT [--message TEXT ...]``) until each was
sent; a stream (``use video --seconds N``) is read for the time asked. The run's
meter counts what arrives from the gateway (``billclient.core.gateway_run``).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from billclient.core.gateway_client import GatewayProgress, GatewayState, gateway_kind
from billclient.core.gateway_run import GatewayOrder, consume
from billclient.core.sessions import RunningSession
from billclient.protocol import Service

from ..context import Context
from ..exits import USAGE, CliError

__all__ = ["check_amount", "gateway_order", "order_goal", "start_consumer"]

_DOWNLOAD_QUOTE = 1_000_000  # a download is quoted per megabyte (its size is not known yet)


def check_amount(args: argparse.Namespace) -> None:
    """Usage error (before anything is asked of a server) when no amount was given."""
    given = (args.seconds, args.units, getattr(args, "file", None), getattr(args, "message", None))
    if not any(value is not None for value in given):
        raise CliError("give --seconds or --units (--file or --message for those)", USAGE)


def gateway_order(args: argparse.Namespace, service: Service) -> GatewayOrder | None:
    """The order ``--file`` / ``--message`` make (None without them); usage errors raised."""
    file: str | None = getattr(args, "file", None)
    messages: list[str] = list(getattr(args, "message", None) or [])
    output: str | None = getattr(args, "output", None)
    if output and not file:
        raise CliError("--output goes with --file", USAGE)
    if not file and not messages:
        if args.seconds is None and args.units is None:
            raise CliError("give --seconds or --units (--file or --message for those)", USAGE)
        return None
    if args.seconds is not None:
        raise CliError("--seconds is for time services, not with --file or --message", USAGE)
    order = GatewayOrder(file, Path(output) if output else None, messages)
    problem = order.problem(service) if gateway_kind(service.media) else None
    if gateway_kind(service.media) is None:
        problem = f"{service.service_id} is not served by the metering gateway"
    if problem:
        raise CliError(problem, USAGE)
    return order


def order_goal(order: GatewayOrder, units: int | None) -> int:
    """The units to quote (and to limit the run to, when ``--units`` was given)."""
    if units is not None:
        return units
    return len(order.messages) if order.messages else _DOWNLOAD_QUOTE


def start_consumer(
    ctx: Context, run: RunningSession, order: GatewayOrder | None, ca_file: Path | None
) -> asyncio.Task[GatewayProgress | None] | None:
    """Consume ``run`` from its gateway in a task (None when it has no gateway)."""
    if run.gateway is None:
        if order is not None:
            raise CliError(
                "the billing server named no metering gateway for this session; "
                "use --units to run it without one"
            )
        return None
    out = ctx.out
    sent_shown = 0
    state_shown = GatewayState.CONNECTING

    def show(progress: GatewayProgress) -> None:
        nonlocal sent_shown, state_shown
        for text in progress.sent[sent_shown:]:
            out.note(f"sent: {text}")
        sent_shown = len(progress.sent)
        if progress.state != state_shown:
            state_shown = progress.state
            if progress.state is GatewayState.DONE and progress.detail:
                out.note(f"saved {progress.detail} ({progress.received} bytes this session)")
            elif progress.state in (GatewayState.ENDED, GatewayState.FAILED) and progress.detail:
                out.note(f"gateway: {progress.detail}")

    return asyncio.get_running_loop().create_task(
        consume(
            run, order or GatewayOrder(), on_change=show, verify=str(ca_file) if ca_file else True
        )
    )
