"""The demo without a display: a scripted metered session, narrated in the terminal.

Signs the demo profile in, then (beside the ``watch`` view the demo runs as a child)
starts a voice call through the session runner, prints every figure the billing
server answers with, redeems a voucher once the call has been charged, and ends the
call with cause ``user`` when the demo is told to stop.
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

from .environment import KEYRING_BACKEND, PROFILE

__all__ = ["DEMO_LOGINS", "run_scripted", "sign_in"]

DEMO_LOGINS = {
    "alice": "alice-demo-password",
    "carol": "carol-demo-password",
    "bob": "bob-demo-password",
    "support": "support-demo-password",
}
"""The demo catalogue's logins and their passwords."""

SCRIPTED_SERVICE = "voice"
VOUCHER = "DEMO-0005-EUR"
DEMO_DOWNLOAD = "demo-1MB.bin"
DEMO_MESSAGE = "Hello from the billclient demo"
END_WITHIN = 20.0
"""Seconds the scripted call's end may take before the demo stops regardless."""
_SETTLED = (RunState.ENDED, RunState.UNSETTLED, RunState.FAILED)

Say = Callable[[str], None]


async def sign_in(home: Path, servers: list[str], login: str) -> str:
    """Sign the demo profile in as ``login``; the account's or role's name."""
    paths = ProfilePaths.for_profile(PROFILE, home)
    ClientSettings(keyring_backend=KEYRING_BACKEND).save(paths)
    async with BillingClient.open(PROFILE, home=home) as client:
        result = await client.sign_in(
            servers, login, DEMO_LOGINS[login], device_name="billclient demo"
        )
        return result.account_id or str(result.role)


async def run_scripted(home: Path, stopping: Callable[[], bool], say: Say) -> RunProgress:
    """Run the scripted voice call until ``stopping()``; its final progress."""
    async with BillingClient.open(PROFILE, home=home) as client:
        account = await client.api.account()
        currency = account.currency
        say(
            f"{account.name}: balance {money(account.balance, currency)}, "
            f"available {money(account.available, currency)}"
        )
        quote = await client.runner.quote(SCRIPTED_SERVICE, 60)
        cost = money(quote.charge, currency)
        say(f"advice of charge: a minute of {SCRIPTED_SERVICE} costs {cost} now")
        run = await client.runner.start(SCRIPTED_SERVICE)
        say(f"started a {SCRIPTED_SERVICE} call, session {run.session_id} (Ctrl+C ends it)")
        seen_seq, voucher_done = 0, False
        while not stopping() and run.progress.state not in _SETTLED:
            progress = run.progress
            if progress.seq > seen_seq and progress.server is not None:
                seen_seq = progress.seq
                say(
                    f"{SCRIPTED_SERVICE} {run.session_id}: {progress.used_units} s used, "
                    f"charged {money(progress.charged, currency)} by the server "
                    f"(granted {progress.granted_units} s, via {progress.server})"
                )
                if progress.charged > 0 and not voucher_done:
                    voucher_done = True
                    topup = await client.api.topup_voucher(
                        VOUCHER, idempotency_key=str(uuid.uuid4())
                    )
                    say(f"voucher {VOUCHER} redeemed: {money(topup.amount, currency)} added")
                    await _through_the_gateway(client, home.parent / "downloads", currency, say)
            await asyncio.sleep(0.2)
        ending = run.wait() if run.progress.state in _SETTLED else run.stop("user")
        try:
            final = await asyncio.wait_for(ending, END_WITHIN)
        except TimeoutError:
            say(
                f"no billing server answered the end of the call within {END_WITHIN:.0f} s; "
                "stopping anyway (the demo's database goes with it)"
            )
            return run.progress
        say(
            f"{SCRIPTED_SERVICE} {run.session_id} {final.state} ({final.cause}): "
            f"{final.used_units} s, charged {money(final.charged, currency)}"
            + (f", charge record {final.cdr_id}" if final.cdr_id else "")
        )
        return final


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
                say("the billing server named no gateway for the download")
                return
            say(
                f"downloaded {got.received:,} bytes of {DEMO_DOWNLOAD} through the gateway "
                f"({run.gateway.url if run.gateway else '-'}): {final.used_units:,} bytes "
                f"metered, charged {money(final.charged, currency)}"
            )
            run = await client.runner.start("sms")
            sent = await consume(run, GatewayOrder(messages=[DEMO_MESSAGE]))
            final = await run.wait()
            echoed = sent.sent[0] if sent is not None and sent.sent else "-"
            say(
                f"sent a message through the gateway ({echoed!r}): {final.used_units} event, "
                f"charged {money(final.charged, currency)}"
            )
    except (BillingError, GatewayUseError, TimeoutError, OSError) as error:
        say(f"the gateway part of the script stopped: {error or type(error).__name__}")
