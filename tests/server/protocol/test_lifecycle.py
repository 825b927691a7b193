"""Session lifecycle against real server processes: the update-timeout reaper (one and
several processes), late usage after a timeout, plans re-imported mid-session, and
online charges equal to ``billserver rate`` to the micro-unit.

These tests wait for wall time ("fast" has update_interval 1, so the reaper ends a
silent session 3 s after its last update); they share waits where they can.
"""

from __future__ import annotations

import copy
import csv
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import Api, problem
from tests.support.catalogs import BASE, account, write_catalog
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess, run_billserver

REAPER_INTERVAL = 0.2
TIMEOUT = 3.0  # 3 x update_interval of "fast"

ACCOUNTS = [
    account("reaped", "10"),
    account("late", "10"),
    account("late-poor", "0.1"),
    account("exact", "10"),
]


@dataclass(frozen=True)
class Deployment:
    server: ServerProcess
    catalog: Path


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Iterator[Deployment]:
    catalog = module_servers.import_catalog(ACCOUNTS)
    server = module_servers.start("primary", "--reaper-interval", str(REAPER_INTERVAL))
    yield Deployment(server, catalog)
    module_servers.verify()


def ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    """Assert a successful answer; returns its JSON body."""
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def sleep_until(instant: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``instant``."""
    time.sleep(max(0.0, instant - time.monotonic()))


def session(api: Api, sid: str) -> dict[str, Any]:
    return ok(api.get(f"/v1/sessions/{sid}"))


def cdrs_of(api: Api, sid: str) -> list[dict[str, Any]]:
    return [c for c in ok_list(api.get("/v1/cdrs")) if c["session_id"] == sid]


def ok_list(answer: httpx.Response) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


# -- 1. the reaper -------------------------------------------------------------------


def test_silent_session_is_ended_by_the_reaper(deployment: Deployment) -> None:
    api = Api(deployment.server.url, "reaped")
    opened = ok(api.open("fast"), 201)
    sid = opened["session_id"]
    assert (opened["update_interval"], opened["granted_units"]) == (1, 5)
    sent = time.monotonic()
    first = ok(api.update(sid, 1, 2))  # within the 2 s wall-time slack
    assert (first["charged"], first["granted_units"], first["action"]) == ("0.02", 7, "continue")

    sleep_until(sent + TIMEOUT - 1.0)
    assert session(api, sid)["state"] == "active"  # not before 3 x update_interval
    wait_until(
        lambda: session(api, sid)["state"] == "ended",
        TIMEOUT + REAPER_INTERVAL + 2.0 - (time.monotonic() - sent),
        "the reaper",
    )

    ended = session(api, sid)
    assert ended["cause"] == "update_timeout"
    assert (ended["used_units"], ended["unbilled_units"], ended["charged"]) == (2, 0, "0.02")
    assert (ended["reserved"], ended["last_seq"]) == ("0", 1)
    assert TIMEOUT <= seconds_between(ended["started_at"], ended["ended_at"]) < TIMEOUT + 2.0
    money = api.account()
    assert (money["balance"], money["reserved"], money["available"]) == ("9.98", "0", "9.98")

    [cdr] = cdrs_of(api, sid)
    assert cdr["cdr_id"] == ended["cdr_id"]
    assert (cdr["cause"], cdr["used_units"], cdr["unbilled_units"]) == ("update_timeout", 2, 0)
    assert (cdr["billed_units"], cdr["charged"], cdr["supersedes"]) == (2, "0.02", None)
    assert (cdr["servers"], cdr["plan_id"], cdr["plan_version"]) == (["primary"], "std", 1)
    assert cdr["started_at"] == ended["started_at"]
    assert cdr["ended_at"] == ended["ended_at"]

    # only the next seq is late usage; anything else is 409 session_ended + the resource
    for answer in (api.update(sid, 3, 2), api.update(sid, 1, 2), api.end(sid, 3, 2)):
        body = problem(answer, 409, "session_ended")
        assert body["session"] == ended
    assert session(api, sid) == ended
    assert api.account() == money


# -- 2. several reapers on one database ------------------------------------------------


def test_two_reaping_servers_end_each_session_once(servers: ServerFactory) -> None:
    servers.import_catalog([account("herd", "10")])
    first = servers.start("a", "--reaper-interval", "0.05")
    second = servers.start("b", "--reaper-interval", "0.05")
    apis = [Api(first.url, "herd"), Api(second.url, "herd")]
    used: dict[str, int] = {}  # eight report one unit, then fall silent; two never report
    for index in range(10):
        opener, updater = apis[index % 2], apis[(index + 1) % 2]
        sid = ok(opener.open("fast"), 201)["session_id"]
        used[sid] = 1 if index < 8 else 0
        if used[sid]:
            assert ok(updater.update(sid, 1, 1))["charged"] == "0.01"
    assert apis[0].account()["reserved"] != "0"

    wait_until(
        lambda: ok_list(apis[0].get("/v1/sessions", params={"state": "active"})) == [],
        TIMEOUT + 5.0,
        "both reapers",
    )
    time.sleep(0.3)  # a few more reaper runs on both servers: still nothing ends twice

    ended = {s["session_id"]: s for s in ok_list(apis[1].get("/v1/sessions"))}
    records = ok_list(apis[0].get("/v1/cdrs"))
    assert sorted(ended) == sorted(used)
    assert sorted(c["session_id"] for c in records) == sorted(used)  # exactly one CDR each
    for cdr in records:
        resource, units = ended[cdr["session_id"]], used[cdr["session_id"]]
        charged = "0.01" if units else "0"
        assert resource["state"] == "ended"
        assert resource["cause"] == cdr["cause"] == "update_timeout"
        assert resource["cdr_id"] == cdr["cdr_id"]
        assert (resource["used_units"], resource["charged"], resource["reserved"]) == (
            units,
            charged,
            "0",
        )
        assert (cdr["used_units"], cdr["billed_units"], cdr["charged"]) == (units, units, charged)
        assert cdr["supersedes"] is None
        assert set(cdr["servers"]) <= {"a", "b"}
        if units:
            assert set(cdr["servers"]) == {"a", "b"}  # opened on one, updated on the other
    money = apis[0].account()
    assert (money["balance"], money["reserved"], money["available"]) == ("9.92", "0", "9.92")
    for server in (first, second):
        assert "reaper run failed" not in server.log()
        assert "Traceback" not in server.log()
    servers.verify()


# -- 3. late usage ---------------------------------------------------------------------


def test_late_usage_after_an_update_timeout(deployment: Deployment) -> None:
    rich, poor = Api(deployment.server.url, "late"), Api(deployment.server.url, "late-poor")
    sid = ok(rich.open("fast"), 201)["session_id"]
    opened_at = time.monotonic()  # after the answer: the server's started_at is earlier
    poor_sid = ok(poor.open("fast"), 201)["session_id"]
    assert ok(rich.update(sid, 1, 1))["granted_units"] == 6
    poor_first = ok(poor.update(poor_sid, 1, 1))
    assert (poor_first["granted_units"], poor_first["reserved"]) == (6, "0.05")
    assert poor_first["available"] == "0.04"

    wait_until(
        lambda: all(session(a, s)["state"] == "ended" for a, s in ((rich, sid), (poor, poor_sid))),
        TIMEOUT + REAPER_INTERVAL + 3.0,
        "the reaper",
    )
    timed_out = session(rich, sid)
    assert (timed_out["cause"], timed_out["charged"], timed_out["granted_units"]) == (
        "update_timeout",
        "0.01",
        6,
    )
    [first_cdr] = cdrs_of(rich, sid)
    assert first_cdr["cdr_id"] == timed_out["cdr_id"]

    # a seq other than the next one is not late usage, and is not used up by the refusal
    for answer in (rich.update(sid, 3, 7), rich.end(sid, 3, 7), rich.update(sid, 1, 1)):
        assert problem(answer, 409, "session_ended")["session"] == timed_out
    # the body is still checked: no more units than wall time allows (+2 s)
    problem(rich.update(sid, 2, 60), 422, "validation_error")

    # the poor account spends most of what the released hold gave back meanwhile
    sms = ok(poor.open("sms"), 201)["session_id"]
    ok(poor.update(sms, 1, 1))
    ok(poor.end(sms, 2, 1, "credit_exhausted"))
    assert poor.account()["available"] == "0.04"

    sleep_until(opened_at + 5.2)  # 7 units fit in the wall time (5 s + 2 s slack)
    late = ok(rich.update(sid, 2, 7))  # one unit beyond the grant of 6
    assert (late["seq"], late["used_units"], late["charged"]) == (2, 7, "0.06")
    assert (late["granted_units"], late["reserved"], late["final"]) == (6, "0", True)
    assert (late["action"], late["balance"], late["available"]) == ("terminate", "9.94", "9.94")
    assert ok(rich.update(sid, 2, 7)) == late  # a retried late update replays, charges nothing
    after = session(rich, sid)
    assert (after["state"], after["cause"], after["last_seq"]) == ("ended", "update_timeout", 2)
    assert (after["used_units"], after["unbilled_units"], after["charged"]) == (7, 1, "0.06")
    assert after["ended_at"] == timed_out["ended_at"]
    assert after["cdr_id"] != first_cdr["cdr_id"]

    both = cdrs_of(rich, sid)
    assert len(both) == 2
    old = next(c for c in both if c["cdr_id"] == first_cdr["cdr_id"])
    corrected = next(c for c in both if c["cdr_id"] == after["cdr_id"])
    assert old == first_cdr  # immutable: never edited, only superseded
    assert (old["charged"], old["used_units"], old["unbilled_units"]) == ("0.01", 1, 0)
    assert corrected["supersedes"] == first_cdr["cdr_id"]
    assert (corrected["used_units"], corrected["unbilled_units"]) == (7, 1)
    assert (corrected["billed_units"], corrected["charged"]) == (6, "0.06")
    assert (corrected["cause"], corrected["plan_version"]) == ("update_timeout", 1)
    assert corrected["started_at"] == first_cdr["started_at"]

    # the late end call takes the next seq; afterwards nothing more is accepted
    end = ok(rich.end(sid, 3, 7, "user"))
    assert (end["state"], end["last_seq"], end["charged"], end["reserved"]) == (
        "ended",
        3,
        "0.06",
        "0",
    )
    assert end["cdr_id"] == corrected["cdr_id"]  # same figures: no third record
    assert ok(rich.end(sid, 3, 7, "user")) == end  # exact replay of the ending call
    assert len(cdrs_of(rich, sid)) == 2
    final = session(rich, sid)
    for answer in (rich.update(sid, 4, 7), rich.end(sid, 4, 7), rich.end(sid, 4, 8)):
        assert problem(answer, 409, "session_ended")["session"] == final
    money = rich.account()
    assert (money["balance"], money["reserved"]) == ("9.94", "0")

    # prepaid: late units within the old grant are charged only as far as available goes
    poor_late = ok(poor.update(poor_sid, 2, 7))  # 6 within the grant; 0.04 buys 4 more
    assert (poor_late["charged"], poor_late["available"], poor_late["balance"]) == (
        "0.05",
        "0",
        "0",
    )
    poor_after = session(poor, poor_sid)
    assert (poor_after["used_units"], poor_after["unbilled_units"]) == (7, 2)
    poor_records = cdrs_of(poor, poor_sid)
    assert len(poor_records) == 2
    poor_corrected = next(c for c in poor_records if c["cdr_id"] == poor_after["cdr_id"])
    assert poor_corrected["supersedes"] in {c["cdr_id"] for c in poor_records} - {
        poor_corrected["cdr_id"]
    }
    assert (poor_corrected["charged"], poor_corrected["billed_units"]) == ("0.05", 5)
    assert poor_corrected["unbilled_units"] == 2


# -- 4. plans re-imported mid-session ----------------------------------------------------


def _catalogue(*, voice_price: str = "0.06", without: str | None = None) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for plan in data["plans"]:
        if plan["id"] == "std":
            for rate in plan["rates"]:
                if rate["service"] == "voice":
                    rate["price"] = voice_price
            plan["rates"] = [r for r in plan["rates"] if r["service"] != without]
    data["services"] = [s for s in data["services"] if s["id"] != without]
    return data


def test_reimported_plan_applies_to_new_sessions_only(servers: ServerFactory) -> None:
    accounts = [account("moving", "10")]
    path = servers.directory / "catalog.toml"

    def reimport(base: dict[str, Any]) -> str:
        write_catalog(path, accounts, base=base)
        result = run_billserver("import", str(path), "--db", servers.db_url)
        assert result.returncode == 0, result.stderr
        return result.stdout

    reimport(_catalogue())
    server = servers.start("primary")
    api = Api(server.url, "moving")

    before = ok(api.open("voice"), 201)  # plan std version 1: 0.01 + 0.06 for a minute
    old_sid = before["session_id"]
    assert before["reserved"] == "0.07"
    assert ok(api.update(old_sid, 1, 1))["charged"] == "0.07"

    assert "plan versions created" in reimport(_catalogue(voice_price="0.12"))
    voice = next(s for s in ok_list(api.get("/v1/services")) if s["service_id"] == "voice")
    assert voice["rate"]["price"] == "0.12"
    assert ok(api.update(old_sid, 2, 2))["charged"] == "0.07"  # the price it opened with

    after = ok(api.open("voice"), 201)  # version 2: 0.01 + 0.12
    new_sid = after["session_id"]
    assert after["reserved"] == "0.13"
    assert ok(api.update(new_sid, 1, 1))["charged"] == "0.13"

    assert ok(api.end(old_sid, 3, 2))["charged"] == "0.07"
    assert ok(api.end(new_sid, 2, 1))["charged"] == "0.13"
    [old_cdr], [new_cdr] = cdrs_of(api, old_sid), cdrs_of(api, new_sid)
    assert (old_cdr["plan_id"], old_cdr["plan_version"], old_cdr["charged"]) == ("std", 1, "0.07")
    assert (new_cdr["plan_id"], new_cdr["plan_version"], new_cdr["charged"]) == ("std", 2, "0.13")

    # the identical file again: nothing changes, new sessions still get version 2
    again = run_billserver("import", str(path), "--db", servers.db_url)
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout
    same = ok(api.open("voice"), 201)
    assert same["reserved"] == "0.13"
    ok(api.end(same["session_id"], 1, 1))
    [same_cdr] = cdrs_of(api, same["session_id"])
    assert (same_cdr["plan_version"], same_cdr["charged"]) == (2, "0.13")

    # a service removed from the file: gone for new sessions, not for open ones
    open_sms = ok(api.open("sms"), 201)["session_id"]
    removed = reimport(_catalogue(voice_price="0.12", without="sms"))
    assert "1 services retired" in removed
    offered = [s["service_id"] for s in ok_list(api.get("/v1/services"))]
    assert "sms" not in offered
    assert "voice" in offered
    problem(api.open("sms"), 403, "service_not_in_plan")
    assert ok(api.update(open_sms, 1, 1))["charged"] == "0.05"
    assert ok(api.end(open_sms, 2, 1))["charged"] == "0.05"
    [sms_cdr] = cdrs_of(api, open_sms)
    assert (sms_cdr["service_id"], sms_cdr["plan_version"], sms_cdr["charged"]) == (
        "sms",
        2,
        "0.05",
    )

    money = api.account()
    assert (money["balance"], money["reserved"]) == ("9.62", "0")  # 10 - .07 - .13 - .13 - .05
    servers.verify()


# -- 5. online charge == offline rating --------------------------------------------------


def test_session_charges_equal_the_rate_command(deployment: Deployment, tmp_path: Path) -> None:
    api = Api(deployment.server.url, "exact")
    started = {svc: ok(api.open(svc), 201) for svc in ("voice", "fast")}
    opened_at = time.monotonic()
    final = 4
    for second in range(1, final):
        sleep_until(opened_at + second)
        for opened in started.values():
            assert ok(api.update(opened["session_id"], second, second))["used_units"] == second
    sleep_until(opened_at + final)
    ended = {
        svc: ok(api.end(opened["session_id"], final, final, "service_done"))
        for svc, opened in started.items()
    }

    usage = tmp_path / "usage.csv"
    with usage.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "plan", "service", "start", "units"])
        for svc, opened in started.items():
            writer.writerow([svc, "std", svc, opened["started_at"], final])
    result = run_billserver("rate", "--catalog", str(deployment.catalog), "--usage", str(usage))
    assert result.returncode == 0, result.stdout + result.stderr
    rated = {row["id"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert sorted(rated) == sorted(started)

    expected = {"voice": Decimal("0.07"), "fast": Decimal("0.04")}  # 0.01 + 0.06; 4 x 0.01
    for svc, resource in ended.items():
        assert rated[svc]["error"] == ""
        [cdr] = cdrs_of(api, resource["session_id"])
        assert cdr["started_at"] == started[svc]["started_at"]
        assert (cdr["used_units"], cdr["unbilled_units"]) == (final, 0)
        assert Decimal(rated[svc]["charge"]) == Decimal(cdr["charged"]) == expected[svc]
        assert Decimal(resource["charged"]) == expected[svc]
    assert api.account()["balance"] == "9.89"
