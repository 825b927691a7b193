"""The runner's state machine, against a model server, under random event orders."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from billclient.core.sessions.machine import Call, Phase, RunMachine

GRANT = 10


@dataclass
class ModelServer:
    """Accepts calls in seq order; grants slide by GRANT units while the budget lasts."""

    budget_units: int
    last_seq: int = 0
    used: int = 0
    granted: int = GRANT
    final: bool = False
    ended: bool = False
    delivered: list[Call] = field(default_factory=list)

    def answer(self, call: Call) -> dict[str, object]:
        assert not self.ended, "a call arrived after the end"
        assert call.seq == self.last_seq + 1, (call.seq, self.last_seq)
        assert call.used_units >= self.used, "used_units went down"
        self.delivered.append(call)
        self.last_seq, self.used = call.seq, call.used_units
        if call.is_end:
            self.ended = True
            return {}
        self.granted = min(self.used + GRANT, self.budget_units)
        self.final = self.granted < self.used + GRANT
        terminate = self.final and self.used >= self.granted
        return {
            "used_units": self.used,
            "charged": self.used * 7,
            "granted_units": self.granted,
            "final": self.final,
            "terminate": terminate,
            "reason": "credit_exhausted" if terminate else None,
        }


events = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.floats(0.0, 3.0), st.integers(0, 4)),
        st.tuples(st.just("deliver"), st.just(0.0), st.just(0)),
        st.tuples(st.just("fail"), st.just(0.0), st.just(0)),
        st.tuples(st.just("stop"), st.just(0.0), st.just(0)),
    ),
    max_size=120,
)


@given(
    events=events,
    budget=st.integers(1, 80),
    limit=st.none() | st.integers(1, 60),
)
def test_calls_reach_the_server_in_order_and_respect_grants(
    events: list[tuple[str, float, int]], budget: int, limit: int | None
) -> None:
    server = ModelServer(budget_units=budget, granted=min(GRANT, budget))
    server.final = server.granted < GRANT
    machine = RunMachine(
        update_interval=1.0,
        granted_units=server.granted,
        final=server.final,
        now=0.0,
        limit_units=limit,
        answer_budget=4.0,
    )
    journal: dict[int, Call] = {}
    now, meter = 0.0, 0

    def record(calls: list[Call] | tuple[Call, ...]) -> None:
        for call in calls:
            assert call.seq not in journal
            journal[call.seq] = call

    for kind, dt, du in events:
        if kind == "tick":
            now, meter = now + dt, meter + du
            record(machine.tick(now, meter))
            if machine.phase is Phase.RUNNING:
                # a running service never goes past a grant it cannot renew
                assert machine.used_units < machine.granted_units or (
                    machine.online and not machine.final and not machine._overdue()
                )
                if limit is not None:
                    assert machine.used_units < limit
        elif kind == "stop":
            record(machine.stop("user"))
        elif (head := machine.head()) is not None:
            machine.sending(now)
            if kind == "fail":
                machine.unreachable(now)
                continue
            answer = server.answer(head)
            del journal[head.seq]
            if head.is_end:
                machine.ended(used_units=head.used_units, charged=0, cause=head.cause, cdr_id="c")
                continue
            change = machine.accepted(head.seq, **answer)  # type: ignore[arg-type]
            for seq in change.discarded:
                del journal[seq]
            record(change.added)
        # the journal's pending calls are exactly the machine's queue, in seq order
        assert [journal[seq] for seq in sorted(journal)] == machine.queue
        if limit is not None:
            assert all(call.used_units <= limit for call in machine.queue)

    ends = [call for call in server.delivered if call.is_end]
    assert len(ends) <= 1
    if ends:
        assert server.delivered[-1] is ends[0]
        assert machine.phase is Phase.ENDED


@given(st.lists(st.integers(0, 5), max_size=40), st.integers(0, 50))
def test_estimate_snaps_to_the_server_figure(steps: list[int], server_charge: int) -> None:
    def rate(units: int) -> int:
        return 100 + 3 * units if units else 0

    machine = RunMachine(update_interval=1000.0, granted_units=10**6, final=False, now=0.0)
    used = 0
    for step in steps:
        used += step
        machine.tick(0.0, used)
        assert machine.estimate(rate) == rate(used)  # nothing answered yet: all local
    head = machine.tick(2000.0, used)[0]
    machine.accepted(
        head.seq, used_units=used, charged=server_charge, granted_units=10**6, final=False
    )
    assert machine.estimate(rate) == server_charge  # snapped to the server's figure
    machine.tick(2001.0, used + 2)
    assert machine.estimate(rate) == server_charge + rate(used + 2) - rate(used)


def test_offline_run_stops_at_the_grant_and_says_why() -> None:
    machine = RunMachine(update_interval=1.0, granted_units=5, final=False, now=0.0)
    assert machine.tick(1.0, 1) == [Call(1, 1)]
    machine.unreachable(1.5)
    assert machine.tick(2.0, 2) == [Call(2, 2)]  # journaled behind the unanswered one
    assert machine.tick(2.5, 4) == []
    end = machine.tick(3.0, 5)
    assert end == [Call(3, 5, "credit_exhausted")]
    assert machine.reason is not None and "no billing server answered" in machine.reason
    assert [call.seq for call in machine.queue] == [1, 2, 3]


def test_a_call_unanswered_too_long_limits_the_run_to_its_grant() -> None:
    machine = RunMachine(
        update_interval=1.0, granted_units=3, final=False, now=0.0, answer_budget=2.0
    )
    assert machine.tick(1.0, 1) == [Call(1, 1)]
    machine.sending(1.0)
    assert machine.tick(2.0, 2) == [Call(2, 2)]
    assert machine.tick(2.9, 3) == []  # the server may still answer: ask again, no stop
    end = machine.tick(3.5, 3)
    assert end == [Call(3, 3, "credit_exhausted")]
    assert machine.online  # nothing failed outright; the answer was just too late


def test_terminate_drops_unsent_updates_and_the_end_takes_the_next_seq() -> None:
    machine = RunMachine(update_interval=1.0, granted_units=50, final=False, now=0.0)
    machine.tick(1.0, 1)
    machine.unreachable(1.2)
    machine.tick(2.0, 2)
    machine.tick(3.0, 3)
    change = machine.accepted(
        1,
        used_units=1,
        charged=5,
        granted_units=20,
        final=True,
        terminate=True,
        reason="update_timeout",
    )
    assert change.discarded == (2, 3)
    assert change.added == (Call(2, 3, "client_error"),)
    assert machine.queue == [Call(2, 3, "client_error")]


@given(st.lists(st.tuples(st.floats(0.0, 1.5), st.booleans()), max_size=60))
def test_joining_other_sessions_updates_never_sends_more_often_nor_later(
    steps: list[tuple[float, bool]],
) -> None:
    """``join`` (other sessions' updates are leaving) sends an update at least half an
    interval after the last one, and an update due on its own is never held back."""
    interval = 2.0
    machine = RunMachine(
        update_interval=interval, granted_units=10**9, final=False, now=0.0, answer_budget=9.0
    )
    last_sent, now = 0.0, 0.0
    for dt, join in steps:
        now += dt
        calls = machine.tick(now, int(now * 10), join=join)
        if now >= last_sent + interval:
            assert calls, "an update due alone was held back"
        if calls:
            assert now >= last_sent + interval / 2 - 1e-9
            if not join:
                assert now >= last_sent + interval - 1e-9
            last_sent = now
            machine.sending(now)
            machine.accepted(calls[0].seq, used_units=calls[0].used_units, charged=0,
                             granted_units=10**9, final=False)  # fmt: skip
