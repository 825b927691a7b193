"""``POST /v1/sessions/updates`` against a real server: each report answered exactly as
its single call, the envelope refused as a whole, and the update routes' fast front
answering byte for byte as the routes behind it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from billclient.protocol import MAX_REPORTS
from tests.support.api import Api, problem
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

ACCOUNTS = [
    account("twin-a", "0.2"),
    account("twin-b", "0.2"),
    account("stranger", "10"),
    account("envelope", "10"),
    account("front", "10"),
    account("route", "10"),
    account("closing", "10"),
    account("even-a", "0.05"),
    account("even-b", "0.05"),
]

PER_TWIN = ["dl", "dl", "sms", "dl", "dl", "dl"]  # s4 is ended before the rounds


@pytest.fixture(scope="module")
def server(module_servers: ServerFactory) -> Iterator[ServerProcess]:
    module_servers.import_catalog(ACCOUNTS)
    yield module_servers.start("batch")
    module_servers.verify()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _report(session_id: str, seq: Any, used: Any) -> dict[str, Any]:
    return {"session_id": session_id, "seq": seq, "used_units": used, "measured_at": _now()}


def _open_all(api: Api) -> list[str]:
    ids = []
    for service in PER_TWIN:
        answer = api.open(service)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["session_id"])
    assert api.end(ids[3], 1, 0).status_code == 200
    return ids


def _rounds(ids: list[str], foreign: str) -> list[list[dict[str, Any]]]:
    """Reports touching every answer of the single call; each session once per round."""
    s1, s2, s3, s4, s5, s6 = ids
    return [
        [
            _report(s1, 1, 1_000_000),  # 200
            _report(s2, 2, 10),  # 409 seq_conflict: skips ahead
            _report(s3, 1, 3),  # 200, three messages
            _report(s4, 2, 5),  # 409 session_ended, with the session resource
            _report(foreign, 1, 1),  # 404: another account's session
            _report("no-such-session", 1, 1),  # 404
            _report("x" * 201, 1, 1),  # 422: no id is that long
            _report(s5, 0, 10),  # 422: the body
            _report(s6, 1, -1),  # 422: the body
        ],
        [
            _report(s1, 1, 1_000_000),  # 200: an exact replay
            _report(s2, 1, 5),  # 200
            _report(s3, 1, 4),  # 409 seq_conflict: other figures
            _report(s5, 1, 10),  # 200
            {"session_id": s6, "seq": 1, "used_units": 1},  # 422: no measured_at
        ],
        [
            _report(s1, 2, 500),  # 422: cumulative usage cannot go down
            _report(s2, 1, 5),  # 200: replay
            _report(s3, 2, 4_000),  # 200, beyond what the account has: terminate
            _report(s5, 2, 9_000_000_000),  # 200, nothing left: terminate
        ],
    ]


def _single(api: Api, report: dict[str, Any]) -> tuple[int, Any]:
    body = {k: v for k, v in report.items() if k != "session_id"}
    answer = api.post(f"/v1/sessions/{report['session_id']}/updates", body)
    return answer.status_code, answer.json()


def _comparable(value: Any, names: dict[str, str]) -> Any:
    """``value`` with session ids renamed, and instants and CDR ids (which differ by twin)
    dropped."""
    if isinstance(value, dict):
        return {
            k: _comparable(v, names)
            for k, v in value.items()
            if k not in ("started_at", "ended_at", "cdr_id")
        }
    if isinstance(value, list | tuple):
        return [_comparable(v, names) for v in value]
    if isinstance(value, str):
        for old, new in names.items():
            value = value.replace(old, new)
    return value


def test_each_report_gets_exactly_what_its_single_call_answers(server: ServerProcess) -> None:
    foreign = Api(server.url, "stranger").open("dl").json()["session_id"]
    alone, batched = Api(server.url, "twin-a"), Api(server.url, "twin-b")
    ids_a, ids_b = _open_all(alone), _open_all(batched)
    names = dict(zip(ids_b, ids_a, strict=True))
    statuses = []
    for round_a, round_b in zip(_rounds(ids_a, foreign), _rounds(ids_b, foreign), strict=True):
        expected = [_single(alone, report) for report in round_a]
        answer = batched.post("/v1/sessions/updates", {"reports": round_b})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        results = answer.json()["results"]
        assert [r["session_id"] for r in results] == [r["session_id"] for r in round_b]
        got = [(r["status"], r["body"]) for r in results]
        assert _comparable(got, names) == _comparable(expected, {})
        statuses += [status for status, _body in expected]
    assert sorted(set(statuses)) == [200, 404, 409, 422]
    terminated = [body for status, body in expected if status == 200 and body["seq"] == 2]
    assert {body["action"] for body in terminated} == {"terminate"}
    for twin in (alone, batched):  # the same money moved on both
        figures = twin.account()
        assert (figures["balance"], figures["reserved"]) == (
            alone.account()["balance"],
            alone.account()["reserved"],
        )


def test_reports_that_all_succeed_are_answered_as_their_single_calls(
    server: ServerProcess,
) -> None:
    """No refusal: the reports share the transaction's deferred writes (one account
    update, one balance event), and each still gets its single call's answer, the
    account's figures after it included, up to a session stopped for want of money."""
    alone, batched = Api(server.url, "even-a"), Api(server.url, "even-b")
    ids_a, ids_b = ([a.open("dl").json()["session_id"] for _ in range(3)] for a in (alone, batched))
    names = dict(zip(ids_b, ids_a, strict=True))
    used = [[400_000, 700_000, 900_000], [1_500_000, 1_600_000, 9_000_000]]
    for seq, units in enumerate(used, start=1):
        expected = [
            _single(alone, _report(sid, seq, n)) for sid, n in zip(ids_a, units, strict=True)
        ]
        reports = [_report(sid, seq, n) for sid, n in zip(ids_b, units, strict=True)]
        answer = batched.post("/v1/sessions/updates", {"reports": reports})
        assert answer.status_code == 200, answer.text
        got = [(r["status"], r["body"]) for r in answer.json()["results"]]
        assert _comparable(got, names) == _comparable(expected, {})
        assert {status for status, _body in expected} == {200}
    assert expected[-1][1]["action"] == "terminate"
    assert len({body["balance"] for _status, body in expected}) == 3  # figures after each
    twin = {"account_id": "even-b", "name": "Account even-b"}
    assert batched.account() == alone.account() | twin


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ([], "not an object"),
        ({}, "no reports"),
        ({"reports": []}, "no report"),
        ({"reports": "x"}, "not a list"),
        ({"reports": [1]}, "a report that is not an object"),
        ({"reports": [{"seq": 1}]}, "a report without session_id"),
        ({"reports": [{"session_id": 7, "seq": 1}]}, "a session_id that is not text"),
        ({"reports": [], "more": 1}, "an unknown member"),
    ],
)
def test_a_malformed_envelope_is_422(server: ServerProcess, body: Any, why: str) -> None:
    api = Api(server.url, "envelope")
    problem(api.post("/v1/sessions/updates", body), 422, "validation_error")


