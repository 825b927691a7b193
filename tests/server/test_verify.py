"""``billserver verify``: passes on honest books, names what is wrong in tampered ones.

The books are written by a real server (sessions over HTTP); tampering goes
straight to the database (SQL on either engine), each kind into its own copy.
"""

from __future__ import annotations

import itertools
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from billserver.db import make_engine
from billserver.migrations.upgrade import upgrade
from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import run_billserver

ACCOUNTS = [
    account("pre", "10"),
    account("post", "0", kind="postpaid", credit_limit="5"),
    account("idle", "3"),
]

TRANSFERS = "every transfer has two entries summing to zero"
BALANCES = "cached balances equal the sums of their entries"
HOLDS = "holds are consistent and cached reservations equal pending holds"
PENDING = "pending holds are exactly those of active sessions"
CHARGES = "session charges equal the ledger and their CDRs"
OVERDRAFT = "no prepaid available below zero, no postpaid balance below -credit_limit"
APP_CHARGES = "application charges equal the ledger and their CDRs"
EVENT_BATCHES = "billing event batches equal their ledger transfers"
INVOICES = "invoices add up and their tax was debited"
LIMITS_HELD = "holds counted against spending limits equal pending holds"
LIMITS_SPENT = "money spent per period equals the charges counted"
WITHIN_LIMITS = "no account spent past a spending limit"
CHECKS = [
    TRANSFERS,
    BALANCES,
    HOLDS,
    PENDING,
    CHARGES,
    OVERDRAFT,
    APP_CHARGES,
    EVENT_BATCHES,
    INVOICES,
    LIMITS_HELD,
    LIMITS_SPENT,
    WITHIN_LIMITS,
]


def run_verify(db_url: str) -> subprocess.CompletedProcess[str]:
    return run_billserver("verify", "--db", db_url)


def failed_checks(report: str) -> set[str]:
    return {line.removeprefix("FAIL").strip() for line in report.splitlines() if line[:4] == "FAIL"}


@pytest.fixture(scope="module")
def used(module_servers: ServerFactory) -> str:
    """A database a real server has written: ended and active sessions, a debt.

    The server is stopped; the returned URL is of a consistent copy to start from.
    """
    module_servers.import_catalog(ACCOUNTS)
    server = module_servers.start("primary")
    pre, post = Api(server.url, "pre"), Api(server.url, "post")
    for used_units in (1, 3):  # ended sessions on the prepaid account
        sid = pre.open("sms").json()["session_id"]
        for seq in range(1, used_units + 1):
            assert pre.update(sid, seq, seq).status_code == 200
        assert pre.end(sid, used_units + 1, used_units).status_code == 200
    sid = pre.open("dl").json()["session_id"]
    assert pre.update(sid, 1, 2_500_000).status_code == 200
    assert pre.end(sid, 2, 3_000_000, "service_done").status_code == 200
    sid = post.open("sms").json()["session_id"]  # the postpaid account goes into debt
    assert post.update(sid, 1, 40).status_code == 200
    assert post.end(sid, 2, 150, "credit_exhausted").status_code == 200  # beyond the limit
    active = pre.open("sms").json()["session_id"]  # still running when the server stops
    assert pre.update(active, 1, 1).status_code == 200
    assert post.account()["balance"] == "-5"
    server.stop()
    return module_servers.snapshot()


