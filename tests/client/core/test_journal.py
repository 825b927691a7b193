"""The offline journal: durable calls, in order, across processes and restarts."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from billclient.core.journal import Journal, JournalCall


def _begin(journal: Journal, session_id: str = "s1") -> None:
    journal.begin(
        session_id=session_id,
        service_id="call",
        started_at="2026-01-01T00:00:00+00:00",
        update_interval=1,
        granted_units=30,
        final=False,
        lock_name="run.lock",
    )


def test_calls_survive_reopening_and_resume_the_numbering(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path)
    _begin(journal)
    for seq in (1, 2, 3):
        journal.append("s1", JournalCall(seq, seq * 2, None, "t"))
    journal.acked("s1", 1, granted_units=32, final=True)
    journal.close()

    reopened = Journal(path)  # as after a crash
    (run,) = reopened.unsettled()
    assert run.last_seq == 3 and run.acked_units == 2
    assert [call.seq for call in run.pending] == [2, 3]
    assert run.granted_units == 32 and run.final
    reopened.discard("s1", [3])
    reopened.append("s1", JournalCall(3, 6, "user", "t"))
    (run,) = reopened.unsettled()
    assert run.pending[-1].is_end and run.last_seq == 3
    reopened.finish("s1", {"state": "ended", "charged": 7})
    assert reopened.unsettled() == []
    (done,) = reopened.finished()
    assert done.outcome == {"state": "ended", "charged": 7} and done.pending == ()


@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=30))
def test_pending_calls_come_back_in_seq_order(steps: list[tuple[int, bool]]) -> None:
    journal = Journal(Path(":memory:"))
    _begin(journal)
    used, acked = 0, 0
    for seq, (more, ack) in enumerate(steps, start=1):
        used += more
        journal.append("s1", JournalCall(seq, used, None, "t"))
        if ack and acked == seq - 1:  # answers come in order
            journal.acked("s1", seq)
            acked = seq
    (run,) = journal.unsettled()
    assert [call.seq for call in run.pending] == list(range(acked + 1, len(steps) + 1))
    assert run.last_seq == len(steps)
    journal.close()
