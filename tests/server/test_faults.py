"""Faults: servers killed with kill -9 mid-way, and every call retried on any server.

Real server processes share one database. A client that loses its server, or the
answer to a request, sends the same call again (same ``seq``, same ``used_units``)
to a server: the server replays the stored answer when the first copy was
committed and applies the call when it was not. Either way every session ends up
charged exactly what the catalogue says for all its units, once, and
``billserver verify`` finds the books balanced. Only HTTP and the real command are
used, so the tests run on any database engine the fixtures provide.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from operator import methodcaller
from typing import Any

import httpx
import pytest

from billclient.protocol.money import parse_money
from billclient.rating import Rate, billed_units, charge
from tests.support.api import Api
from tests.support.catalogs import BASE, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

SEED = 20260603
START = "100"  # every test account's balance: enough that no grant is ever cut short
MONEY = ("charged", "reserved")  # money members of a session answer compared here
UPDATE_FIGURES = (
    "seq",
    "used_units",
    "charged",
    "granted_units",
    "reserved",
    "final",
    "action",
    "reason",
)


def _catalogue_rates() -> dict[str, tuple[Rate, int]]:
    """The std plan's rate and grant size per service, read from the test catalogue."""
    services = {service["id"]: service for service in BASE["services"]}
    plan = next(plan for plan in BASE["plans"] if plan["id"] == "std")
    rates: dict[str, tuple[Rate, int]] = {}
    for row in plan["rates"]:
        service = services[row["service"]]
        fields = {key: value for key, value in row.items() if key != "service"}
        rates[row["service"]] = (Rate.from_text(unit=service["unit"], **fields), service["grant"])
    return rates


RATES = _catalogue_rates()


@pytest.fixture(scope="module")
def catalogued(module_servers: ServerFactory) -> ServerFactory:
    """The module's database with one account per test (one import for all)."""
    module_servers.import_catalog([account(name, START) for name in ("failover", "crash", "storm")])
    return module_servers


@pytest.fixture
def deployment(catalogued: ServerFactory) -> Iterator[ServerFactory]:
    """The module's database; the servers a test starts are stopped when it ends."""
    before = len(catalogued.servers)
    yield catalogued
    for server in catalogued.servers[before:]:
        server.stop()


def start(servers: ServerFactory, *server_ids: str) -> list[ServerProcess]:
    """Start servers on the database at the same time (each start waits for health)."""
    with ThreadPoolExecutor(max_workers=len(server_ids)) as pool:
        return list(pool.map(servers.start, server_ids))


@dataclass
class Session:
    """One live session as its client knows it: the last acknowledged seq and usage."""

    service_id: str
    session_id: str
    started: datetime
    opened: float  # time.monotonic() when the open answer arrived
    seq: int = 0
    used: int = 0
    last_answer: dict[str, Any] = field(default_factory=dict)
    failed_over: bool = False
    in_flight: list[str] = field(default_factory=list)  # what happened to lost answers
    pending: tuple[int, int] | None = None  # (seq, used_units) sent when the server died

    def next_used(self, rng: random.Random) -> int:
        """The cumulative usage of the next update: never down, within one grant."""
        grant = RATES[self.service_id][1]
        if self.service_id == "voice":  # seconds: never ahead of the wall clock
            return max(self.used, int(time.monotonic() - self.opened))
        return self.used + rng.randint(1, grant)

    def charge(self, used: int) -> int:
        """What the catalogue charges for ``used`` units, in micro-units."""
        return charge(RATES[self.service_id][0], self.started, used)

    def expected_update(self, seq: int, used: int) -> dict[str, Any]:
        """The figures of an accepted update on an account with money to spare."""
        granted = used + RATES[self.service_id][1]
        return {
            "seq": seq,
            "used_units": used,
            "charged": self.charge(used),
            "granted_units": granted,
            "reserved": self.charge(granted) - self.charge(used),
            "final": False,
            "action": "continue",
            "reason": None,
        }


def update_figures(answer: dict[str, Any]) -> dict[str, Any]:
    """The session's own figures of an update answer (money in micro-units)."""
    figures = {key: answer[key] for key in UPDATE_FIGURES}
    for key in MONEY:
        figures[key] = parse_money(answer[key])
    return figures


