"""The pure parts of the limits: stream caps (hypothesis), storage-fault recognition on
real SQLite errors, database names in messages, and the flags' documented defaults."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from billserver.commands.limit_flags import SERVER_LIMITS, flag_defaults
from billserver.commands.parser import build_parser
from billserver.config import ServerSettings
from billserver.db.storage import describe_database, storage_fault
from billserver.events.guard import StreamRegistry, StreamTicket
from billserver.gateway.settings import GatewaySettings
from billserver.web import ApiError

_STEPS = st.lists(
    st.tuples(st.sampled_from(["open", "release"]), st.sampled_from(["ann", "bob", "cy"])),
    max_size=60,
)


@given(max_streams=st.integers(1, 6), per_login=st.integers(1, 4), steps=_STEPS)
def test_stream_caps_hold_whatever_the_order(
    max_streams: int, per_login: int, steps: list[tuple[str, str]]
) -> None:
    registry = StreamRegistry(max_streams=max_streams, max_per_login=per_login)
    live: list[StreamTicket] = []  # open and not asked to close
    for action, login in steps:
        if action == "open":
            before = [ticket for ticket in live if ticket.login == login]
            if len(before) < per_login and len(live) >= max_streams:
                with pytest.raises(ApiError, match="as many event streams"):
                    registry.open(login)
                continue
            ticket = registry.open(login)
            if len(before) >= per_login:  # the login's oldest was asked to close
                assert before[0].reason is not None
            live = [t for t in live if t.reason is None] + [ticket]
        else:
            mine = [ticket for ticket in live if ticket.login == login]
            if mine:
                mine[-1].release()
                live.remove(mine[-1])
        assert registry.count == len(live) <= max_streams
        for name in ("ann", "bob", "cy"):
            assert sum(ticket.login == name for ticket in live) <= per_login


def _sqlite_error(tmp_path: Path, content: bytes) -> DBAPIError:
    path = tmp_path / "odd.db"
    path.write_bytes(content)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT * FROM sqlite_master"))
    except DBAPIError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError("no error")


def test_real_sqlite_errors_are_recognised(tmp_path: Path) -> None:
    damaged = storage_fault(_sqlite_error(tmp_path, b"not a database at all" * 100))
    assert damaged is not None and damaged.lasting
    assert damaged.reason == "the file is not a database"
    path = tmp_path / "locked.db"
    holder, waiter = sqlite3.connect(path, timeout=0), sqlite3.connect(path, timeout=0)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError) as busy:
            waiter.execute("BEGIN IMMEDIATE")
    finally:
        holder.rollback()
        holder.close()
        waiter.close()
    passing = storage_fault(busy.value)
    assert passing is not None and not passing.lasting  # busy: 503, health unaffected
    assert storage_fault(ValueError("a bug")) is None
    assert storage_fault(sqlite3.IntegrityError("UNIQUE constraint failed")) is None


def test_database_names_in_messages_never_show_a_password() -> None:
    assert describe_database("sqlite:////srv/billing.db") == "database /srv/billing.db"
    named = describe_database("postgresql://billing:s3cret@db.example:5433/bills")
    assert named == "postgresql database bills on db.example:5433"
    assert "s3cret" not in named


def test_every_limit_flag_sets_its_setting_and_names_its_default() -> None:
    for name, shown in flag_defaults(server=True).items():
        default = ServerSettings.model_fields[name].get_default(call_default_factory=True)
        assert shown == ("none" if default == "" else str(default)), name
    for name, shown in flag_defaults(server=False).items():
        assert shown == str(GatewaySettings.model_fields[name].get_default()), name
    args = build_parser().parse_args(
        ["serve", "--max-body-bytes", "2048", "--forwarded-allow-ips", "10.0.0.1,10.0.0.2"]
    )
    given_ = {name: getattr(args, name) for name in SERVER_LIMITS if getattr(args, name)}
    assert given_ == {"max_body_bytes": 2048, "forwarded_allow_ips": "10.0.0.1,10.0.0.2"}
    settings = ServerSettings(**given_)
    assert settings.max_body_bytes == 2048
