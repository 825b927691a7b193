"""``billclient limits`` and the limits in ``use`` and ``watch``, against a real server:
showing, setting and clearing limits, a run stopped at its daily limit with the notice
shown while it runs, a refusal before anything opens, and the notices in ``watch``."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.support.fixtures import ServerFactory

from .helpers import Cli, wait_for


def test_limits_are_shown_set_and_enforced_on_use(pair: ServerFactory, cli: Cli) -> None:
    cli.login("alice", [pair.servers[0].url])
    shown = cli.run("limits")
    assert shown.returncode == 0, shown.stderr
    assert "Daily limit" in shown.stdout and "none" in shown.stdout
    set_ = cli.run("limits", "--daily", "0.25", "--monthly", "40", "--json")
    assert set_.returncode == 0, set_.stderr
    limits = json.loads(set_.stdout)
    assert (limits["daily"]["amount"], limits["monthly"]["amount"]) == ("0.25", "40")
    kept = json.loads(cli.run("limits", "--monthly", "30", "--json").stdout)
    assert (kept["daily"]["amount"], kept["monthly"]["amount"]) == ("0.25", "30")
    words = cli.run("limits").stdout
    assert "0.00 EUR of 0.25 today, resets " in words and "(set by you)" in words

    # a call: 0.05 to start, 0.01 a second; the limit stops it after 20 s at 0.25
    used = cli.run("use", "call", "--seconds", "60", "--yes", "--json", timeout=120)
    assert used.returncode == 6, used.stderr + used.stdout  # stopped before the 60 s
    final = json.loads(used.stdout.splitlines()[-1])
    assert (final["cause"], final["charged"], final["used_units"]) == ("spending_limit", "0.25", 20)
    lines = [json.loads(line) for line in used.stdout.splitlines()]
    notices = [line["data"] for line in lines if line.get("event") == "limit"]
    assert [n["level"] for n in notices][:1] == [80], used.stdout  # told while it ran
    assert "your daily spending limit covers only 20 s" in used.stderr
    after = cli.run("limits").stdout
    assert "0.25 EUR of 0.25 today" in after

    refused = cli.run("use", "sms", "--units", "1", "--yes")
    assert refused.returncode == 7, refused.stderr
    assert "daily spending limit is reached" in refused.stderr
    assert refused.stderr.count("\n") == 1

    assert cli.run("limits", "--daily", "abc").returncode == 2
    both = cli.run("limits", "--daily", "1", "--clear")
    assert both.returncode == 2 and "--clear" in both.stderr
    clear = cli.run("limits", "--clear", "--json")
    assert clear.returncode == 0, clear.stderr
    cleared = json.loads(clear.stdout)
    assert (cleared["daily"], cleared["monthly"]) == (None, None)
    assert cli.run("use", "sms", "--units", "1", "--yes").returncode == 0


def test_watch_tells_the_limit_notices(pair: ServerFactory, cli: Cli, tmp_path: Path) -> None:
    cli.login("bob", [pair.servers[0].url])
    assert cli.run("limits", "--daily", "0.10").returncode == 0
    log = tmp_path / "watch.log"
    watch = cli.start("watch", log=log)
    wait_for(log, "Watching for changes")
    assert cli.run("use", "sms", "--units", "2", "--yes").returncode == 0
    text = wait_for(log, "spending limit of 0.10 EUR is reached")
    assert "You have spent" not in text  # 0.10 at once: only the 100 % notice
    watch.send_signal(signal.SIGINT)
    assert watch.wait(30) == 0, log.read_text()
    refused = cli.run("use", "sms", "--units", "1", "--yes")
    assert refused.returncode == 7