def test_a_malformed_envelope_applies_nothing(server: ServerProcess) -> None:
    api = Api(server.url, "envelope")
    sid = api.open("dl").json()["session_id"]
    good = _report(sid, 1, 10)
    for reports in (
        [good, _report(sid, 2, 20)],  # the same session twice
        [good] + [_report(f"other-{n}", 1, 1) for n in range(MAX_REPORTS)],  # 501 reports
    ):
        problem(api.post("/v1/sessions/updates", {"reports": reports}), 422, "validation_error")
    not_json = api.request(
        "POST",
        "/v1/sessions/updates",
        content=b'{"reports": [',
        headers={"Content-Type": "application/json"},
    )
    problem(not_json, 422, "validation_error")
    assert api.get(f"/v1/sessions/{sid}").json()["last_seq"] == 0
    most = [good] + [_report(f"other-{n}", 1, 1) for n in range(MAX_REPORTS - 1)]
    answer = api.post("/v1/sessions/updates", {"reports": most})
    assert answer.status_code == 200
    assert [r["status"] for r in answer.json()["results"]] == [200] + [404] * (MAX_REPORTS - 1)
    assert api.get(f"/v1/sessions/{sid}").json()["last_seq"] == 1


def test_the_caller_must_be_signed_in(server: ServerProcess) -> None:
    api = Api(server.url, "envelope")
    sid = api.open("dl").json()["session_id"]
    body = {"reports": [_report(sid, 1, 10)]}
    problem(api.post("/v1/sessions/updates", body, auth=False), 401, "unauthorized")
    wrong = api.post("/v1/sessions/updates", body, headers={"Authorization": "Bearer nope"})
    problem(wrong, 401, "unauthorized")
    assert api.get(f"/v1/sessions/{sid}").json()["last_seq"] == 0


