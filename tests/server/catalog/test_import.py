"""``billserver import``: the real command against a real database (and server).

Idempotent, all or nothing, opening balances through the ledger once, rows
retired rather than deleted, passwords re-hashed only when they changed, and
refusals for changes the books cannot take.
"""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import tomli_w

from tests.support.api import Api
from tests.support.catalogs import BASE, PASSWORD, account, user
from tests.support.fixtures import ServerFactory
from tests.support.servers import run_billserver

DEMO = Path(__file__).resolve().parents[3] / "resources" / "demo-catalog.toml"


def write(path: Path, accounts: list[dict[str, Any]], **changes: Any) -> Path:
    """BASE with ``accounts``; ``users`` defaults to one user per account named like it."""
    data = copy.deepcopy(BASE)
    data["accounts"] = accounts
    data["users"] += changes.pop("users", [user(a["id"], a["id"]) for a in accounts])
    data.update(changes)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def run_import(servers: ServerFactory, path: Path) -> subprocess.CompletedProcess[str]:
    return run_billserver("import", str(path), "--db", servers.db_url)


def imported(servers: ServerFactory, path: Path) -> str:
    """Import ``path``; it must succeed. Returns what the command printed."""
    result = run_import(servers, path)
    assert result.returncode == 0, result.stderr
    # nothing on stderr, but the line saying that a new SQLite database was made
    assert result.stderr == "" or (
        result.stderr.startswith("creating a new database at ") and result.stderr.count("\n") == 1
    ), result.stderr
    return result.stdout


