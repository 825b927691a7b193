"""The failure scenarios of ``test_sessions.py``, run in background threads.

They take tens of seconds of wall time each, mostly waiting, so they start as soon
as the first CLI test of a run that includes them needs a server (see
``conftest.scenarios``): the failover on its own two servers, and the client crash
and the two server stops one after the other on three others, while the command
tests run.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixtures import ServerFactory

from .helpers import Cli, import_catalog, start_server, wait_for

__all__ = ["Outcome", "Scenarios"]


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


def _failover(root: Path) -> Outcome:
    factory = ServerFactory(root)
    import_catalog(factory)
    primary, secondary = start_server(factory, "primary"), start_server(factory, "secondary")
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
    start_server(factory, "a"), start_server(factory, "b")
    start_server(factory, "reaper", "--reaper-interval", "0.2")
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