def check_ended(session: Session, answer: httpx.Response, seq: int) -> None:
    """An end answer: the session resource, ended, charged for all its units."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["state"], body["cause"], body["last_seq"]) == ("ended", "service_done", seq)
    assert (body["used_units"], body["unbilled_units"]) == (session.used, 0)
    assert parse_money(body["charged"]) == session.charge(session.used)
    assert parse_money(body["reserved"]) == 0
    assert body["cdr_id"]


def device(url: str, token: str) -> Api:
    """A client of ``url`` with an existing access token (tokens work on every server)."""
    api = Api(url)
    api.access = token
    return api


def open_sessions(api: Api, services: list[str]) -> list[Session]:
    """Open one session per service id, in order."""
    opened: list[Session] = []
    for service_id in services:
        answer = api.open(service_id)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        started = datetime.fromisoformat(body["started_at"])
        opened.append(Session(service_id, body["session_id"], started, time.monotonic()))
    return opened


def session_state(api: Api, session: Session) -> dict[str, Any]:
    """GET /v1/sessions/{id} from the server ``api`` points at."""
    answer = api.get(f"/v1/sessions/{session.session_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def check_books(api: Api, sessions: list[Session], servers: ServerFactory) -> None:
    """Each CDR shows all units charged once; the balance is the start minus the CDRs;
    ``billserver verify`` passes."""
    cdrs = api.get("/v1/cdrs", params={"limit": 1000}).json()
    assert len(cdrs) == len(sessions)  # one record per session, none superseded
    by_session = {cdr["session_id"]: cdr for cdr in cdrs}
    total = 0
    for session in sessions:
        cdr = by_session[session.session_id]
        rate = RATES[session.service_id][0]
        assert (cdr["used_units"], cdr["unbilled_units"]) == (session.used, 0), cdr
        assert cdr["billed_units"] == billed_units(rate, session.used), cdr
        assert parse_money(cdr["charged"]) == session.charge(session.used), cdr
        assert cdr["supersedes"] is None
        total += parse_money(cdr["charged"])
    figures = api.account()
    assert parse_money(figures["reserved"]) == 0
    assert parse_money(figures["balance"]) == parse_money(START) - total
    assert api.get("/v1/sessions", params={"state": "active"}).json() == []
    servers.verify()


# --- 1. failover ---------------------------------------------------------------------

FAILOVER_SERVICES = ["dl"] * 9 + ["sms"] * 8 + ["voice"] * 3
FAILOVER_UPDATES = 6


class Failover:
    """The clients of one test: every session sticks to the primary until a request
    to it fails in transport, then sends that same request to the secondary."""

    def __init__(self, primary: ServerProcess, secondary: ServerProcess, token: str) -> None:
        self.primary, self.secondary, self.token = primary, secondary, token
        self.killing = threading.Event()  # set just before the primary is killed
        self.lock = threading.Lock()
        self.acknowledged = 0

    def run(self, session: Session, rng: random.Random) -> None:
        """FAILOVER_UPDATES updates, then the end, each retried on failure."""
        api = device(self.primary.url, self.token)
        try:
            for _ in range(FAILOVER_UPDATES):
                time.sleep(rng.uniform(0, 0.03))
                seq, used = session.seq + 1, session.next_used(rng)
                answer = self.deliver(api, session, seq, used, end=False)
                assert answer.status_code == 200, answer.text
                body = answer.json()
                assert update_figures(body) == session.expected_update(seq, used)
                session.seq, session.used, session.last_answer = seq, used, body
                with self.lock:
                    self.acknowledged += 1
            seq = session.seq + 1
            check_ended(session, self.deliver(api, session, seq, session.used, end=True), seq)
            session.seq = seq
        finally:
            api.close()

    def deliver(
        self, api: Api, session: Session, seq: int, used: int, *, end: bool
    ) -> httpx.Response:
        """Send; on a transport failure of the primary, send the same call to the secondary."""

        def send() -> httpx.Response:
            if end:
                return api.end(session.session_id, seq, used, "service_done")
            return api.update(session.session_id, seq, used)

        sent_before_kill = not self.killing.is_set()
        try:
            return send()
        except httpx.TransportError:
            if api.url != self.primary.url or not self.killing.is_set():
                raise
        api.url = self.secondary.url
        session.failed_over = True
        seen = session_state(api, session)
        assert seen["last_seq"] in (seq - 1, seq), seen  # committed or not, nothing else
        committed = seen["last_seq"] == seq
        if sent_before_kill:
            session.in_flight.append("committed" if committed else "not committed")
        if not committed and session.last_answer:
            # the client cannot tell which answer was lost: the last acknowledged
            # update, sent again to the secondary, replays the primary's answer exactly
            again = api.update(session.session_id, session.seq, session.used)
            assert again.status_code == 200, again.text
            assert again.json() == session.last_answer
        return send()


def test_primary_killed_mid_way_sessions_finish_on_the_secondary(
    deployment: ServerFactory,
) -> None:
    """20 sessions on the primary, kill -9 mid-way (requests in flight), the same calls
    retried on the secondary replay or apply; all units charged once."""
    primary, secondary = start(deployment, "primary", "secondary")
    api = Api(primary.url, "failover")
    sessions = open_sessions(api, FAILOVER_SERVICES)
    clients = Failover(primary, secondary, str(api.access))
    half = len(sessions) * FAILOVER_UPDATES // 2
    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        runs = [
            pool.submit(clients.run, session, random.Random(f"{SEED}-failover-{index}"))
            for index, session in enumerate(sessions)
        ]
        deadline = time.monotonic() + 30
        while clients.acknowledged < half and time.monotonic() < deadline:
            if any(run.done() for run in runs):
                break  # a client failed: its error is raised below
            time.sleep(0.005)
        clients.killing.set()
        primary.kill()
        for run in runs:
            run.result()
    in_flight = [outcome for session in sessions for outcome in session.in_flight]
    print(
        f"failover: {sum(s.failed_over for s in sessions)} sessions failed over; "
        f"{in_flight.count('committed')} requests in flight at the kill were committed "
        f"by the primary, {in_flight.count('not committed')} were not"
    )
    assert sum(session.failed_over for session in sessions) >= len(sessions) // 2
    assert in_flight  # the kill caught requests between being sent and answered
    api.url = secondary.url
    cdrs = {cdr["session_id"]: cdr for cdr in api.get("/v1/cdrs", params={"limit": 1000}).json()}
    for session in sessions:
        seen = set(cdrs[session.session_id]["servers"])  # the servers that applied a call
        if not session.failed_over:
            assert seen == {"primary"}
        elif session.in_flight[-1:] != ["committed"]:  # not only the replayed end
            assert seen == {"primary", "secondary"}
    check_books(api, sessions, deployment)


# --- 2. crash --------------------------------------------------------------------------

CRASH_SERVICES = ["dl", "sms"] * 8
CRASH_ACKNOWLEDGED = 80  # updates answered before the kill
CRASH_MOST = 400  # updates per session at most (the kill comes long before)


class Burst:
    """Sessions sending updates back to back until their server dies."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.lock = threading.Lock()
        self.acknowledged = 0

    def run(self, session: Session, rng: random.Random) -> None:
        """Update until a request fails in transport; remember the one that failed."""
        api = device(self.url, self.token)
        try:
            for _ in range(CRASH_MOST):
                seq, used = session.seq + 1, session.next_used(rng)
                try:
                    answer = api.update(session.session_id, seq, used)
                except httpx.TransportError:
                    session.pending = (seq, used)
                    return
                assert answer.status_code == 200, answer.text
                assert update_figures(answer.json()) == session.expected_update(seq, used)
                session.seq, session.used = seq, used
                with self.lock:
                    self.acknowledged += 1
        finally:
            api.close()


