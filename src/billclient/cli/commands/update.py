"""``billclient update [--check]``: the billing component's signed updates."""

from __future__ import annotations

import logging

from billclient.core.client import BillingClient
from billclient.core.pool import tls_verification
from billclient.core.updater import apply_update, check_for_update, pin_root

from ..context import Context
from ..exits import FAILURE, OK

__all__ = ["pin_update_root", "run_update"]


async def pin_update_root(client: BillingClient) -> None:
    """Trust the servers' component update root when none is trusted yet (trust on first
    use over the servers' TLS): at sign-in, and at the first update of a profile signed
    in before its deployment published one."""
    client.paths.ensure()
    try:
        await pin_root(
            client.paths.data_dir,
            client.pool.order,
            verify=tls_verification(client.settings.ca_file),
        )
    except ValueError as error:  # a deployment without component updates
        logging.getLogger(__name__).info("no update root pinned: %s", error)


async def run_update(ctx: Context) -> int:
    """Check for, or install, a newer verified component (after running sessions end)."""
    logging.getLogger("billclient.core.updater").setLevel(logging.ERROR)  # printed below
    client = await ctx.client()
    runner = await ctx.runner()
    data_dir = client.paths.data_dir
    verify = tls_verification(client.settings.ca_file)
    await pin_update_root(client)
    if ctx.args.check:
        result = await check_for_update(data_dir, client.pool.order, verify=verify)
    else:
        result = await apply_update(
            data_dir, client.pool.order, verify=verify, sessions_idle=runner.sessions_idle
        )
    if ctx.out.as_json:
        ctx.out.json(
            {
                "status": result.status.value,
                "current": result.current,
                "offered": result.offered,
                "message": result.message,
            }
        )
    else:
        ctx.out.text(result.message[:1].upper() + result.message[1:])
    return OK if result.ok else FAILURE
