"""A silent session's deadline: stored only when it moves by an interval, ended by its
true deadline (last activity + 3 update intervals) whatever the stored one says."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from billserver.db import make_engine
from billserver.sessions import SessionPolicy
from billserver.sessions.deadline import deadline, moved, passed, stale
from billserver.sessions.reaper import reap_once
from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory

US = 1_000_000


@given(
    interval=st.integers(1, 3600),
    opened=st.integers(0, 10**15),
    gaps=st.lists(st.integers(0, 10 * 3600 * US), max_size=30),
)
def test_the_stored_deadline_lags_the_true_one_by_less_than_an_interval(
    interval: int, opened: int, gaps: list[int]
) -> None:
    stored = deadline(opened, interval)
    now = opened
    for gap in gaps:
        now += gap
        written = moved(stored, now, interval)
        if written is not None:
            assert written == deadline(now, interval)
            stored = written
        true = deadline(now, interval)
        assert true - interval * US < stored <= true
        # the reaper ends the session exactly when the true deadline has passed
        assert not passed(now, interval, true)
        assert passed(now, interval, true + 1)
        assert stale(stored, now, interval) == (None if stored == true else true)


def test_the_reaper_goes_by_the_true_deadline(servers: ServerFactory) -> None:
    servers.import_catalog([account("quiet", "10")])
    server = servers.start()
    api = Api(server.url, "quiet")
    opened = api.open("dl")
    assert opened.status_code == 201, opened.text
    sid = opened.json()["session_id"]
    interval = int(opened.json()["update_interval"])
    [(at_open,)] = servers.sql("SELECT deadline FROM sessions WHERE session_id = :s", s=sid)
    assert api.update(sid, 1, 1000).status_code == 200
    [(stored, heard)] = servers.sql(
        "SELECT deadline, last_activity FROM sessions WHERE session_id = :s", s=sid
    )
    assert heard > at_open - 3 * interval * US  # the update was heard after the open
    assert stored == at_open  # moved by less than an interval: its index entry is kept
    server.stop()

    engine = make_engine(servers.db_url)
    policy = SessionPolicy(late_usage_us=0, server_id="test")
    try:
        # a stored deadline that has passed although the session was heard of lately
        servers.sql("UPDATE sessions SET deadline = 1 WHERE session_id = :s", s=sid)
        assert reap_once(engine, policy) == 0
        assert servers.sql("SELECT state, deadline FROM sessions WHERE session_id = :s", s=sid) == [
            ("active", heard + 3 * interval * US)
        ]
        # silent for longer than three intervals: ended
        silent = heard - 3 * interval * US - 1
        servers.sql(
            "UPDATE sessions SET last_activity = :t, deadline = 1 WHERE session_id = :s",
            t=silent,
            s=sid,
        )
        assert reap_once(engine, policy) == 1
        assert servers.sql("SELECT state, cause FROM sessions WHERE session_id = :s", s=sid) == [
            ("ended", "update_timeout")
        ]
    finally:
        engine.dispose()
    servers.verify()
