"""Sessions that survive failures: a killed primary, stopped servers, a killed client."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

from tests.support.fixtures import ServerFactory

from .conftest import Cli, import_catalog, wait_for


def _lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def _call_charge(seconds: int) -> str:
    """The catalogue's price of a call: 0.05 setup + 0.01 per second."""
    micro = 50_000 + 10_000 * seconds
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}".rstrip("0").rstrip(".")


def _cdrs(cli: Cli, session_id: str) -> list[dict[str, Any]]:
    history = cli.run("history", "--json")
    assert history.returncode == 0, history.stderr
    return [
        c for c in map(json.loads, history.stdout.splitlines()) if c["session_id"] == session_id
    ]


def test_primary_killed_mid_session_continues_on_the_secondary(
    servers: ServerFactory, cli: Cli, tmp_path: Path
) -> None:
    import_catalog(servers)
    primary, secondary = servers.start("primary"), servers.start("secondary")
    cli.login("alice", [primary.url, secondary.url])
    log = tmp_path / "use.log"
    run = cli.start("use", "call", "--seconds", "20", "--yes", "--json", log=log)
    wait_for(log, '"seq": 3')
    primary.kill()
    assert run.wait(90) == 0, log.read_text()
    output = log.read_text()
    assert f"switched to {secondary.url}" in output
    final = _lines(log)[-1]
    assert final["used_units"] == 20 and final["cause"] == "service_done"
    assert final["charged"] == _call_charge(20)
    assert _lines(log)[-2]["server"] == secondary.url
    (cdr,) = _cdrs(cli, final["session_id"])
    assert cdr["used_units"] == 20 and cdr["charged"] == _call_charge(20)
    assert set(cdr["servers"]) == {"primary", "secondary"}
    balance = json.loads(cli.run("status", "--json").stdout)["account"]["balance"]
    assert balance == str(10 - float(_call_charge(20)))  # charged once
    servers.verify()


def _journal(cli: Cli) -> sqlite3.Connection:
    return sqlite3.connect(cli.home / "profiles" / "default" / "data" / "journal.sqlite3")


def test_client_killed_mid_session_is_settled_at_the_next_start(
    servers: ServerFactory, cli: Cli, tmp_path: Path
) -> None:
    import_catalog(servers)
    server = servers.start("primary")
    cli.login("bob", [server.url])
    log = tmp_path / "use.log"
    run = cli.start("use", "call", "--seconds", "30", "--yes", "--json", log=log)
    wait_for(log, '"seq": 3')
    run.send_signal(signal.SIGKILL)
    run.wait(10)
    with _journal(cli) as db:
        (last_used,) = db.execute("SELECT max(used_units) FROM calls").fetchone()
    assert last_used >= 3
    status = cli.run("status", "--json")
    assert status.returncode == 0, status.stderr
    (outcome,) = json.loads(status.stdout)["recovered"]
    assert outcome["state"] == "ended" and outcome["used_units"] == last_used
    assert outcome["charged"] == _call_charge(last_used)
    (cdr,) = _cdrs(cli, outcome["session_id"])
    assert cdr["used_units"] == last_used and cdr["cause"] == "client_error"
    assert cdr["charged"] == _call_charge(last_used)
    again = json.loads(cli.run("status", "--json").stdout)
    assert again["recovered"] == []  # settled once, not twice
    balance = again["account"]["balance"]
    assert balance == str(round(10 - float(_call_charge(last_used)), 6))
    servers.verify()


def _offline_run(
    servers: ServerFactory,
    cli: Cli,
    tmp_path: Path,
    *,
    user: str,
    service: str,
    pause: float,
    until_noticed: bool,
) -> tuple[dict[str, Any], str]:
    """A 12 s call during which both known servers stop for ``pause`` seconds (after
    the client noticed, with ``until_noticed``).

    A third server, unknown to the client, keeps the reaper going meanwhile.
    """
    a, b = servers.servers[0], servers.servers[1]
    cli.login(user, [a.url, b.url])
    log = tmp_path / f"use-{user}.log"
    run = cli.start("use", service, "--seconds", "12", "--yes", "--json", log=log)
    wait_for(log, '"seq": 2')
    for server in (a, b):
        assert server.proc is not None
        server.proc.send_signal(signal.SIGSTOP)
    try:
        if until_noticed:
            wait_for(log, "no billing server answers", timeout=30)
        time.sleep(pause)
    finally:
        for server in (a, b):
            assert server.proc is not None
            server.proc.send_signal(signal.SIGCONT)
    assert run.wait(90) in (0, 6), log.read_text()
    return _lines(log)[-1], log.read_text()


def test_servers_stopped_the_service_runs_on_and_the_journal_replays(
    servers: ServerFactory, cli: Cli, tmp_path: Path
) -> None:
    import_catalog(servers)
    servers.start("a"), servers.start("b")
    servers.start("reaper", "--reaper-interval", "0.2")
    # stopped for 3 s, less than the update timeout of call2 (3 x 2 s)
    final, output = _offline_run(
        servers, cli, tmp_path, user="carol", service="call2", pause=3, until_noticed=False
    )
    assert final["used_units"] == 12 and final["cause"] == "service_done", output
    assert final["charged"] == _call_charge(12)
    rows = servers.sql(
        "SELECT seq FROM session_updates WHERE session_id = :s ORDER BY seq",
        s=final["session_id"],
    )
    assert [seq for (seq,) in rows] == list(range(1, len(rows) + 1))  # in order, no gap
    (cdr,) = _cdrs(cli, final["session_id"])
    assert cdr["used_units"] == 12 and cdr["charged"] == _call_charge(12)

    # stopped longer than the update timeout (3 x 1 s): the session is reaped meanwhile,
    # and the usage of the grant is charged on return as late usage, nothing twice
    final, output = _offline_run(
        servers, cli, tmp_path, user="dave", service="call", pause=1, until_noticed=True
    )
    used = final["used_units"]
    assert final["cause"] == "update_timeout", output
    assert final["charged"] == _call_charge(used)
    cdrs = _cdrs(cli, final["session_id"])
    superseded = {cdr["supersedes"] for cdr in cdrs}
    assert len(superseded - {None}) == len(cdrs) - 1  # one chain of corrections
    (current,) = [cdr for cdr in cdrs if cdr["cdr_id"] not in superseded]
    assert current["used_units"] == used and current["charged"] == _call_charge(used)
    balance = json.loads(cli.run("status", "--json").stdout)["account"]["balance"]
    assert balance == str(round(10 - float(_call_charge(used)), 6))
    servers.verify()
