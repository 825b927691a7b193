"""Running a gateway-served session: the runner meters, the gateway delivers.

:func:`consume` uses the gateway for a :class:`~billclient.core.sessions.RunningSession`
whose session answer carried ``gateway`` (``run.gateway``), feeding the run's meter
with what arrives, and ends the run when the service is complete: a download when
the file is whole (or ``max_bytes`` of it arrived), messages when all were sent (cause
``service_done``). A stream goes on until the run ends or the gateway closes it. A
gateway that refuses for good, or cannot be reached, ends the run with cause
``gateway_closed``; anything else going wrong ends it with ``client_error``: a run is
never left waiting for a consumer that is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from billclient.protocol.catalog import Service
from billclient.protocol.gateway import GatewayKind

from .gateway_client import (
    PATIENCE,
    GatewayProgress,
    GatewayUse,
    GatewayUseError,
    gateway_kind,
)
from .sessions import RunningSession, RunState

__all__ = ["SETTLED", "GatewayOrder", "consume"]

_log = logging.getLogger(__name__)

SETTLED = (RunState.ENDED, RunState.UNSETTLED, RunState.FAILED, RunState.STOPPING)
"""Run states in which no more service is consumed."""


@dataclass(frozen=True)
class GatewayOrder:
    """What to consume: a file for a download, messages for a message service."""

    file: str | None = None
    target: Path | None = None
    messages: list[str] = field(default_factory=list)
    max_bytes: int | None = None
    """A download: fetch at most this many bytes (the rest stays in ``.part``)."""

    def problem(self, service: Service) -> str | None:
        """Why this order does not fit ``service`` (None when it does)."""
        kind = gateway_kind(service.media)
        if kind is not GatewayKind.DOWNLOAD and self.file:
            return f"{service.service_id} is not a download"
        if kind is not GatewayKind.MESSAGE and self.messages:
            return f"{service.service_id} does not send messages"
        if kind is GatewayKind.DOWNLOAD and not self.file:
            return f"{service.service_id} is a download: name the file (--file NAME)"
        if kind is GatewayKind.MESSAGE and not self.messages:
            return f"{service.service_id} sends messages: give one (--message TEXT)"
        return None


async def consume(
    run: RunningSession,
    order: GatewayOrder,
    *,
    on_change: Callable[[GatewayProgress], None] | None = None,
    verify: bool | str = True,
    patience: float = PATIENCE,
) -> GatewayProgress | None:
    """Consume ``run``'s service from its gateway; None when it has none.

    ``patience``: seconds the gateway may stay out of reach before the use fails.
    """
    access, service = run.gateway, run.service
    kind = gateway_kind(service.media) if service is not None else None
    if access is None or kind is None:
        return None
    use = GatewayUse(
        access,
        kind,
        run,
        on_change=on_change,
        verify=verify,
        alive=lambda: run.progress.state not in SETTLED,
        patience=patience,
    )
    problem = order.problem(service) if service is not None else None
    if problem is not None:
        await _stop(run, "client_error")
        return use.failed(problem)
    try:
        if kind is GatewayKind.STREAM:
            return await use.stream()
        if kind is GatewayKind.DOWNLOAD:
            file = order.file or ""
            target = order.target or Path(Path(file).name)
            outcome = await use.download(file, target, order.max_bytes)
        else:
            outcome = await use.send(order.messages)
    except GatewayUseError:
        await _stop(run, "gateway_closed")
        return use.progress
    except Exception as error:  # the target cannot be written, a bad answer, a bug
        _log.warning("the gateway use of session %s failed", run.session_id, exc_info=error)
        await _stop(run, "client_error")
        return use.failed(_one_line(error))
    await _stop(run, "service_done")
    return outcome


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


async def _stop(run: RunningSession, cause: str) -> None:
    """End the run once its meter reading reached the runner (the last chunk counts)."""
    meter = run.meter
    if run.progress.state in SETTLED:
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            while meter is not None and run.progress.used_units < meter.used_units():
                if run.progress.state in SETTLED:
                    return
                await asyncio.sleep(0.05)
    await run.stop(cause)