def test_crash_under_load_loses_no_acknowledged_update(deployment: ServerFactory) -> None:
    """kill -9 the only server in a burst of updates, restart: verify passes and every
    acknowledged update is there; the unanswered ones, sent again, charge once."""
    (server,) = start(deployment, "solo")
    api = Api(server.url, "crash")
    sessions = open_sessions(api, CRASH_SERVICES)
    burst = Burst(server.url, str(api.access))
    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        runs = [
            pool.submit(burst.run, session, random.Random(f"{SEED}-crash-{index}"))
            for index, session in enumerate(sessions)
        ]
        deadline = time.monotonic() + 30
        while burst.acknowledged < CRASH_ACKNOWLEDGED and time.monotonic() < deadline:
            if any(run.done() for run in runs):
                break  # a client failed: its error is raised below
            time.sleep(0.005)
        server.kill()
        for run in runs:
            run.result()
    assert burst.acknowledged >= CRASH_ACKNOWLEDGED
    deployment.verify()  # the books balance with no server running

    api.url = deployment.start("solo").url  # restarted on the same database
    committed = 0
    for session in sessions:
        assert session.pending is not None  # every session was cut off mid-burst
        seen = session_state(api, session)
        assert seen["state"] == "active"
        # the acknowledged update is there; the one in flight may or may not be
        pending_seq, pending_used = session.pending
        assert seen["last_seq"] in (session.seq, pending_seq), (seen, session)
        used = pending_used if seen["last_seq"] == pending_seq else session.used
        committed += seen["last_seq"] == pending_seq
        assert seen["used_units"] == used
        assert parse_money(seen["charged"]) == session.charge(used)
        # the client sends the unanswered update again: replayed or applied, same figures
        again = api.update(session.session_id, pending_seq, pending_used)
        assert again.status_code == 200, again.text
        assert update_figures(again.json()) == session.expected_update(pending_seq, pending_used)
        session.seq, session.used = pending_seq, pending_used
        ended = api.end(session.session_id, pending_seq + 1, pending_used, "service_done")
        check_ended(session, ended, pending_seq + 1)
    print(
        f"crash: {burst.acknowledged} updates acknowledged before the kill; "
        f"{committed} of {len(sessions)} unanswered ones had been committed"
    )
    check_books(api, sessions, deployment)


