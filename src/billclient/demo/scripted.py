"""The demo without a display: a scripted metered session, narrated in the terminal.

Signs the demo profile in, then (beside the ``watch`` view the demo runs as a child)
starts an Internet call (billed per second, so its charge moves with every update)
through the session runner, says every figure the billing server answers with,
redeems a voucher once the call has been charged, downloads a file and sends a
message through the metering gateway, and ends the call with cause ``user`` when the
demo is told to stop. Every line is a sentence.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

from billclient.cli.output import money
from billclient.core.client import BillingClient
from billclient.core.errors import BillingError
from billclient.core.gateway_client import GatewayUseError
from billclient.core.gateway_run import GatewayOrder, consume
from billclient.core.sessions import RunProgress, RunState
from billclient.core.settings import ClientSettings, ProfilePaths
from billclient.core.words.formats import format_units
from billclient.core.words.prices import billing_steps, describe_rate
from billclient.core.words.rating import cause_text, end_summary
from billclient.protocol import Service

from .environment import KEYRING_BACKEND, PROFILE

__all__ = ["DEMO_LOGINS", "run_scripted", "sign_in"]

DEMO_LOGINS = {
    "alice": "alice-demo-password",
    "carol": "carol-demo-password",
    "bob": "bob-demo-password",
    "support": "support-demo-password",
}
"""The demo catalogue's logins and their passwords."""

SCRIPTED_SERVICE = "call"
"""Billed per second from the first second: the charge moves with every update."""
VOUCHER = "DEMO-0005-EUR"
DEMO_DOWNLOAD = "demo-1MB.bin"
DEMO_MESSAGE = "Hello from the billclient demo"
END_WITHIN = 20.0
"""Seconds the scripted call's end may take before the demo stops regardless."""
_SETTLED = (RunState.ENDED, RunState.UNSETTLED, RunState.FAILED)

Say = Callable[[str], None]


async def sign_in(home: Path, servers: list[str], login: str) -> str:
    """Sign the demo profile in as ``login``; ``"account ID"`` (or ``"role R"``)."""
    paths = ProfilePaths.for_profile(PROFILE, home)
    ClientSettings(keyring_backend=KEYRING_BACKEND).save(paths)
    async with BillingClient.open(PROFILE, home=home) as client:
        result = await client.sign_in(
            servers, login, DEMO_LOGINS[login], device_name="billclient demo"
        )
        return f"account {result.account_id}" if result.account_id else f"role {result.role}"


async def run_scripted(home: Path, stopping: Callable[[], bool], say: Say) -> RunProgress:
    """Run the scripted call until ``stopping()``; its final progress."""
    async with BillingClient.open(PROFILE, home=home) as client:
        account = await client.api.account()
        currency = account.currency
        say(
            f"{account.name} has {money(account.available, currency)} available "
            f"(balance {money(account.balance, currency)})."
        )
        service = await client.runner.service(SCRIPTED_SERVICE)
        quote = await client.runner.quote(SCRIPTED_SERVICE, 60)
        say(
            f"Advice of charge: a minute of {service.name} costs {money(quote.charge, currency)} "
            f"now ({describe_rate(service, currency)})."
        )
        run = await client.runner.start(SCRIPTED_SERVICE)
        say(
            f"Started the {service.name} (session {run.session_id[:8]}); it is "
            f"{_first_unit(service)}. Press Ctrl+C to end it."
        )
        seen_seq, voucher_done = 0, False
        while not stopping() and run.progress.state not in _SETTLED:
            progress = run.progress
            if progress.seq > seen_seq and progress.server is not None:
                seen_seq = progress.seq
                say(
                    f"{service.name}: {format_units(progress.used_units, 'second')} so far, "
                    f"charged {money(progress.charged, currency)} by the billing server, which "
                    f"holds credit for up to {format_units(progress.granted_units, 'second')} "
                    f"(via {progress.server})."
                )
                if progress.charged > 0 and not voucher_done:
                    voucher_done = True
                    topup = await client.api.topup_voucher(
                        VOUCHER, idempotency_key=str(uuid.uuid4())
                    )
                    say(f"Redeemed voucher {VOUCHER}: {money(topup.amount, currency)} added.")
                    await _through_the_gateway(client, home.parent / "downloads", currency, say)
            await asyncio.sleep(0.2)
        ending = run.wait() if run.progress.state in _SETTLED else run.stop("user")
        try:
            final = await asyncio.wait_for(ending, END_WITHIN)
        except TimeoutError:
            say(
                f"No billing server answered the end of the call within {END_WITHIN:.0f} s; "
                "stopping anyway (the demo's database goes with it)."
            )
            return run.progress
        record = f" Charge record {final.cdr_id}." if final.cdr_id else ""
        say(
            f"The {service.name} ended. {cause_text(final.cause)} "
            f"{end_summary(service, final.used_units, final.charged, currency, money=money)}"
            f"{record}"
        )
        return final


def _first_unit(service: Service) -> str:
    """When the charge first moves: at once for per-second billing, else after the first
    billed block (``"billed per minute: the first minute is charged at once"``)."""
    rate = service.rate
    steps = billing_steps(service.unit, rate.first_increment, rate.increment)
    if rate.first_increment == 1:
        return f"{steps}, so the charge grows with every second"
    first = format_units(rate.first_increment, service.unit.value)
    return f"{steps}: the first {first} is charged at once, and the charge moves after it"


async def _through_the_gateway(
    client: BillingClient, downloads: Path, currency: str, say: Say
) -> None:
    """A download and a message through the metering gateway, metered as they arrive."""
    try:
        async with asyncio.timeout(60):
            run = await client.runner.start("download")
            got = await consume(run, GatewayOrder(DEMO_DOWNLOAD, downloads / DEMO_DOWNLOAD))
            final = await run.wait()
            if got is None:
                say("The billing server named no metering gateway for the download.")
                return
            say(
                f"Downloaded {DEMO_DOWNLOAD} through the metering gateway "
                f"({run.gateway.url if run.gateway else '-'}): {got.received:,} bytes arrived, "
                f"{final.used_units:,} bytes were metered, "
                f"charged {money(final.charged, currency)}."
            )
            run = await client.runner.start("sms")
            sent = await consume(run, GatewayOrder(messages=[DEMO_MESSAGE]))
            final = await run.wait()
            echoed = sent.sent[0] if sent is not None and sent.sent else "-"
            say(
                f"Sent a message through the gateway ({echoed!r}): "
                f"{format_units(final.used_units, 'event')}, charged "
                f"{money(final.charged, currency)}."
            )
    except (BillingError, GatewayUseError, TimeoutError, OSError) as error:
        say(f"The gateway part of the script stopped: {error or type(error).__name__}.")