def test_the_front_answers_byte_for_byte_as_the_routes(server: ServerProcess) -> None:
    """A query string sends a call past the front to the routes themselves."""
    api, twin = Api(server.url, "front"), Api(server.url, "route")  # the same figures
    first, second = api.open("dl").json()["session_id"], twin.open("dl").json()["session_id"]
    for seq, used in ((1, 100), (1, 100), (1, 200), (3, 300), (2, 50)):
        body = {"seq": seq, "used_units": used, "measured_at": "2026-01-01T00:00:00Z"}
        front = api.post(f"/v1/sessions/{first}/updates", body)
        route = twin.post(f"/v1/sessions/{second}/updates?via=route", body)
        assert front.status_code == route.status_code
        assert front.headers["content-type"] == route.headers["content-type"]
        assert front.content.replace(first.encode(), second.encode()) == route.content
    reports = [{"session_id": first, "seq": 2, "used_units": 600, "measured_at": _now()}]
    texts = [
        api.request(
            "POST",
            "/v1/sessions/updates" + query,
            content=json.dumps({"reports": reports}),
            headers={"Content-Type": kind},
        )
        for query, kind in (("", "application/json"), ("", "text/plain"), ("?x=1", "x/y"))
    ]
    assert [t.status_code for t in texts] == [200, 200, 200]
    assert [t.json()["results"][0]["status"] for t in texts] == [200, 200, 200]  # replays
    assert texts[0].content == texts[1].content == texts[2].content


def test_a_retired_account_is_refused_alike_on_every_path(
    server: ServerProcess, module_servers: ServerFactory
) -> None:
    """Its sessions' updates move no money: the front, the route behind it and a batched
    report all answer the route's 403 ``account_inactive``, and nothing is applied.
    (Retiring waits for live sessions; the account is retired under them directly in
    the database, as a reservation taken over from a dead server can leave it.)"""
    api = Api(server.url, "closing")
    first, second = api.open("dl").json()["session_id"], api.open("dl").json()["session_id"]
    before = api.account()
    module_servers.sql("UPDATE accounts SET retired = :on WHERE account_id = 'closing'", on=True)
    try:
        body = {"seq": 1, "used_units": 100_000, "measured_at": _now()}
        front = api.post(f"/v1/sessions/{first}/updates", body)
        route = api.post(f"/v1/sessions/{first}/updates?via=route", body)
        batch = api.post("/v1/sessions/updates", {"reports": [{"session_id": second, **body}]})
    finally:
        module_servers.sql(
            "UPDATE accounts SET retired = :off WHERE account_id = 'closing'", off=False
        )
    problem(front, 403, "account_inactive")
    assert front.content == route.content
    assert batch.status_code == 200, batch.text
    [result] = batch.json()["results"]
    assert (result["status"], result["body"]) == (403, front.json())
    for sid in (first, second):
        assert api.get(f"/v1/sessions/{sid}").json()["last_seq"] == 0
    after = api.account()
    assert (after["balance"], after["reserved"]) == (before["balance"], before["reserved"])


def test_openapi_documents_the_batch(server: ServerProcess) -> None:
    schema = httpx.get(server.url + "/openapi.json", timeout=30).json()
    operation = schema["paths"]["/v1/sessions/updates"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SessionReports"}
    reports = schema["components"]["schemas"]["SessionReports"]["properties"]["reports"]
    assert reports["maxItems"] == MAX_REPORTS
    assert "200" in operation["responses"]