# --- 3. retry storm --------------------------------------------------------------------

STORM_SERVICES = ["dl"] * 5 + ["sms"] * 5 + ["voice"] * 2
STORM_UPDATES = 5


class Storm:
    """Every call of a session sent 1-3 times to random servers, the copies one after
    another or all at the same moment; every copy must get the same answer."""

    def __init__(self, urls: list[str], token: str) -> None:
        self.urls, self.token = urls, token
        self.copies_sent = 0
        self.lock = threading.Lock()

    def run(self, index: int) -> Session:
        """Open, STORM_UPDATES updates and the end of one session, every call in copies."""
        rng = random.Random(f"{SEED}-storm-{index}")
        service_id = STORM_SERVICES[index]
        copies = [device(self.urls[0], self.token) for _ in range(3)]  # one client per copy
        try:
            opened = self.storm(rng, copies, methodcaller("open", service_id, f"storm-{index}"))
            assert opened.status_code == 201, opened.text
            body = opened.json()
            started = datetime.fromisoformat(body["started_at"])
            session = Session(service_id, body["session_id"], started, time.monotonic())
            sid = session.session_id
            for seq in range(1, STORM_UPDATES + 1):
                time.sleep(rng.uniform(0, 0.1))  # so that voice sessions see seconds pass
                used = session.next_used(rng)
                answer = self.storm(rng, copies, methodcaller("update", sid, seq, used))
                assert answer.status_code == 200, answer.text
                assert update_figures(answer.json()) == session.expected_update(seq, used)
                session.seq, session.used = seq, used
            seq = session.seq + 1
            end = methodcaller("end", sid, seq, session.used, "service_done")
            check_ended(session, self.storm(rng, copies, end), seq)
            session.seq = seq
            return session
        finally:
            for client in copies:
                client.close()

    def storm(
        self, rng: random.Random, clients: list[Api], send: Callable[[Api], httpx.Response]
    ) -> httpx.Response:
        """Send 1-3 copies to random servers; all answers must be the same."""
        count = rng.randint(1, 3)
        for client in clients[:count]:
            client.url = rng.choice(self.urls)
        if count > 1 and rng.random() < 0.5:  # all copies at the same moment
            with ThreadPoolExecutor(max_workers=count) as pool:
                answers = list(pool.map(send, clients[:count]))
        else:
            answers = [send(client) for client in clients[:count]]
        with self.lock:
            self.copies_sent += count
        first = answers[0]
        for answer in answers[1:]:
            assert (answer.status_code, answer.json()) == (first.status_code, first.json())
        return first


def test_retry_storm_through_two_servers_charges_exactly(deployment: ServerFactory) -> None:
    """Every call sent 1-3 times to random servers, sometimes at once: one answer per
    call, charges exact to the micro-unit."""
    pair = start(deployment, "alpha", "beta")
    api = Api(pair[0].url, "storm")
    storm = Storm([server.url for server in pair], str(api.access))
    with ThreadPoolExecutor(max_workers=len(STORM_SERVICES)) as pool:
        sessions = list(pool.map(storm.run, range(len(STORM_SERVICES))))
    calls = len(sessions) * (STORM_UPDATES + 2)
    print(f"storm: {storm.copies_sent} copies of {calls} calls")
    assert storm.copies_sent > calls
    check_books(api, sessions, deployment)
