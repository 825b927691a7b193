"""An update wakes the open event streams of its account: its events arrive at once.

A stream re-reads the event table every ``events_poll_interval`` seconds, and sooner
when the process's event hub wakes it after a commit that appended events for its
account. Here the server re-reads only every two minutes (heartbeats too), so an
update's events can arrive within the test's slack only if that commit woke the
stream. Updates are committed by the group commit's writer (single and batched
calls), which is where a missed wake-up would hide: every other write gives its
connection back to the pool, and the hub listens there too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess
from tests.support.sse import Event, Stream, open_event_stream

POLL = 120.0  # the server's periodic re-read and heartbeat, seconds
SLACK = 20.0  # seconds a busy machine may add; well inside POLL


@pytest.fixture(scope="module")
def server(module_servers: ServerFactory) -> Iterator[ServerProcess]:
    module_servers.import_catalog([account("woken", "100")])
    with pytest.MonkeyPatch.context() as env:
        env.setitem(os.environ, "BILLSERVER_EVENTS_POLL_INTERVAL", str(POLL))
        started = module_servers.start("rare-poll", "--heartbeat", str(POLL))
    yield started
    module_servers.stop_all()
    module_servers.verify()


@pytest.fixture
def api(server: ServerProcess) -> Iterator[Api]:
    client = Api(server.url, "woken")
    yield client
    client.close()


@pytest.fixture
def stream(api: Api) -> Iterator[Stream]:
    assert api.access is not None
    response, close = open_event_stream(api.url, api.access, read_timeout=POLL)
    assert response.status_code == 200, response.read()
    opened = Stream(response, close)
    assert opened.next(SLACK) is not None  # the opening balance
    yield opened
    close()


def _session(api: Api, stream: Stream) -> str:
    answer = api.open("dl")
    assert answer.status_code == 201, answer.text
    session_id = str(answer.json()["session_id"])
    stream.until(lambda e: _is_session(e, session_id, 0), SLACK)
    return session_id


def _is_session(event: Event, session_id: str, used: int) -> bool:
    return (
        event.type == "session"
        and event.data["session_id"] == session_id
        and event.data["used_units"] == used
    )


def _arrives_promptly(stream: Stream, used: dict[str, int]) -> None:
    """Each session's event with its ``used`` units, then the account's new balance."""
    started = time.monotonic()
    waiting = dict(used)

    def last_one(event: Event) -> bool:
        session = event.data.get("session_id")
        if event.type == "session" and waiting.get(session) == event.data["used_units"]:
            del waiting[session]
        return not waiting

    stream.until(last_one, SLACK)
    stream.until(lambda e: e.type == "balance", SLACK)  # the account's new figures follow
    waited = time.monotonic() - started
    assert waited < SLACK < POLL, f"arrived after {waited:.1f} s"


def test_a_single_update_wakes_the_account_s_stream(api: Api, stream: Stream) -> None:
    session_id = _session(api, stream)
    answer = api.update(session_id, 1, 1000)
    assert answer.status_code == 200, answer.text
    _arrives_promptly(stream, {session_id: 1000})


def test_a_batched_update_wakes_the_account_s_stream(api: Api, stream: Stream) -> None:
    first, second = _session(api, stream), _session(api, stream)
    now = datetime.now(UTC).isoformat()
    answer = api.post(
        "/v1/sessions/updates",
        {
            "reports": [
                {"session_id": first, "seq": 1, "used_units": 2000, "measured_at": now},
                {"session_id": second, "seq": 1, "used_units": 3000, "measured_at": now},
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    assert [result["status"] for result in answer.json()["results"]] == [200, 200]
    _arrives_promptly(stream, {first: 2000, second: 3000})
