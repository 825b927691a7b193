"""Migration 0006: a session's last accepted report moves onto its row, and back.

Real servers write sessions and their reports; the database is then taken down to
revision 0005 (the table of reports, holding each session's last one), given earlier
reports as 0005 kept them, and brought up again: each session keeps its last report,
and a repeated call is answered exactly as before, on both engines.
"""

from __future__ import annotations

import json
from typing import Any

from alembic import command
from sqlalchemy import Engine

from billserver.db import make_engine
from billserver.migrations.upgrade import alembic_config, upgrade
from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory

BEFORE = "0005_spending_limits"


def _downgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, BEFORE)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_the_last_report_survives_a_downgrade_and_an_upgrade(servers: ServerFactory) -> None:
    servers.import_catalog([account("moved", "50")])
    api = Api(servers.start("before").url, "moved")
    running, ended = (api.open("dl").json()["session_id"] for _ in range(2))
    for seq in (1, 2):
        assert api.update(running, seq, seq * 1000).status_code == 200
    answer = api.update(running, 3, 5000)
    assert answer.status_code == 200, answer.text
    assert api.update(ended, 1, 700).status_code == 200
    end = api.end(ended, 2, 900)
    assert end.status_code == 200, end.text
    never = api.open("dl").json()["session_id"]  # no report yet
    api.close()
    servers.stop_all()
    stored = dict(servers.sql("SELECT session_id, last_report FROM sessions"))

    engine = make_engine(servers.db_url)
    try:
        _downgrade(engine)
        rows = servers.sql("SELECT session_id, seq, kind, response FROM session_updates")
        assert sorted((r[0], r[1], r[2]) for r in rows) == sorted(
            [(running, 3, "update"), (ended, 2, "end")]
        )
        servers.sql(  # as 0005 kept them: every report, the earlier ones too
            "INSERT INTO session_updates (session_id, seq, kind, used_units, cause,"
            " measured_at, received_at, server_id, response) SELECT session_id, seq - 1,"
            " kind, used_units - 1, cause, measured_at, received_at, server_id, :earlier"
            " FROM session_updates",
            earlier='{"earlier": true}',
        )
        upgrade(engine)
    finally:
        engine.dispose()
    assert dict(servers.sql("SELECT session_id, last_report FROM sessions")) == stored
    assert stored[never] is None
    report = _json(stored[running])
    assert (report["seq"], report["kind"], report["used_units"]) == (3, "update", 5000)

    again = Api(servers.start("after").url, "moved")
    try:  # the repeated calls are answered from what moved
        assert again.update(running, 3, 5000).json() == answer.json()
        assert again.end(ended, 2, 900).json() == end.json()
        assert again.update(running, 4, 6000).status_code == 200
    finally:
        again.close()
    servers.stop_all()
    servers.verify()
