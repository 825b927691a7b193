"""``billclient use`` for gateway-served services: what to consume, and how much.

A service the deployment's metering gateway serves (by its catalogue ``media``) is
consumed there, and the run's meter counts what arrives:

- a stream (voice, video): ``--seconds N`` or ``--units N`` reads it for N seconds
  (N bytes for a byte-metered stream);
- a download: ``--file NAME [--output PATH]`` until the file is whole; with
  ``--units N`` exactly N bytes of it (kept in ``PATH.part``, resumed by a later
  download of the same file);
- messages: ``--message TEXT`` (repeatable), or ``--units N`` for N numbered ones.

Everything that can be checked before a session opens is checked here (usage
errors, exit status 2).
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path

from billclient.core.gateway_client import GatewayProgress, GatewayState, gateway_kind
from billclient.core.gateway_run import GatewayOrder, consume
from billclient.core.sessions import RunningSession
from billclient.core.words.formats import format_bytes
from billclient.protocol import Service, ServiceUnit
from billclient.protocol.gateway import GatewayKind

from ..context import Context
from ..exits import FAILURE, REFUSED, STOPPED, USAGE, CliError

__all__ = ["GatewayPlan", "check_amount", "gateway_plan", "refusal_status", "start_consumer"]

_DOWNLOAD_QUOTE = 1_000_000  # a whole download is quoted per megabyte (its size is unknown)


@dataclass(frozen=True)
class GatewayPlan:
    """What ``use`` runs: the units to quote, the run's limit, and the gateway order."""

    goal: int
    """Units to quote (and to show as the target)."""
    limit: int | None
    """The run ends (``service_done``) at these units; None: when the consumer is done."""
    order: GatewayOrder | None
    """What to consume from the gateway; None for a service the gateway does not serve."""
    needs_gateway: bool
    """True when the run is impossible without a gateway (a file, given messages)."""


def check_amount(args: argparse.Namespace) -> None:
    """Usage error (before anything is asked of a server) when no amount was given."""
    given = (args.seconds, args.units, args.file, args.message)
    if not any(value is not None for value in given):
        raise CliError("give --seconds or --units (--file or --message for those)", USAGE)


def gateway_plan(args: argparse.Namespace, service: Service) -> GatewayPlan:
    """The plan for ``args`` on ``service``; usage errors raised (exit status 2)."""
    kind = gateway_kind(service.media)
    file: str | None = args.file
    messages: list[str] = list(args.message or [])
    amount: int | None = args.seconds if args.seconds is not None else args.units
    if args.seconds is not None and service.unit is not ServiceUnit.SECOND:
        raise CliError(f"{service.service_id} counts {service.unit.value}s: use --units", USAGE)
    if args.output and not file:
        raise CliError("--output goes with --file", USAGE)
    if kind is not GatewayKind.DOWNLOAD and file:
        raise CliError(f"{service.service_id} is not a download", USAGE)
    if kind is not GatewayKind.MESSAGE and messages:
        raise CliError(f"{service.service_id} does not send messages", USAGE)
    if kind is GatewayKind.DOWNLOAD:
        if not file:
            raise CliError(
                f"{service.service_id} is a download: name the gateway's file (--file NAME); "
                "--units N then fetches N bytes of it",
                USAGE,
            )
        output = Path(args.output) if args.output else None
        order = GatewayOrder(file, output, max_bytes=amount)
        return GatewayPlan(amount or _DOWNLOAD_QUOTE, amount, order, needs_gateway=True)
    if kind is GatewayKind.MESSAGE:
        if messages and amount is not None:
            raise CliError("give --message TEXT or --units N (numbered messages), not both", USAGE)
        if not messages:
            assert amount is not None  # check_amount
            count = amount
            messages = [f"billclient message {n} of {count}" for n in range(1, count + 1)]
        explicit = bool(args.message)
        return GatewayPlan(len(messages), len(messages), GatewayOrder(messages=messages), explicit)
    assert amount is not None  # check_amount
    stream = GatewayOrder() if kind is GatewayKind.STREAM else None
    return GatewayPlan(amount, amount, stream, needs_gateway=False)


def start_consumer(
    ctx: Context, run: RunningSession, plan: GatewayPlan, ca_file: Path | None
) -> asyncio.Task[GatewayProgress | None] | None:
    """Consume ``run`` from its gateway in a task (None when it has none: the caller
    meters the run itself). Raises CliError when the run needs a gateway it lacks."""
    if run.gateway is None or plan.order is None:
        if plan.needs_gateway:
            raise CliError(
                "the billing server named no metering gateway for this session, so nothing "
                "was delivered; use --units to run it without one"
            )
        return None
    out = ctx.out
    sent_shown = 0

    def show(progress: GatewayProgress) -> None:
        nonlocal sent_shown
        for text in progress.sent[sent_shown:]:
            out.note(f"sent: {text}")
        sent_shown = len(progress.sent)
        if progress.state is GatewayState.DONE and progress.detail:
            got = format_bytes(progress.received)
            if progress.detail.endswith(".part"):
                out.note(f"saved {got} in {progress.detail} (a later download resumes it)")
            elif progress.received or progress.total:
                out.note(f"saved {progress.detail} ({got} this session)")

    verify = str(ca_file) if ca_file else True
    return asyncio.get_running_loop().create_task(
        consume(run, plan.order, on_change=show, verify=verify)
    )


def refusal_status(outcome: GatewayProgress | None) -> tuple[int, str] | None:
    """How a gateway use that did not deliver ends the command: exit status and the one
    line to show; None when it delivered (or there was no gateway)."""
    if outcome is None or outcome.state not in (GatewayState.FAILED, GatewayState.ENDED):
        return None
    detail = outcome.detail or "the gateway ended the service"
    if outcome.refusal == 404:
        return USAGE, f"the gateway refused: {detail}"
    if outcome.refusal in (401, 403):
        return REFUSED, f"the gateway refused: {detail}"
    if outcome.state is GatewayState.ENDED:
        return STOPPED, f"the gateway ended the service: {detail}"
    return FAILURE, detail
