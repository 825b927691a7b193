"""``GET /v1/events`` against real server processes: balance, session and notice
events, a change made by another server process, exact ``Last-Event-ID`` replay,
heartbeats, low-balance and session-terminated notices, auth, graceful stop.

The streams are read with httpx and a small SSE parser; every server sends a
heartbeat each second, so a read never blocks for long and waits have deadlines.
"""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess
from tests.support.sse import Event, Stream, open_event_stream

MICRO = 1_000_000


def low(account_id: str, balance: str, threshold: str) -> dict[str, Any]:
    """An account row with a low-balance threshold."""
    return {**account(account_id, balance), "low_balance_threshold": threshold}


ACCOUNTS = [
    account("live", "10"),
    account("remote", "10"),
    account("resume", "10"),
    account("beat", "10"),
    low("burning", "1", "0.875"),
    low("idle", "1", "0.9"),
    account("silent", "10"),
    account("busy", "100"),
    account("stopping", "10"),
]


@dataclass(frozen=True)
class Deployment:
    primary: ServerProcess
    secondary: ServerProcess
    servers: ServerFactory


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Iterator[Deployment]:
    module_servers.import_catalog(ACCOUNTS)
    flags = ("--heartbeat", "1", "--reaper-interval", "0.2")
    primary = module_servers.start("primary", *flags)
    secondary = module_servers.start("secondary", *flags)
    yield Deployment(primary, secondary, module_servers)
    module_servers.verify()


@pytest.fixture
def open_stream() -> Iterator[Callable[..., Stream]]:
    """Open event streams (closed at the end of the test)."""
    closers: list[Callable[[], None]] = []

    def opener(api: Api, *, last_event_id: int | None = None, query: int | None = None) -> Stream:
        assert api.access is not None
        response, close = open_event_stream(
            api.url, api.access, last_event_id=last_event_id, query=query
        )
        closers.append(close)
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return Stream(response, close)

    yield opener
    for close in closers:
        close()


def money(text: str) -> int:
    return int(Decimal(text) * MICRO)


def is_session(state: str) -> Callable[[Event], bool]:
    return lambda e: e.type == "session" and e.data["state"] == state


def balance(e: Event) -> bool:
    return e.type == "balance"


def event_ids(servers: ServerFactory, account_id: str, after: int = 0) -> list[int]:
    """The account's event ids in the database, in order."""
    rows = servers.sql(
        "SELECT event_id FROM events WHERE account_id = :a AND event_id > :after ORDER BY event_id",
        a=account_id,
        after=after,
    )
    return [int(row[0]) for row in rows]