def test_a_fresh_database_passes(servers: ServerFactory) -> None:
    missing = run_verify(servers.db_url)  # nothing there yet: refused, and nothing made
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1, missing.stderr
    assert "billserver import or serve creates one" in missing.stderr
    engine = make_engine(servers.db_url)
    try:
        upgrade(engine)  # what serve does first: the schema, no catalogue at all
    finally:
        engine.dispose()
    result = run_verify(servers.db_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the books balance (0 accounts" in result.stdout
    servers.import_catalog(ACCOUNTS)
    report = servers.verify()
    assert failed_checks(report) == set()
    assert [line[6:] for line in report.splitlines()[:-1]] == CHECKS
    assert report.splitlines()[-1].startswith("the books balance (3 accounts, 2 transfers")


def test_a_used_database_passes(used: str, module_servers: ServerFactory) -> None:
    report = module_servers.verify()
    assert all(line.startswith("ok") for line in report.splitlines()[:-1]), report
    assert "5 sessions, 4 CDRs" in report.splitlines()[-1]
    assert run_verify(used).returncode == 0


@dataclass(frozen=True)
class Tampering:
    """SQL against a copy of the used database, and what verify must then say."""

    name: str
    apply: Callable[[ServerFactory], str]  # returns the id the report must name
    fails: str  # the check that must fail (and name the offender)
    also: frozenset[str] = frozenset()  # checks the same tampering also breaks


def _cached_balance(db: ServerFactory) -> str:
    db.sql("UPDATE accounts SET balance = balance + 10000 WHERE account_id = 'idle'")
    return "account idle: cached balance 3.01, entries sum to 3"


def _lost_entry(db: ServerFactory) -> str:
    [(transfer_id,)] = db.sql(
        "SELECT transfer_id FROM ledger_transfers WHERE kind = 'charge' AND account_id = 'pre' "
        "ORDER BY created_at LIMIT 1"
    )
    db.sql(
        "DELETE FROM ledger_entries WHERE transfer_id = :transfer AND ledger_id = 'sys:revenue'",
        transfer=transfer_id,
    )
    return f"transfer {transfer_id}: 1 entries summing to -0.05"


def _reserved(db: ServerFactory) -> str:
    # the hold stays self-consistent; only the account's cached reservation disagrees
    db.sql(
        "UPDATE holds SET remaining = remaining + 20000, reserved_total = reserved_total + 20000 "
        "WHERE state = 'pending' AND account_id = 'pre'"
    )
    return "account pre: cached reserved 0.05, pending holds 0.07"


def _overdrawn(db: ServerFactory) -> str:
    # a debit the server would have refused, booked consistently: entries, balances, all
    [(balance,)] = db.sql("SELECT balance FROM accounts WHERE account_id = 'idle'")
    amount = balance + 1_000_000
    transfer_id = str(uuid.uuid4())
    db.sql(
        "INSERT INTO ledger_transfers (transfer_id, kind, account_id, amount, memo, created_at) "
        "VALUES (:transfer, 'adjustment', 'idle', :amount, 'tampered', 0)",
        transfer=transfer_id,
        amount=amount,
    )
    entry = (
        "INSERT INTO ledger_entries (transfer_id, ledger_id, amount, balance_after) "
        "VALUES (:transfer, :book, :amount, :after)"
    )
    db.sql(entry, transfer=transfer_id, book="acct:idle", amount=-amount, after=balance - amount)
    db.sql(entry, transfer=transfer_id, book="sys:adjustments", amount=amount, after=None)
    db.sql(
        "UPDATE accounts SET balance = :balance WHERE account_id = 'idle'",
        balance=balance - amount,
    )
    return "account idle (prepaid): balance -1, reserved 0"


def _released_hold(db: ServerFactory) -> str:
    [(session_id,)] = db.sql(
        "SELECT session_id FROM sessions WHERE state = 'active' AND account_id = 'pre'"
    )
    db.sql(
        "UPDATE holds SET state = 'released', released = released + remaining, remaining = 0 "
        "WHERE hold_id = (SELECT hold_id FROM sessions WHERE session_id = :session)",
        session=session_id,
    )
    db.sql("UPDATE accounts SET reserved = 0 WHERE account_id = 'pre'")
    return f"session {session_id} is active but its hold is released"


def _cdr(db: ServerFactory) -> str:
    [(session_id, cdr_id)] = db.sql(
        "SELECT session_id, cdr_id FROM sessions WHERE state = 'ended' AND account_id = 'post'"
    )
    db.sql("UPDATE cdrs SET charged = charged - 50000 WHERE cdr_id = :cdr", cdr=cdr_id)
    return f"session {session_id}: ended with charge 5 but its CDR says 4.95"


TAMPERINGS = [
    Tampering("cached-balance", _cached_balance, BALANCES),
    Tampering("lost-entry", _lost_entry, TRANSFERS),
    Tampering("reserved", _reserved, HOLDS, frozenset({LIMITS_HELD})),
    Tampering("overdrawn", _overdrawn, OVERDRAFT),
    Tampering("released-hold", _released_hold, PENDING, frozenset({LIMITS_HELD})),
    Tampering("cdr", _cdr, CHARGES),
]


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=[t.name for t in TAMPERINGS])
def test_tampered_books_fail_with_a_readable_report(
    tampering: Tampering, used: str, servers: ServerFactory
) -> None:
    servers.restore(used)
    offender = tampering.apply(servers)
    result = run_verify(servers.db_url)
    report = result.stdout
    assert result.returncode == 1, report + result.stderr
    assert "Traceback" not in report + result.stderr
    assert failed_checks(report) == {tampering.fails, *tampering.also}, report
    # the failing check is followed by the offending row, in words
    lines = report.splitlines()
    at = lines.index(f"FAIL  {tampering.fails}")
    listed = list(itertools.takewhile(lambda line: line.startswith("        - "), lines[at + 1 :]))
    assert any(offender in line for line in listed), report
    assert lines[-1].startswith(f"{1 + len(tampering.also)} check(s) failed (3 accounts")
