"""Sessions that survive failures: a killed primary, stopped servers, a killed client.

The scenarios take tens of seconds of wall time each, mostly waiting. The module
runs them in two threads at once: the failover on its own two servers, and the
client crash and the two server stops one after the other on three others; each
test checks the outcome of its own scenario.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixtures import ServerFactory

from .conftest import Cli, import_catalog, wait_for


@dataclass
class Outcome:
    """What a scenario left behind, for its test to check."""

    factory: ServerFactory
    cli: Cli
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[dict[str, Any]]:
        """The JSON lines of ``use --json``."""
        text = self.log.read_text()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def cdrs(self, session_id: str) -> list[dict[str, Any]]:
        """The charge records of one session (corrections included)."""
        history = self.cli.run("history", "--json")
        assert history.returncode == 0, history.stderr
        records = map(json.loads, history.stdout.splitlines())
        return [cdr for cdr in records if cdr["session_id"] == session_id]

    def current_cdr(self, session_id: str) -> dict[str, Any]:
        """The one record of a session that no correction supersedes."""
        cdrs = self.cdrs(session_id)
        superseded = {cdr["supersedes"] for cdr in cdrs}
        assert len(superseded - {None}) == len(cdrs) - 1  # one chain of corrections
        (current,) = [cdr for cdr in cdrs if cdr["cdr_id"] not in superseded]
        return current

    def balance(self) -> str:
        """The account's balance as ``status --json`` shows it."""
        status = self.cli.run("status", "--json")
        assert status.returncode == 0, status.stderr
        return str(json.loads(status.stdout)["account"]["balance"])


def _call_charge(seconds: int) -> str:
    """The catalogue's price of a call: 0.05 setup + 0.01 per second."""
    micro = 50_000 + 10_000 * seconds
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}".rstrip("0").rstrip(".")


def _left(seconds: int) -> str:
    """The balance of a 10.00 account after a call of ``seconds``."""
    micro = 10_000_000 - 50_000 - 10_000 * seconds
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}".rstrip("0").rstrip(".")


def _failover(root: Path) -> Outcome:
    factory = ServerFactory(root)
    import_catalog(factory)
    primary, secondary = factory.start("primary"), factory.start("secondary")
    outcome = Outcome(factory, Cli(root), root / "use.log")
    outcome.cli.login("alice", [primary.url, secondary.url])
    run = outcome.cli.start("use", "call", "--seconds", "20", "--yes", "--json", log=outcome.log)
    wait_for(outcome.log, '"seq": 3')
    primary.kill()
    outcome.extra["status"] = run.wait(120)
    outcome.extra["secondary"] = secondary.url
    return outcome


def _client_crash(factory: ServerFactory, root: Path) -> Outcome:
    outcome = Outcome(factory, Cli(root / "crash"), root / "crash.log")
    outcome.cli.login("bob", [factory.servers[0].url])
    run = outcome.cli.start("use", "call", "--seconds", "60", "--yes", "--json", log=outcome.log)
    wait_for(outcome.log, '"seq": 3')
    run.send_signal(signal.SIGKILL)
    run.wait(10)
    journal = outcome.cli.home / "profiles" / "default" / "data" / "journal.sqlite3"
    with sqlite3.connect(journal) as db:
        (outcome.extra["last_journaled"],) = db.execute(
            "SELECT max(used_units) FROM calls"
        ).fetchone()
    outcome.extra["status"] = outcome.cli.run("status", "--json")
    return outcome


def _servers_stopped(
    factory: ServerFactory, root: Path, *, user: str, service: str, pause: float, noticed: bool
) -> Outcome:
    """A 12 s call during which both of the client's servers stop for ``pause`` s (after
    the client noticed, with ``noticed``); a third server, unknown to the client,
    runs the reaper meanwhile."""
    a, b = factory.servers[0], factory.servers[1]
    outcome = Outcome(factory, Cli(root / user), root / f"{user}.log")
    outcome.cli.login(user, [a.url, b.url])
    run = outcome.cli.start("use", service, "--seconds", "12", "--yes", "--json", log=outcome.log)
    wait_for(outcome.log, '"seq": 2')
    for server in (a, b):
        assert server.proc is not None
        server.proc.send_signal(signal.SIGSTOP)
    try:
        if noticed:
            wait_for(outcome.log, "no billing server answers", timeout=60)
        time.sleep(pause)
    finally:
        for server in (a, b):
            assert server.proc is not None
            server.proc.send_signal(signal.SIGCONT)
    outcome.extra["status"] = run.wait(120)
    return outcome


