"""The terminal client at parity with the graphical one, against a real server: history
newest first and paged, a record's rating explained, prices in words, invoices,
the support audit trail, the time to empty, the watch view in sentences, and one
exit status table with one line per error."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.catalogs import PASSWORD, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess, free_port, run_billserver

from .helpers import CATALOG, Cli, start_server, wait_for

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def _catalog() -> dict[str, Any]:
    data = copy.deepcopy(CATALOG)
    data["services"].append(
        {
            "id": "minute",
            "name": "Phone call",
            "unit": "second",
            "media": "voice",
            "grant": 60,
            "update_interval": 1,
        }
    )
    data["plans"][0]["rates"].append(
        {
            "service": "minute",
            "price": "0.09",
            "per": 60,
            "first_increment": 60,
            "increment": 1,
            "windows": [
                {"days": ["sun"], "start": "03:00", "end": "03:01", "price": "0.15"},
            ],
        }
    )
    data["plans"].append(
        {
            "id": "biz",
            "name": "Business",
            "timezone": "UTC",
            "tax_rate": "0.19",
            "rates": [{"service": "sms", "price": "0.05"}],
        }
    )
    return data


@dataclass
class Site:
    server: ServerProcess
    factory: ServerFactory

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def site(module_servers: ServerFactory) -> Site:
    accounts = [
        account("hist"),
        account("burn"),
        account("talk"),
        account("idle", status="inactive"),
        account("broke", "0"),
        account("post", "0", kind="postpaid", plan="biz", credit_limit="100"),
    ]
    module_servers.import_catalog(
        accounts,
        base=_catalog(),
        users=[{"login": "ops", "password": PASSWORD, "role": "operator"}],
        vouchers=[{"code": "PARITY-0001", "amount": "5.00"}],
    )
    server = start_server(module_servers, "primary", "--no-invoice-schedule")
    return Site(server, module_servers)


def lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def one_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    """The single stderr line of a failed command with ``status``."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("billclient: ") and "Traceback" not in result.stderr
    return result.stderr


def test_history_is_newest_first_paged_and_explained(site: Site, cli: Cli) -> None:
    cli.login("hist", [site.url])
    for args in (("sms", "--units", "1"), ("minute", "--seconds", "2"), ("sms", "--units", "2")):
        used = cli.run("use", *args, "--yes")
        assert used.returncode == 0, used.stderr
    newest = lines(cli.run("history", "--json"))
    assert [r["service_id"] for r in newest] == ["sms", "minute", "sms"]
    assert [r["ended_at"] for r in newest] == sorted((r["ended_at"] for r in newest), reverse=True)
    oldest = lines(cli.run("history", "--json", "--oldest-first"))
    assert oldest == newest[::-1]

    first = cli.run("history", "--limit", "2")
    assert first.returncode == 0 and len(first.stdout.splitlines()) == 3  # header and 2
    assert "Phone call" in first.stdout and "1 min" not in first.stdout.split("\n")[0]
    hint = f"older ones: billclient history --before {newest[1]['cdr_id']}"
    assert hint in first.stderr
    rest = lines(cli.run("history", "--json", "--before", newest[1]["cdr_id"]))
    assert rest == newest[2:]
    assert lines(cli.run("history", "--json", "--before", "2000-01-01")) == []
    later = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert lines(cli.run("history", "--json", "--before", later)) == newest
    statement = lines(cli.run("history", "--statement", "--json"))
    assert [line["kind"] for line in statement][-1] == "opening"
    page = cli.run("history", "--statement", "--limit", "1")
    assert f"--statement --before {statement[0]['entry_id']}" in page.stderr
    older = lines(cli.run("history", "--statement", "--json", "--before", statement[0]["entry_id"]))
    assert older == statement[1:]
    one_line(cli.run("history", "--before", "2026-13-45"), 2)

    call = newest[1]
    shown = cli.run("history", "show", call["cdr_id"])
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "Phone call (minute)" in text
    assert "You stopped it." not in text and "It finished" in text
    assert "billed per second after the first minute" in text
    assert "0.09 EUR/min" in text and "0.15 EUR/min Sun 03-03:01" in text  # prices in words
    assert "1 min (billed per second after the first minute)" in text
    assert "0.09 EUR" in text.split("Total")[1]
    explained = lines(cli.run("history", "show", call["cdr_id"], "--json"))[0]
    assert explained["explanation"]["charge"] == 90_000
    assert explained["explanation"]["billed_units"] == 60
    assert explained["cdr"]["cdr_id"] == call["cdr_id"]
    missing = one_line(cli.run("history", "show", "no-such-record"), 2)
    assert "no charge record no-such-record" in missing