def refused(servers: ServerFactory, path: Path) -> str:
    """Import ``path``; it must fail cleanly. Returns stderr."""
    result = run_import(servers, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("billserver import: ")
    return result.stderr


def dump(servers: ServerFactory) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the bookkeeping of Alembic and of the running
    servers' leases (renewed while they run), in a stable order."""
    names = [name for name in servers.table_names() if name not in {"alembic_version", "leases"}]
    return {name: sorted(servers.sql(f'SELECT * FROM "{name}"'), key=repr) for name in names}


def query(servers: ServerFactory, sql: str) -> list[tuple[Any, ...]]:
    return servers.sql(sql)


def sign_in(url: str, login: str, password: str = PASSWORD) -> int:
    """POST /v1/devices; the status code."""
    api = Api(url)
    try:
        return api.post(
            "/v1/devices",
            {"login": login, "password": password, "device_name": "t", "platform": "pytest"},
            auth=False,
        ).status_code
    finally:
        api.close()


def test_the_demo_catalogue_imports_once(servers: ServerFactory) -> None:
    first = imported(servers, DEMO)
    assert "4 accounts created" in first  # acme-dana is a member account of acme
    assert "7 users created" in first  # with dana and the relay's service login
    assert "2 vouchers created" in first
    before = dump(servers)
    assert len(before["accounts"]) == 4
    second = imported(servers, DEMO)
    assert "nothing changed" in second
    assert dump(servers) == before  # not one row written, not even an audit row
    # opening balances went through the ledger: alice 10.00 and bob 0.50 (acme opens at 0)
    openings = query(
        servers, "SELECT account_id, amount FROM ledger_transfers WHERE kind = 'opening'"
    )
    assert sorted(openings) == [("alice", 10_000_000), ("bob", 500_000)]
    assert "the books balance" in servers.verify()


def test_a_file_with_errors_imports_nothing(servers: ServerFactory, tmp_path: Path) -> None:
    broken = copy.deepcopy(BASE)
    broken["plans"][0]["rates"][0]["price"] = "-0.06"  # a bad price
    # a fresh database: nothing beyond the empty schema
    bad = write(
        tmp_path / "bad.toml",
        [account("ok", "10"), account("lost", "10", plan="gold")],  # a dangling plan
        plans=broken["plans"],
    )
    stderr = refused(servers, bad)
    assert 'plans[0] (id "std").rates[0] (service "voice"): price:' in stderr
    assert 'accounts[1] (id "lost"): plan:' in stderr
    assert '"gold"' in stderr
    assert "2 error(s)" in stderr
    sqlite_file = servers.directory / "billing.db"
    if servers.engine_name != "sqlite" or sqlite_file.exists():
        assert all(rows == [] for rows in dump(servers).values())

    # a database with a catalogue in it: the broken file changes nothing at all
    imported(servers, write(tmp_path / "good.toml", [account("ok", "10")]))
    before = dump(servers)
    stderr = refused(servers, bad)
    assert 'accounts[1] (id "lost"): plan:' in stderr
    assert dump(servers) == before


def test_opening_balances_are_credited_once(servers: ServerFactory, tmp_path: Path) -> None:
    imported(servers, write(tmp_path / "one.toml", [account("saver", "10"), account("zero", "0")]))
    server = servers.start()
    api = Api(server.url, "saver")
    assert api.account()["balance"] == "10"
    assert Api(server.url, "zero").account()["balance"] == "0"
    # spend a little so the balance is not the opening figure any more
    sid = api.open("sms").json()["session_id"]
    assert api.end(sid, 1, 2).status_code == 200
    assert api.account()["balance"] == "9.9"

    out = imported(
        servers, write(tmp_path / "two.toml", [account("saver", "99"), account("zero", "7")])
    )
    assert "nothing changed" in out  # a balance in the file is an opening balance only
    assert api.account()["balance"] == "9.9"
    assert Api(server.url, "zero").account()["balance"] == "0"
    rows = query(
        servers,
        "SELECT t.account_id, e.ledger_id, e.amount FROM ledger_transfers t "
        "JOIN ledger_entries e ON e.transfer_id = t.transfer_id WHERE t.kind = 'opening' "
        "ORDER BY e.amount",
    )
    assert rows == [("saver", "sys:opening", -10_000_000), ("saver", "acct:saver", 10_000_000)]
    servers.stop_all()
    servers.verify()


def test_rows_missing_from_a_later_file_are_retired_not_deleted(
    servers: ServerFactory, tmp_path: Path
) -> None:
    both = [account("stay", "10"), account("leave", "3")]
    first = write(tmp_path / "one.toml", both)
    imported(servers, first)
    server = servers.start()
    leaver = Api(server.url, "leave")
    assert leaver.account()["balance"] == "3"
    stayer = Api(server.url, "stay")
    assert stayer.open("dl").status_code == 201

    services = [s for s in BASE["services"] if s["id"] != "dl"]
    plans = copy.deepcopy(BASE["plans"])
    plans[0]["rates"] = [r for r in plans[0]["rates"] if r["service"] != "dl"]
    out = imported(servers, write(tmp_path / "two.toml", [both[0]], services=services, plans=plans))
    assert "1 accounts retired" in out
    assert "1 users retired" in out
    assert "1 services retired" in out

    assert sign_in(server.url, "leave") == 401  # a removed user can no longer sign in
    assert leaver.get("/v1/account").status_code == 401  # nor use a device it had
    assert sign_in(server.url, "stay") == 201
    refused_dl = stayer.open("dl")
    assert refused_dl.status_code == 403, refused_dl.text
    assert refused_dl.json()["code"] == "service_not_in_plan"
    assert stayer.open("sms").status_code == 201
    # nothing was deleted: the account keeps its row, balance and ledger history
    kept = query(servers, "SELECT retired, balance FROM accounts WHERE account_id = 'leave'")
    assert kept == [(1, 3_000_000)]
    assert query(servers, "SELECT retired FROM users WHERE login = 'leave'") == [(1,)]
    assert query(servers, "SELECT retired FROM services WHERE service_id = 'dl'") == [(1,)]
    history = query(servers, "SELECT count(*) FROM ledger_entries WHERE ledger_id = 'acct:leave'")
    assert history == [(1,)]

    out = imported(servers, first)  # back in the file: back in service
    assert "nothing changed" not in out
    assert sign_in(server.url, "leave") == 201
    assert query(servers, "SELECT retired FROM accounts WHERE account_id = 'leave'") == [(0,)]
    assert Api(server.url, "leave").account()["balance"] == "3"  # not credited again
    servers.verify()


def test_passwords_are_rehashed_only_when_they_change(
    servers: ServerFactory, tmp_path: Path
) -> None:
    accounts = [account("kept", "1"), account("moved", "1")]
    imported(servers, write(tmp_path / "one.toml", accounts))
    hashes = dict(query(servers, "SELECT login, password_hash FROM users"))
    assert all(h.startswith("$argon2") for h in hashes.values())
    assert PASSWORD not in "".join(hashes)
    server = servers.start()
    assert sign_in(server.url, "moved") == 201

    users = [user("kept", "kept"), {**user("moved", "moved"), "password": "a-new-password"}]
    out = imported(servers, write(tmp_path / "two.toml", accounts, users=users))
    assert "1 users updated" in out
    after = dict(query(servers, "SELECT login, password_hash FROM users"))
    assert after["kept"] == hashes["kept"]  # same password: the very same hash string
    assert after["support"] == hashes["support"]
    assert after["moved"] != hashes["moved"]
    assert "a-new-password" not in after["moved"]
    assert sign_in(server.url, "moved") == 401  # the old password no longer works
    assert sign_in(server.url, "moved", "a-new-password") == 201
    assert sign_in(server.url, "kept") == 201

    assert "nothing changed" in imported(servers, tmp_path / "two.toml")
    assert dict(query(servers, "SELECT login, password_hash FROM users")) == after


def test_the_currency_cannot_change_once_accounts_exist(
    servers: ServerFactory, tmp_path: Path
) -> None:
    # without accounts nothing is kept in the old currency yet: a change is fine
    imported(servers, write(tmp_path / "empty.toml", []))
    imported(servers, write(tmp_path / "usd.toml", [], currency="USD"))
    assert query(servers, "SELECT value FROM catalog_meta WHERE key = 'currency'") == [("USD",)]
    imported(servers, write(tmp_path / "one.toml", [account("a", "10")], currency="USD"))
    before = dump(servers)
    stderr = refused(servers, write(tmp_path / "eur.toml", [account("a", "10")]))
    assert "currency" in stderr
    assert "USD" in stderr
    assert "EUR" in stderr
    assert dump(servers) == before


def test_a_credit_limit_below_an_existing_debt_is_refused(
    servers: ServerFactory, tmp_path: Path
) -> None:
    def catalogue(name: str, limit: str, kind: str = "postpaid", *more: Any) -> Path:
        debtor = account("debtor", "0", kind=kind, credit_limit=limit)
        return write(tmp_path / name, [account("other", "1"), debtor, *more])

    imported(servers, catalogue("one.toml", "2.00"))
    server = servers.start()
    api = Api(server.url, "debtor")
    sid = api.open("sms").json()["session_id"]
    assert api.end(sid, 1, 30).status_code == 200  # 30 messages: 1.50 owed
    assert api.account()["balance"] == "-1.5"
    before = dump(servers)

    # the conflict shows only once the rows before it were written: they roll back too
    stderr = refused(servers, catalogue("lower.toml", "1.00", "postpaid", account("new", "5")))
    assert 'accounts[1] (id "debtor"): credit_limit:' in stderr
    assert "1.5" in stderr
    assert dump(servers) == before
    stderr = refused(servers, catalogue("prepaid.toml", "0", "prepaid"))
    assert 'accounts[1] (id "debtor")' in stderr
    assert dump(servers) == before

    assert "1 accounts updated" in imported(servers, catalogue("exact.toml", "1.50"))
    assert api.account()["credit_limit"] == "1.5"
    assert api.account()["available"] == "0"
    assert api.account()["balance"] == "-1.5"
    servers.verify()


def test_a_missing_file_is_one_line(servers: ServerFactory, tmp_path: Path) -> None:
    result = run_import(servers, tmp_path / "nowhere.toml")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "nowhere.toml" in lines[0]
    assert "no such file" in lines[0]


def test_a_toml_syntax_error_names_the_line(servers: ServerFactory, tmp_path: Path) -> None:
    path = tmp_path / "syntax.toml"
    path.write_text('currency = "EUR"\n\n[[services]\nid = "x"\n', encoding="utf-8")
    result = run_import(servers, path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "syntax.toml, line 3" in result.stderr
    assert "TOML syntax error" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