def _on_three_servers(root: Path) -> dict[str, Outcome]:
    """The crash and the two stops, one after the other, on servers a, b and a reaper."""
    factory = ServerFactory(root)
    import_catalog(factory)
    factory.start("a"), factory.start("b")
    factory.start("reaper", "--reaper-interval", "0.2")
    return {
        "crash": _client_crash(factory, root),
        # stopped for 3 s, less than the update timeout of call2 (3 x 2 s)
        "short_stop": _servers_stopped(
            factory, root, user="carol", service="call2", pause=3, noticed=False
        ),
        # stopped longer than the update timeout of call (3 x 1 s)
        "long_stop": _servers_stopped(
            factory, root, user="dave", service="call", pause=1, noticed=True
        ),
    }


class Scenarios:
    """The outcomes, as they finish (a failed scenario fails the tests that need it)."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self._pool = ThreadPoolExecutor(max_workers=2)
        self._failover = self._pool.submit(_failover, tmp.mktemp("failover"))
        self._others = self._pool.submit(_on_three_servers, tmp.mktemp("stops"))

    def __getitem__(self, name: str) -> Outcome:
        if name == "failover":
            return self._failover.result()
        return self._others.result()[name]

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._failover.exception() is None:
            self._failover.result().factory.close()
        if self._others.exception() is None:
            self._others.result()["crash"].factory.close()


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenarios]:
    """Every scenario of this module, started at once."""
    started = Scenarios(tmp_path_factory)
    try:
        yield started
    finally:
        started.close()


def test_primary_killed_mid_session_continues_on_the_secondary(
    scenarios: Scenarios,
) -> None:
    outcome = scenarios["failover"]
    assert outcome.extra["status"] == 0, outcome.log.read_text()
    secondary = outcome.extra["secondary"]
    assert f"switched to {secondary}" in outcome.log.read_text()
    *updates, final = outcome.lines()
    assert final["used_units"] == 20 and final["cause"] == "service_done"
    assert final["charged"] == _call_charge(20)
    assert updates[-1]["server"] == secondary
    (cdr,) = outcome.cdrs(final["session_id"])
    assert cdr["used_units"] == 20 and cdr["charged"] == _call_charge(20)
    assert set(cdr["servers"]) == {"primary", "secondary"}
    assert outcome.balance() == _left(20)  # charged once
    outcome.factory.verify()


def test_client_killed_mid_session_is_settled_at_the_next_start(
    scenarios: Scenarios,
) -> None:
    outcome = scenarios["crash"]
    last = outcome.extra["last_journaled"]
    assert last >= 3
    status = outcome.extra["status"]
    assert status.returncode == 0, status.stderr
    (recovered,) = json.loads(status.stdout)["recovered"]
    assert recovered["state"] == "ended" and recovered["used_units"] == last
    assert recovered["charged"] == _call_charge(last)
    cdr = outcome.current_cdr(recovered["session_id"])
    # ended by the client at its next start, or reaped before it came back (the
    # journaled usage then arrives as late usage): either way, what was journaled
    assert cdr["used_units"] == last and cdr["cause"] in ("client_error", "update_timeout")
    assert cdr["charged"] == _call_charge(last)
    again = json.loads(outcome.cli.run("status", "--json").stdout)
    assert again["recovered"] == []  # settled once
    assert again["account"]["balance"] == _left(last)  # charged once
    outcome.factory.verify()


def test_servers_stopped_briefly_the_service_runs_on_and_the_journal_replays(
    scenarios: Scenarios,
) -> None:
    outcome = scenarios["short_stop"]
    assert outcome.extra["status"] == 0, outcome.log.read_text()
    final = outcome.lines()[-1]
    assert final["used_units"] == 12 and final["cause"] == "service_done"
    assert final["charged"] == _call_charge(12)
    rows = outcome.factory.sql(
        "SELECT seq FROM session_updates WHERE session_id = :s ORDER BY seq",
        s=final["session_id"],
    )
    assert [seq for (seq,) in rows] == list(range(1, len(rows) + 1))  # in order, no gap
    (cdr,) = outcome.cdrs(final["session_id"])
    assert cdr["used_units"] == 12 and cdr["charged"] == _call_charge(12)
    assert outcome.balance() == _left(12)
    outcome.factory.verify()


def test_servers_stopped_past_the_update_timeout_late_usage_is_charged_once(
    scenarios: Scenarios,
) -> None:
    outcome = scenarios["long_stop"]
    text = outcome.log.read_text()
    assert outcome.extra["status"] == 6, text  # stopped before the 12 s asked for
    assert "no billing server answers; continuing within" in text
    final = outcome.lines()[-1]
    used = final["used_units"]
    assert final["cause"] == "update_timeout", text
    assert final["charged"] == _call_charge(used)
    assert len(outcome.cdrs(final["session_id"])) >= 2  # the first, and its correction
    current = outcome.current_cdr(final["session_id"])
    assert current["used_units"] == used and current["charged"] == _call_charge(used)
    assert outcome.balance() == _left(used)  # nothing twice
    outcome.factory.verify()
