"""The ``billclient`` commands against a real server: sign-in, status, use, top-up, support."""

from __future__ import annotations

import argparse
import base64
import configparser
import json
import signal
import subprocess
import sys
from pathlib import Path

from billclient.cli.parser import build_parser
from billclient.protocol.money import format_money
from tests.support.catalogs import PASSWORD
from tests.support.fixtures import ServerFactory
from tests.support.servers import run_billserver

from .helpers import Cli, wait_for


def _secrets(cli: Cli) -> list[str]:
    """Every token string the keyring file holds for billclient."""
    parser = configparser.RawConfigParser()
    parser.read(cli.keyring_file)
    found: list[str] = []
    for section in parser.sections():
        if not section.startswith("billclient"):
            continue
        for _name, value in parser.items(section):
            secret = base64.b64decode(value).decode()
            try:
                data = json.loads(secret)
            except ValueError:
                found.append(secret)
                continue
            found += [v for v in data.values() if isinstance(v, str) and len(v) >= 20]
    return found


def test_login_keeps_tokens_in_the_keyring_only(pair: ServerFactory, cli: Cli) -> None:
    cli.login("alice", [pair.servers[0].url])
    secrets = _secrets(cli)
    assert len(secrets) >= 2, "the access and refresh tokens are in the keyring file"
    for path in cli.root.rglob("*"):
        if path.is_file() and path != cli.keyring_file:
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, f"a token leaked into {path}"

    status = cli.run("status", "--json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["login"] == "alice"
    assert shown["account"]["balance"] == "10"
    assert shown["server"] == pair.servers[0].url

    plain = cli.run("status")
    assert plain.returncode == 0
    assert "Available" in plain.stdout and "10.00 EUR" in plain.stdout

    out = cli.run("logout")
    assert out.returncode == 0, out.stderr
    assert _secrets(cli) == []
    again = cli.run("status")
    assert again.returncode == 3
    assert again.stderr.count("\n") == 1 and "not signed in" in again.stderr


def test_use_charges_what_offline_rating_says(pair: ServerFactory, cli: Cli) -> None:
    cli.login("bob", [pair.servers[0].url])
    quote = cli.run("quote", "call", "--units", "3", "--json")
    assert quote.returncode == 0, quote.stderr
    assert json.loads(quote.stdout)["charge"] == "0.08"

    refused = cli.run("use", "call", "--seconds", "3")
    assert refused.returncode == 5, "no terminal, no --yes: refused"
    assert "--yes" in refused.stderr

    used = cli.run("use", "call", "--seconds", "3", "--yes", "--json")
    assert used.returncode == 0, used.stderr + used.stdout
    lines = [json.loads(line) for line in used.stdout.splitlines()]
    for line in lines:
        assert {"session_id", "seq", "used_units", "charged", "server"} <= set(line)
    last = lines[-1]
    assert last["final"] is True and last["cause"] == "service_done" and last["cdr_id"]
    assert last["used_units"] == 3

    history = cli.run("history", "--json")
    cdr = next(
        c for c in map(json.loads, history.stdout.splitlines()) if c["cdr_id"] == last["cdr_id"]
    )
    assert cdr["used_units"] == 3 and cdr["charged"] == last["charged"]
    usage = pair.directory / "usage-bob.csv"
    usage.write_text(f"id,plan,service,start,units\nr,std,call,{cdr['started_at']},3\n")
    rated = run_billserver(
        "rate", "--catalog", str(pair.directory / "catalog.toml"), "--usage", str(usage)
    )
    assert rated.returncode == 0, rated.stderr
    assert rated.stdout.splitlines()[1] == f"r,{cdr['charged']},"


def test_use_stops_at_the_final_grant(pair: ServerFactory, cli: Cli) -> None:
    cli.login("poor", [pair.servers[0].url])
    used = cli.run("use", "call", "--seconds", "10", "--yes", "--json")
    assert used.returncode == 6, used.stderr + used.stdout  # stopped before 10 s
    assert "covers only 3 s" in used.stderr
    final = json.loads(used.stdout.splitlines()[-1])
    assert final["cause"] == "credit_exhausted" and final["used_units"] == 3
    assert final["charged"] == "0.08"
    assert "final grant of 3 units is used up" in used.stderr


def test_ctrl_c_ends_the_session_as_the_user_s(
    pair: ServerFactory, cli: Cli, tmp_path: Path
) -> None:
    cli.login("erin", [pair.servers[0].url])
    log = tmp_path / "use.log"
    run = cli.start("use", "call", "--seconds", "60", "--yes", "--json", log=log)
    wait_for(log, '"seq": 1')
    run.send_signal(signal.SIGINT)
    assert run.wait(60) == 130, log.read_text()
    final = json.loads(log.read_text().splitlines()[-1])
    assert final["cause"] == "user" and final["state"] == "ended"
    assert 1 <= final["used_units"] < 60
    assert final["charged"] == format_money(50_000 + 10_000 * final["used_units"])


def test_events_service_voucher_and_errors(pair: ServerFactory, cli: Cli) -> None:
    cli.login("carol", [pair.servers[0].url])
    sms = cli.run("use", "sms", "--units", "2", "--yes", "--json")
    assert sms.returncode == 0, sms.stderr
    assert json.loads(sms.stdout.splitlines()[-1])["charged"] == "0.1"
    wrong = cli.run("use", "sms", "--seconds", "2", "--yes")
    assert wrong.returncode == 2 and "use --units" in wrong.stderr

    topup = cli.run("topup", "--voucher", "VOUCHER-0001", "--json")
    assert topup.returncode == 0, topup.stderr
    assert json.loads(topup.stdout)["status"] == "succeeded"
    reused = cli.run("topup", "--voucher", "VOUCHER-0001")
    assert reused.returncode == 2  # the server refused the value typed as invalid (422)
    assert reused.stderr.startswith("billclient: ") and reused.stderr.count("\n") == 1
    assert "Traceback" not in reused.stderr
    status = json.loads(cli.run("status", "--json").stdout)
    assert status["account"]["balance"] == "14.9"

    bad = cli.run("topup", "--amount", "1.2345678", "--card", "tok_visa", "--yes")
    assert bad.returncode == 2 and "bad amount" in bad.stderr
    unknown = cli.run("quote", "nope", "--units", "1")
    assert unknown.returncode == 2 and "does not offer 'nope'" in unknown.stderr

    update = cli.run("update", "--check")
    assert update.returncode == 1 and update.stdout.count("\n") == 1, update.stdout
    assert "root" in update.stdout and update.stderr == ""

    refused = cli.run("support", "search", "carol")
    assert refused.returncode == 7 and "Traceback" not in refused.stderr
    assert refused.stderr.count("\n") == 1


def test_watch_devices_password_and_statement(
    pair: ServerFactory, cli: Cli, tmp_path: Path
) -> None:
    cli.login("frank", [pair.servers[0].url])
    log = tmp_path / "watch.log"
    watch = cli.start("watch", "--json", log=log)
    wait_for(log, '"event": "connection"')
    assert cli.run("use", "sms", "--units", "1", "--yes").returncode == 0
    wait_for(log, '"available": "9.95"')
    watch.send_signal(signal.SIGINT)
    assert watch.wait(30) == 0, log.read_text()
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events[0] == "account" and {"balance", "session"} <= set(events)

    (device,) = json.loads(cli.run("devices", "--json").stdout)
    assert device["current"] is True
    statement = cli.run("history", "--statement", "--json")
    kinds = [json.loads(line)["kind"] for line in statement.stdout.splitlines()]
    assert "charge" in kinds

    changed = cli.run("password", "--password-stdin", stdin=f"{PASSWORD}\nnew-password-2\n")
    assert changed.returncode == 0, changed.stderr
    assert cli.run("status").returncode == 0  # this device stays signed in


def test_support_commands_work_for_support(pair: ServerFactory, cli: Cli) -> None:
    cli.login("support", [pair.servers[0].url], profile="staff")
    found = cli.run("--profile", "staff", "support", "search", "dave", "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout.splitlines()[0])["account_id"] == "dave"
    unconfirmed = cli.run("--profile", "staff", "support", "suspend", "dave")
    assert unconfirmed.returncode == 5
    credit = cli.run(
        "--profile",
        "staff",
        "support",
        "adjust",
        "dave",
        "--amount",
        "2.5",
        "--reason",
        "goodwill",
        "--yes",
        "--json",
    )
    assert credit.returncode == 0, credit.stderr
    assert json.loads(credit.stdout)["balance"] == "12.5"


def test_help_and_usage(cli: Cli) -> None:
    parser = build_parser()
    assert "exit status:" in parser.format_help() and "130" in parser.format_help()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        text = sub.format_help()
        assert "--json" in text or name == "support", name
        assert "--profile" in text or name == "support", name
    top = cli.run("--help")
    assert top.returncode == 0 and "exit status:" in top.stdout
    bad = cli.run("use", "call")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    # no command starts the GUI; with no display it says so in one line instead
    headless = {
        k: v
        for k, v in cli.env.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    }
    gui = subprocess.run(
        [sys.executable, "-m", "billclient"],
        capture_output=True,
        text=True,
        env=headless,
        timeout=60,
    )
    assert gui.returncode == 2 and gui.stderr.count("\n") == 1, gui.stderr
    assert "needs a display" in gui.stderr
