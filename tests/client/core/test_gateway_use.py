"""Gateway-served sessions from the client: what arrives is what the meter counts.

A real billing server hands out a real metering gateway (``billserver gateway``) with
files to download; the client signs in, runs the session with its runner and
consumes the service with :func:`billclient.core.gateway_run.consume`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from billclient.core.client import BillingClient
from billclient.core.gateway_client import GatewayProgress, GatewayState
from billclient.core.gateway_run import GatewayOrder, consume
from billclient.core.sessions import RunState
from billclient.protocol.catalog import Service
from tests.client.core.conftest import ClientHome, eventually
from tests.support.catalogs import PASSWORD
from tests.support.gateway_site import FILES, GatewaySite, running_site
from tests.support.gateways import GatewayProcess
from tests.support.servers import ServerProcess
from tests.support.tcp_proxy import tcp_proxy

DATA = FILES["data.bin"]  # the gdl grant is 262,144 bytes: the download pauses at each grant
SIZE = len(DATA)


@pytest.fixture
def site(gateway_site: GatewaySite) -> dict[str, Any]:
    """The shared billing server and gateway."""
    return {"server": gateway_site.server, "gateway": gateway_site.gateway}


async def _signed_in(server: ServerProcess, login: str) -> BillingClient:
    client = BillingClient.open()
    await client.sign_in([server.url], login, PASSWORD)
    return client


def test_a_download_is_counted_byte_for_byte(
    site: dict[str, Any], client_home: ClientHome, tmp_path: Path
) -> None:
    async def scenario() -> None:
        client = await _signed_in(site["server"], "dl")
        try:
            run = await client.runner.start("gdl")
            assert run.gateway is not None and run.gateway.url == site["gateway"].url
            seen: list[GatewayProgress] = []
            target = tmp_path / "out" / "data.bin"
            outcome = await consume(run, GatewayOrder("data.bin", target), on_change=seen.append)
            final = await run.wait()
            assert outcome is not None and outcome.state is GatewayState.DONE
            assert target.read_bytes() == DATA
            assert not target.with_name("data.bin.part").exists()
            assert (final.state, final.cause, final.used_units) == (
                RunState.ENDED,
                "service_done",
                SIZE,
            )
            assert run.meter is not None and run.meter.used_units() == SIZE
            assert seen[-1].received == SIZE and seen[-1].total == SIZE
            assert [p.received for p in seen] == sorted(p.received for p in seen)
            cdr = (await client.api.cdrs()).items[0]
            assert (cdr.session_id, cdr.used_units) == (run.session_id, SIZE)
        finally:
            await client.aclose()

    asyncio.run(scenario())


def test_an_interrupted_download_resumes_without_counting_a_byte_twice(
    site: dict[str, Any], client_home: ClientHome, tmp_path: Path
) -> None:
    gateway: GatewayProcess = site["gateway"]

    async def scenario() -> None:
        client = await _signed_in(site["server"], "resume")
        target = tmp_path / "data.bin"
        partial = tmp_path / "data.bin.part"
        partial.write_bytes(DATA[:100_000])  # an earlier attempt left this much
        try:
            run = await client.runner.start("gdl")
            task = asyncio.create_task(consume(run, GatewayOrder("data.bin", target)))
            await eventually(lambda: partial.stat().st_size >= 200_000, timeout=20)
            await asyncio.to_thread(gateway.stop)  # the connection drops mid-file
            assert not task.done()
            await asyncio.to_thread(gateway.start)
            outcome = await asyncio.wait_for(task, 60)
            final = await run.wait()
            assert outcome is not None and outcome.state is GatewayState.DONE
            assert target.read_bytes() == DATA
            # only what arrived in this session is counted and billed, each byte once
            assert (final.cause, final.used_units) == ("service_done", SIZE - 100_000)
        finally:
            if gateway.proc is None or gateway.proc.poll() is not None:
                gateway.start()
            await client.aclose()

    asyncio.run(scenario())


def test_a_download_waits_while_the_gateway_cannot_reach_billing(
    client_home: ClientHome, tmp_path: Path
) -> None:
    """The gateway answers 503 while its billing servers are out of its reach (a
    failover, a restart): the client waits as it asks and goes on, instead of failing
    the use. The billing server itself stays up (the session's own updates go on); a
    proxy between gateway and billing is cut and mended."""
    (tmp_path / "site").mkdir()
    with (
        running_site(tmp_path / "site", ["outage"], FILES) as site,
        tcp_proxy(site.server.port) as proxy,
    ):
        site.gateway.stop()  # the same gateway, reaching billing through the proxy
        gateway = GatewayProcess(
            [proxy.url], log_dir=tmp_path, files=site.files, port=site.gateway.port
        ).start()

        async def scenario() -> None:
            client = await _signed_in(site.server, "outage")
            target, partial = tmp_path / "data.bin", tmp_path / "data.bin.part"
            seen: list[GatewayProgress] = []
            try:
                run = await client.runner.start("gdl")
                order = GatewayOrder("data.bin", target)
                task = asyncio.create_task(consume(run, order, on_change=seen.append))
                await eventually(lambda: partial.exists() and partial.stat().st_size > 0, 20)
                await asyncio.to_thread(gateway.stop)  # the connection drops
                proxy.cut()  # and billing is out of the gateway's reach
                await asyncio.to_thread(gateway.start)
                await eventually(
                    lambda: any("cannot be reached" in (p.detail or "") for p in seen), 30
                )
                assert not task.done() and seen[-1].state is GatewayState.PAUSED
                proxy.mend()
                outcome = await asyncio.wait_for(task, 60)
                final = await run.wait()
                assert outcome is not None and outcome.state is GatewayState.DONE
                assert target.read_bytes() == DATA
                assert (final.cause, final.used_units) == ("service_done", SIZE)
            finally:
                proxy.mend()
                await client.aclose()

        try:
            asyncio.run(scenario())
        finally:
            gateway.stop()


def test_messages_are_sent_one_event_each(site: dict[str, Any], client_home: ClientHome) -> None:
    async def scenario() -> None:
        client = await _signed_in(site["server"], "im")
        try:
            service: Service = await client.runner.service("sms")
            order = GatewayOrder(messages=["hello", "wörld", "third"])
            assert order.problem(service) is None
            assert (
                GatewayOrder().problem(service) == "sms sends messages: give one (--message TEXT)"
            )
            run = await client.runner.start("sms")
            outcome = await consume(run, order)
            final = await run.wait()
            assert outcome is not None and outcome.sent == ("hello", "wörld", "third")
            assert (final.cause, final.used_units) == ("service_done", 3)
        finally:
            await client.aclose()

    asyncio.run(scenario())


def test_a_stream_flows_until_the_run_is_stopped(
    site: dict[str, Any], client_home: ClientHome
) -> None:
    async def scenario() -> None:
        client = await _signed_in(site["server"], "tv")
        try:
            run = await client.runner.start("tv")
            states: list[GatewayProgress] = []
            task = asyncio.create_task(consume(run, GatewayOrder(), on_change=states.append))
            await eventually(lambda: bool(states) and states[-1].received >= 2_000, timeout=10)
            assert any(p.state is GatewayState.FLOWING for p in states)
            final = await run.stop("user")
            outcome = await asyncio.wait_for(task, 5)  # the gateway cuts the ended session off
            assert outcome is not None and outcome.state is GatewayState.ENDED
            assert final.cause == "user" and final.used_units >= 1
        finally:
            await client.aclose()

    asyncio.run(scenario())


def test_a_gateway_out_of_reach_ends_the_run_instead_of_hanging(
    site: dict[str, Any], client_home: ClientHome
) -> None:
    gateway: GatewayProcess = site["gateway"]

    async def scenario() -> None:
        client = await _signed_in(site["server"], "down")
        try:
            run = await client.runner.start("sms")
            await asyncio.to_thread(gateway.stop)
            started = time.monotonic()
            outcome = await asyncio.wait_for(
                consume(run, GatewayOrder(messages=["lost"]), patience=1.0), 30
            )
            final = await asyncio.wait_for(run.wait(), 30)
            assert time.monotonic() - started < 20
            assert outcome is not None and outcome.state is GatewayState.FAILED
            assert "did not answer for 1 s" in (outcome.detail or "")
            assert (final.cause, final.used_units, final.charged) == ("gateway_closed", 0, 0)
        finally:
            if gateway.proc is None or gateway.proc.poll() is not None:
                await asyncio.to_thread(gateway.start)
            await client.aclose()

    asyncio.run(scenario())


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "billclient", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_cli_downloads_a_file_and_sends_messages(
    site: dict[str, Any], client_home: ClientHome, tmp_path: Path
) -> None:
    login = _cli(
        "login",
        "--server",
        site["server"].url,
        "--user",
        "cli",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert login.returncode == 0, login.stderr
    target = tmp_path / "saved.bin"
    download = _cli("use", "gdl", "--file", "data.bin", "--output", str(target), "--yes")
    assert download.returncode == 0, download.stderr
    assert target.read_bytes() == DATA
    assert f"saved {target} (700.3 kB this session)" in download.stderr
    assert "Gateway download ended. It finished: the requested amount was used." in (
        download.stdout
    )
    assert "Used 700.3 kB" in download.stdout
    sent = _cli("use", "sms", "--message", "one", "--message", "two", "--yes", "--json")
    assert sent.returncode == 0, sent.stderr
    assert sent.stderr.count("sent: ") == 2
    assert '"used_units": 2' in sent.stdout.splitlines()[-1]
    wrong = _cli("use", "sms", "--file", "data.bin", "--yes")
    assert (wrong.returncode, wrong.stderr) == (2, "billclient: sms is not a download\n")