def test_balance_and_session_events_while_a_session_runs(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    api = Api(deployment.primary.url, "live")
    stream = open_stream(api)
    snapshot = stream.next()
    assert snapshot is not None
    assert snapshot.type == "balance"
    assert snapshot.data == {"balance": "10", "reserved": "0", "available": "10"}
    assert snapshot.id == event_ids(deployment.servers, "live")[-1]

    sid = api.open("voice").json()["session_id"]
    opened = stream.until(balance)
    assert [e.type for e in opened] == ["session", "balance"]
    assert opened[0].data == {
        "session_id": sid,
        "state": "active",
        "used_units": 0,
        "charged": "0",
        "cause": None,
    }
    assert opened[1].data == {"balance": "10", "reserved": "0.07", "available": "9.93"}

    time.sleep(1.0)
    assert api.update(sid, 1, 1).status_code == 200
    updated = stream.until(balance)
    assert updated[0].data["used_units"] == 1
    assert updated[0].data["charged"] == "0.07"
    assert updated[1].data == {"balance": "9.93", "reserved": "0.001", "available": "9.929"}

    assert api.end(sid, 2, 1).status_code == 200
    ended = stream.until(balance)
    assert ended[0].data["state"] == "ended"
    assert ended[0].data["cause"] == "user"
    assert ended[1].data == {"balance": "9.93", "reserved": "0", "available": "9.93"}
    ids = [snapshot.id] + [e.id for e in opened + updated + ended]
    assert ids == sorted(set(ids))
    assert ids[1:] == event_ids(deployment.servers, "live", after=snapshot.id)


def test_an_event_written_by_another_server_process_arrives(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    on_primary = Api(deployment.primary.url, "remote")
    stream = open_stream(on_primary)
    assert stream.next() is not None  # the snapshot
    on_secondary = Api(deployment.secondary.url, "remote")
    sid = on_secondary.open("sms").json()["session_id"]
    assert stream.until(is_session("active"))[-1].data["session_id"] == sid
    assert on_secondary.end(sid, 1, 1).status_code == 200
    assert stream.until(is_session("ended"))[-1].data["cause"] == "user"
    assert stream.until(balance)[-1].data["balance"] == "9.95"


def test_reconnect_with_last_event_id_replays_exactly_what_was_missed(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    api = Api(deployment.primary.url, "resume")
    first = open_stream(api)
    snapshot = first.next()
    assert snapshot is not None
    sid = api.open("sms").json()["session_id"]
    seen = first.until(balance)
    first.close()  # the client goes away; more happens meanwhile, on both servers
    assert api.update(sid, 1, 1).status_code == 200
    other = Api(deployment.secondary.url, "resume")
    assert other.end(sid, 2, 2).status_code == 200
    sid2 = other.open("sms").json()["session_id"]
    assert api.end(sid2, 1, 1).status_code == 200
    missed = event_ids(deployment.servers, "resume", after=seen[-1].id)
    assert len(missed) == 8  # three calls (session + balance) and the open and end

    again = open_stream(api, last_event_id=seen[-1].id)
    replayed = [again.next() for _ in missed]
    assert [e.id for e in replayed if e] == missed
    assert again.quiet(1.5) == []  # nothing twice, nothing else
    assert replayed[-1] is not None and replayed[-1].data["balance"] == "9.85"

    by_query = open_stream(api, query=seen[-1].id)  # for clients that cannot set headers
    assert [e.id for e in (by_query.next() for _ in missed) if e] == missed
    whole = open_stream(api, last_event_id=snapshot.id)
    everything = whole.until(lambda e: e.id == missed[-1])
    assert [e.id for e in everything] == [e.id for e in seen] + missed


def test_an_unknown_last_event_id_starts_with_a_snapshot(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    api = Api(deployment.primary.url, "beat")
    stream = open_stream(api, last_event_id=2**62)
    snapshot = stream.next()
    assert snapshot is not None and snapshot.type == "balance"
    assert snapshot.id == event_ids(deployment.servers, "beat")[-1]


def test_heartbeats_keep_an_idle_stream_open(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream(Api(deployment.primary.url, "beat"))
    assert stream.next() is not None
    assert stream.quiet(2.5) == []
    assert stream.heartbeats >= 2


def test_low_balance_notice_with_the_combined_burn_rate(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    api = Api(deployment.primary.url, "burning")
    stream = open_stream(api)
    assert stream.next() is not None
    voice = api.open("voice").json()  # reserves 0.07: available 0.93
    fast = api.open("fast").json()  # reserves 0.05: available 0.88, still >= 0.875
    assert fast["available"] == "0.88"
    opened = stream.until(lambda e: e.type == "balance" and e.data["available"] == "0.88")
    assert all(e.type != "notice" for e in opened)
    update = api.update(fast["session_id"], 1, 1).json()  # 0.01 charged: below 0.875
    events = stream.until(lambda e: e.type == "notice")
    assert [e.type for e in events] == ["session", "balance", "notice"]
    available = money(events[1].data["available"])
    assert available == money(update["available"])
    # fast: 0.01 per second; voice: its first minute (0.07 with the setup fee) per 60 s
    rate = Decimal(MICRO) / 100 + Decimal(70_000) / 60
    assert events[2].data == {
        "kind": "low_balance",
        "available": events[1].data["available"],
        "seconds_left": int(available / rate),
    }
    assert api.end(fast["session_id"], 2, 1).status_code == 200
    assert api.end(voice["session_id"], 1, 0).status_code == 200
    after = stream.quiet(1.0)
    assert all(e.type != "notice" for e in after)  # no second crossing


def test_low_balance_notice_without_running_sessions_has_no_estimate(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    api = Api(deployment.primary.url, "idle")
    stream = open_stream(api)
    assert stream.next() is not None
    sid = api.open("sms").json()["session_id"]  # reserves one message: available 0.95
    assert api.end(sid, 1, 3).status_code == 200  # three messages: 0.15, available 0.85
    events = stream.until(lambda e: e.type == "notice")
    assert events[-1].data == {"kind": "low_balance", "available": "0.85", "seconds_left": None}
    assert events[-3].data["state"] == "ended"


def test_session_terminated_notice_after_the_reaper_ends_a_silent_session(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    api = Api(deployment.primary.url, "silent")
    stream = open_stream(api)
    assert stream.next() is not None
    sid = api.open("fast").json()["session_id"]  # update_interval 1: reaped after 3 s
    events = stream.until(lambda e: e.type == "notice", timeout=10)
    assert events[-1].data == {
        "kind": "session_terminated",
        "session_id": sid,
        "cause": "update_timeout",
    }
    ended = [e for e in events if is_session("ended")(e)]
    assert ended and ended[0].data["cause"] == "update_timeout"


def test_concurrent_writers_on_two_servers_reach_the_stream_once_each_in_order(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    api = Api(deployment.primary.url, "busy")
    stream = open_stream(api)
    snapshot = stream.next()
    assert snapshot is not None
    clients = [
        Api(deployment.primary.url, "busy"),
        Api(deployment.secondary.url, "busy"),
    ]

    def churn(index: int) -> int:
        client = clients[index % 2]
        for _ in range(5):
            sid = client.open("sms", key=str(uuid.uuid4())).json()["session_id"]
            assert client.end(sid, 1, 1).status_code == 200
        return index

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(churn, range(4)))
    expected = event_ids(deployment.servers, "busy", after=snapshot.id)
    assert len(expected) == 4 * 5 * 4
    received = stream.until(lambda e: e.id == expected[-1], timeout=20)
    assert [e.id for e in received] == expected
    assert received[-1].data["balance"] == "99"


def test_support_logins_have_no_stream_and_a_token_is_required(deployment: Deployment) -> None:
    support = Api(deployment.primary.url, "support")
    answer = support.get("/v1/events")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "not_found"
    anonymous = httpx.get(deployment.primary.url + "/v1/events")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
    user = Api(deployment.primary.url, "beat")
    bad = user.get("/v1/events", headers={"Last-Event-ID": "soon"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"


def test_a_server_stops_gracefully_while_a_stream_is_open(
    deployment: Deployment, open_stream: Callable[..., Stream]
) -> None:
    server = deployment.servers.start("stopping", "--heartbeat", "30")
    stream = open_stream(Api(server.url, "stopping"))
    assert stream.next() is not None
    assert server.stop() == 0
    # the open stream did not hold the shutdown up until uvicorn's graceful timeout
    assert "graceful shutdown exceeded" not in server.log()
    assert stream.next(timeout=5) is None  # the server ended the response cleanly