def test_services_speak_in_the_gui_s_words_and_a_closed_pipe_is_quiet(site: Site, cli: Cli) -> None:
    cli.login("talk", [site.url])
    shown = cli.run("services")
    assert shown.returncode == 0, shown.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in shown.stdout.splitlines()}
    assert rows["minute"][3] == (
        "0.09 EUR/min, billed per second after the first minute, 0.15 EUR/min Sun 03-03:01"
    )
    assert rows["call"][3] == "0.01 EUR/s, billed per second, 0.05 EUR setup fee"
    assert rows["sms"][3] == "0.05 EUR each"
    assert " 0.3" not in shown.stdout

    # the reader goes away before anything is written: no "Broken pipe", status 0
    reader = subprocess.Popen(
        [sys.executable, "-m", "billclient", "services"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli.env,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()
    assert reader.wait(60) == 0
    assert reader.stderr.read() == b""
    piped = subprocess.run(
        f"{sys.executable} -m billclient history --statement --limit 1000 | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
        env=cli.env,
        timeout=60,
    )
    assert piped.stderr == ""


def test_one_exit_status_table_and_one_line_per_error(site: Site, cli: Cli) -> None:
    def login(user: str, server: str) -> subprocess.CompletedProcess[str]:
        return cli.run(
            "login", "--server", server, "--user", user, "--password-stdin", stdin=PASSWORD + "\n"
        )

    host = site.url.removeprefix("http://")
    assert "has no scheme: give https://" in one_line(login("talk", host), 2)
    assert "(/v1)" in one_line(login("talk", site.url + "/v1"), 2)
    assert "plain http" in one_line(login("talk", "http://billing.example"), 2)
    assert one_line(
        cli.run("login", "--server", site.url, "--user", "talk", "--password-stdin", stdin="x\n"),
        3,
    )
    one_line(login("talk", f"http://127.0.0.1:{free_port()}"), 4)

    cli.login("idle", [site.url])
    inactive = one_line(cli.run("use", "sms", "--units", "1", "--yes"), 7)
    assert "inactive" in inactive and "covers" not in inactive
    assert cli.run("quote", "sms", "--units", "1").returncode == 0  # advice is still given
    # an inactive account may still top up
    declined = cli.run("topup", "--amount", "5", "--card", "tok_chargeDeclined", "--yes")
    assert "declined" in one_line(declined, 7) and declined.stdout == ""
    pending = cli.run("topup", "--amount", "5", "--card", "tok_timeout", "--yes")
    assert pending.returncode == 0, pending.stderr
    assert "The bank has not answered yet" in pending.stdout
    paid = cli.run("topup", "--amount", "1.50", "--card", "tok_visa", "--yes")
    assert paid.returncode == 0 and paid.stdout.startswith("Added 1.50 EUR by card; available")
    cli.login("broke", [site.url])
    broke = one_line(cli.run("use", "sms", "--units", "3", "--yes"), 7)
    assert "does not cover 1 event of Message: top up first" in broke
    assert lines(cli.run("history", "--json")) == []  # nothing was opened
    one_line(cli.run("use", "nothing", "--units", "1", "--yes"), 2)
    one_line(cli.run("support", "search", "x"), 7)

    cli.login("support", [site.url], profile="staff")
    one_line(cli.run("--profile", "staff", "support", "account", "nobody"), 2)
    one_line(
        cli.run(
            "--profile",
            "staff",
            "support",
            "adjust",
            "broke",
            "--amount",
            "-1",
            "--reason",
            "r",
            "--yes",
        ),
        7,
    )


def _months() -> tuple[str, str, datetime]:
    now = datetime.now(UTC)
    before = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    return now.strftime("%Y-%m"), before.strftime("%Y-%m"), before.replace(hour=12)


def test_invoices_can_be_read_saved_and_paid(site: Site, cli: Cli, tmp_path: Path) -> None:
    this_month, last_month, instant = _months()
    ops = Api(site.url, "ops")
    try:
        events = [
            {"event_id": f"cli-{uuid.uuid4()}", "account_id": "post", "service_id": "sms",
             "units": units, "at": at.isoformat()}
            for units, at in ((3, instant), (1, datetime.now(UTC) - timedelta(seconds=5)))
        ]  # fmt: skip
        answer = ops.post("/v1/integration/events", {"events": events})
        assert answer.status_code == 200, answer.text
    finally:
        ops.close()
    for period in (last_month, this_month):
        ran = run_billserver("invoice", "run", "--period", period, "--db", site.factory.db_url)
        assert ran.returncode == 0, ran.stderr
    cli.login("post", [site.url])
    listed = lines(cli.run("invoices", "--json"))
    assert [i["period"] for i in listed] == [this_month, last_month]  # newest month first
    draft, issued = listed
    assert (draft["state"], issued["state"]) == ("draft", "issued")
    assert issued["total"] == "0.18"  # 0.15 and 19 % tax, rounded to the cent
    table = cli.run("invoices")
    assert "draft (the month has not ended)" in table.stdout
    assert "0.18 EUR" in table.stdout

    shown = cli.run("invoices", "show", issued["invoice_id"])
    assert shown.returncode == 0, shown.stderr
    assert "Message" in shown.stdout and "Total" in shown.stdout and "0.03 EUR" in shown.stdout
    pdf = tmp_path / "invoice.pdf"
    saved = cli.run("invoices", "pdf", issued["invoice_id"], "--output", str(pdf))
    assert saved.returncode == 0, saved.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    assert f"to {pdf}" in saved.stdout

    early = cli.run("invoices", "pay", draft["invoice_id"], "--card", "tok_visa", "--yes")
    assert "draft" in one_line(early, 7)
    declined = cli.run(
        "invoices", "pay", issued["invoice_id"], "--card", "tok_chargeDeclined", "--yes"
    )
    assert "declined" in one_line(declined, 7)
    assert cli.run("invoices", "pay", issued["invoice_id"], "--card", "tok_visa").returncode == 5
    paid = cli.run("invoices", "pay", issued["invoice_id"], "--card", "tok_visa", "--yes")
    assert paid.returncode == 0, paid.stderr
    assert "Paid 0.18 EUR" in paid.stdout
    assert "paid already" in one_line(
        cli.run("invoices", "pay", issued["invoice_id"], "--card", "tok_visa", "--yes"), 7
    )
    one_line(cli.run("invoices", "show", "no-such-invoice"), 2)


def test_support_reads_an_account_s_audit_trail(site: Site, cli: Cli) -> None:
    cli.login("support", [site.url], profile="staff")
    staff = ("--profile", "staff")
    reason = f"goodwill {uuid.uuid4()}"
    adjusted = cli.run(
        *staff, "support", "adjust", "talk", "--amount", "1.25", "--reason", reason, "--yes"
    )
    assert adjusted.returncode == 0, adjusted.stderr
    trail = lines(cli.run(*staff, "support", "audit", "talk", "--json"))
    assert trail, "the adjustment is audited"
    assert [e["at"] for e in trail] == sorted((e["at"] for e in trail), reverse=True)
    newest = trail[0]
    assert newest["actor"] == "support" and newest["account_id"] == "talk"
    assert reason in json.dumps(newest["details"])
    text = cli.run(*staff, "support", "audit", "talk")
    assert text.returncode == 0 and reason in text.stdout and "support" in text.stdout


def test_status_tells_how_long_the_money_lasts_at_the_next_units_prices(
    site: Site, cli: Cli, tmp_path: Path
) -> None:
    cli.login("burn", [site.url])
    log = tmp_path / "use.log"
    call = cli.start("use", "minute", "--seconds", "120", "--yes", "--json", log=log)
    try:
        wait_for(log, '"seq": 2')
        status = lines(cli.run("status", "--json"))[0]
        (running,) = status["running"]
        assert running["service_id"] == "minute"
        # 10.00 EUR: the first minute (0.09) is paid, then 0.0015 EUR a second, about
        # 110 minutes, not the 0.09-in-a-few-seconds average since the start
        left = Decimal(status["account"]["available"]) + Decimal(status["account"]["reserved"])
        expected = 60 - running["used_units"] + left / Decimal("0.0015")
        assert abs(status["seconds_to_empty"] - expected) <= 60
        text = cli.run("status")
        assert "Phone call (session" in text.stdout and "Balance lasts" in text.stdout
        assert "at what runs now (the next units' prices)" in text.stdout
    finally:
        call.send_signal(signal.SIGINT)
        assert call.wait(60) == 130


def test_watch_speaks_in_sentences(site: Site, cli: Cli, tmp_path: Path) -> None:
    cli.login("talk", [site.url])
    log = tmp_path / "watch.log"
    watch = cli.start("watch", log=log)
    try:
        wait_for(log, "Live: receiving changes")
        assert cli.run("use", "sms", "--units", "1", "--yes").returncode == 0
        assert cli.run("topup", "--voucher", "PARITY-0001").returncode == 0
        text = wait_for(log, "Top-up of 5.00 EUR arrived")
        wait_for(log, "Message (session ")
        text = wait_for(log, "ended. It finished: the requested amount was used.")
    finally:
        watch.send_signal(signal.SIGINT)
        assert watch.wait(30) == 0
    assert "reserved for running services" in text and "available." in text
    for debug in ("kind=", "=None", " units,"):
        assert debug not in text, text
