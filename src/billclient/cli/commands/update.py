"""``billclient update [--check]``: the billing component's signed updates."""

from __future__ import annotations

import logging

from billclient.core.pool import tls_verification
from billclient.core.updater import apply_update, check_for_update

from ..context import Context
from ..exits import FAILURE, OK

__all__ = ["run_update"]


async def run_update(ctx: Context) -> int:
    """Check for, or install, a newer verified component (after running sessions end)."""
    logging.getLogger("billclient.core.updater").setLevel(logging.ERROR)  # printed below
    client = await ctx.client()
    runner = await ctx.runner()
    data_dir = client.paths.data_dir
    verify = tls_verification(client.settings.ca_file)
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
