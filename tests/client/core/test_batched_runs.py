"""Sessions of one client that are due together send their updates in one call."""

from __future__ import annotations

import asyncio
from pathlib import Path

from billclient.component import load_component
from billclient.core.client import BillingClient
from billclient.core.sessions import RunState, SessionRunner
from tests.client.core.conftest import ClientHome
from tests.support.catalogs import PASSWORD
from tests.support.servers import ServerProcess

INTERVAL = 0.5  # seconds between a session's updates (the runner's override)
SESSIONS = 3


def test_running_sessions_update_together_in_batched_calls(
    server: ServerProcess, client_home: ClientHome, tmp_path: Path
) -> None:
    async def scenario() -> None:
        client = BillingClient.open()
        await client.sign_in([server.url], "together", PASSWORD)
        runner = SessionRunner(
            client, load_component(tmp_path), data_dir=tmp_path, update_interval=INTERVAL
        )
        try:
            runs = []
            for _ in range(SESSIONS):
                runs.append(await runner.start("voice"))
                await asyncio.sleep(INTERVAL / 3)  # started at different moments
            while min(run.progress.seq for run in runs) < 6:
                await asyncio.sleep(INTERVAL / 5)
            finals = await runner.stop_all()
        finally:
            runner.close()
        updates = sum(final.seq - 1 for final in finals)  # the last seq is the end call
        assert {final.state for final in finals} == {RunState.ENDED}
        assert runner.updates.batched >= 3
        assert runner.updates.calls < 0.75 * updates, (runner.updates.calls, updates)
        account = await client.api.account()
        charged = sum(final.charged for final in finals)
        assert account.balance == 10_000_000 - charged  # every update charged exactly once
        cdrs = {cdr.session_id: cdr for cdr in (await client.api.cdrs()).items}
        for final in finals:
            assert cdrs[final.session_id].used_units == final.used_units
        await client.aclose()

    asyncio.run(scenario())
