"""Group commit: shared transactions, isolated failures, answers only after the commit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, Table, event, insert, select

from billserver.db import make_engine
from billserver.sessions.group_commit import GroupCommitter

_metadata = MetaData()
_rows = Table("rows", _metadata, Column("n", Integer, primary_key=True))

Operation: TypeAlias = Callable[[Connection], int]


class Refused(Exception):
    """An operation that refuses after writing (its write must not survive)."""


def _count(path: Path) -> tuple[int, list[int]]:
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        numbers = sorted(conn.execute(select(_rows.c.n)).scalars())
    engine.dispose()
    return len(numbers), numbers


def test_batches_share_commits_and_failures_stay_isolated(tmp_path: Path) -> None:
    path = tmp_path / "group.db"
    engine = make_engine(f"sqlite:///{path}")
    _metadata.create_all(engine)
    committer = GroupCommitter(engine)
    started, release = threading.Event(), threading.Event()

    def blocker(conn: Connection) -> str:
        started.set()
        release.wait(30)  # holds the writer so that the others queue into one batch
        conn.execute(insert(_rows).values(n=-1))
        return "first"

    def operation(n: int) -> object:
        def run(conn: Connection) -> int:
            conn.execute(insert(_rows).values(n=n))
            if n % 3 == 0:
                raise Refused(n)
            if n == 10:
                conn.execute(insert(_rows).values(n=-1))  # a duplicate key: IntegrityError
            return n

        return run

    async def main() -> list[object]:
        first = asyncio.ensure_future(committer.run(blocker))
        while not started.is_set():
            await asyncio.sleep(0.01)
        rest = [asyncio.ensure_future(committer.run(operation(n), lock_key=str(n % 4)))
                for n in range(1, 31)]  # fmt: skip
        await asyncio.sleep(0.05)  # every one of them is queued by now
        assert not any(task.done() for task in rest)  # nothing answered before its commit
        release.set()
        return await asyncio.gather(first, *rest, return_exceptions=True)

    try:
        results = asyncio.run(main())
    finally:
        committer.close()
    assert results[0] == "first"
    for n, result in enumerate(results[1:], start=1):
        if n % 3 == 0:
            assert isinstance(result, Refused)
        elif n == 10:
            assert isinstance(result, Exception) and "UNIQUE" in str(result)
        else:
            assert result == n
    expected = sorted([-1] + [n for n in range(1, 31) if n % 3 and n != 10])
    assert _count(path) == (len(expected), expected)
    # the 30 queued operations shared one transaction (after the blocker's own)
    assert committer.operations == 31
    assert committer.batches == 2
    engine.dispose()


def test_an_operation_alone_in_its_batch_rolls_back_when_it_fails(tmp_path: Path) -> None:
    path = tmp_path / "group.db"
    engine = make_engine(f"sqlite:///{path}")
    _metadata.create_all(engine)
    committer = GroupCommitter(engine)

    def refuse(conn: Connection) -> None:
        conn.execute(insert(_rows).values(n=7))
        raise Refused(7)

    async def main() -> list[object]:
        first = await asyncio.gather(committer.run(refuse), return_exceptions=True)
        second = await committer.run(lambda conn: conn.execute(insert(_rows).values(n=8)).rowcount)
        return [*first, second]

    try:
        results = asyncio.run(main())
    finally:
        committer.close()
    assert isinstance(results[0], Refused)
    assert results[1] == 1
    assert _count(path) == (1, [8])
    engine.dispose()


def test_the_writer_keeps_its_connection_until_a_commit_fails(tmp_path: Path) -> None:
    """One connection serves the writer's transactions; a transaction that fails to
    commit gives it back (the next one starts on a connection checked afresh), and so
    does closing the committer."""
    path = tmp_path / "group.db"
    engine = make_engine(f"sqlite:///{path}")
    _metadata.create_all(engine)
    with engine.begin() as conn:  # a foreign key checked only at COMMIT
        conn.exec_driver_sql("CREATE TABLE parents (n INTEGER PRIMARY KEY)")
        conn.exec_driver_sql(
            "CREATE TABLE children (n INTEGER PRIMARY KEY, parent INTEGER "
            "REFERENCES parents (n) DEFERRABLE INITIALLY DEFERRED)"
        )
    committer = GroupCommitter(engine)
    pool = engine.pool
    connections: list[object] = []

    def insert_row(n: int) -> Operation:
        def operation(conn: Connection) -> int:
            connections.append(conn.connection.dbapi_connection)
            return conn.execute(insert(_rows).values(n=n)).rowcount

        return operation

    def orphan(conn: Connection) -> int:
        connections.append(conn.connection.dbapi_connection)
        return conn.exec_driver_sql("INSERT INTO children VALUES (1, 99)").rowcount

    async def main() -> list[object]:
        answers: list[object] = [await committer.run(insert_row(1))]
        answers.append(pool.checkedout())  # held between transactions
        answers.append(await committer.run(insert_row(2)))
        answers += await asyncio.gather(committer.run(orphan), return_exceptions=True)
        answers.append(pool.checkedout())  # given back after the failed commit
        answers.append(await committer.run(insert_row(3)))
        return answers

    try:
        answers = asyncio.run(main())
    finally:
        committer.close()
    assert answers[:3] == [1, 1, 1]
    assert "FOREIGN KEY" in str(answers[3])
    assert answers[4:] == [0, 1]
    assert pool.checkedout() == 0  # closing gave it back
    assert connections[0] is connections[1] is connections[2]
    assert _count(path) == (3, [1, 2, 3])
    engine.dispose()


def test_a_closed_committer_refuses_new_operations(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'group.db'}")
    committer = GroupCommitter(engine)
    committer.close()
    with pytest.raises(RuntimeError, match="shutting down"):
        asyncio.run(committer.run(lambda conn: None))
    engine.dispose()


class Gate:
    """Holds the writer inside an operation until opened (the next operations queue
    into one batch meanwhile)."""

    def __init__(self) -> None:
        self.holding, self.opened = threading.Event(), threading.Event()

    def hold(self) -> None:
        self.holding.set()
        self.opened.wait(30)

    async def reached(self) -> None:
        while not self.holding.is_set():
            await asyncio.sleep(0.01)


def test_savepoints_only_when_an_operation_of_the_batch_fails(tmp_path: Path) -> None:
    """A batch runs without savepoints; one with a failure is rolled back and run again,
    each operation in its own savepoint, and commits the others once; the batch after
    it starts isolated, the one after that without savepoints again."""
    path = tmp_path / "group.db"
    engine = make_engine(f"sqlite:///{path}")
    _metadata.create_all(engine)
    statements: list[str] = []
    event.listen(
        engine, "connect", lambda dbapi, _record: dbapi.set_trace_callback(statements.append)
    )
    engine.dispose()  # reconnect with the trace callback
    committer = GroupCommitter(engine)
    runs: dict[int, int] = {}

    def operation(n: int, *, fail: bool = False, gate: Gate | None = None) -> Operation:
        def run(conn: Connection) -> int:
            runs[n] = runs.get(n, 0) + 1
            conn.execute(insert(_rows).values(n=n))
            if fail:
                raise Refused(n)
            if gate is not None:
                gate.hold()
            return n

        return run

    def savepoints() -> int:
        return sum(s.upper().startswith("SAVEPOINT") for s in statements)

    async def batch_behind(gate: Gate, operations: list[Operation]) -> list[asyncio.Future[int]]:
        """``operations`` queued while ``gate`` holds the writer, then the gate opened."""
        await gate.reached()
        queued = [asyncio.ensure_future(committer.run(op)) for op in operations]
        await asyncio.sleep(0.05)  # every one of them is queued by now
        gate.opened.set()
        return queued

    async def main() -> None:
        first, second, third = Gate(), Gate(), Gate()
        held = asyncio.ensure_future(committer.run(operation(0, gate=first)))
        clean = await batch_behind(first, [operation(n) for n in (1, 2, 3)])
        assert [await held, *await asyncio.gather(*clean)] == [0, 1, 2, 3]
        assert runs == dict.fromkeys(range(4), 1)
        assert savepoints() == 0
        held = asyncio.ensure_future(committer.run(operation(10, gate=third)))
        failing = await batch_behind(
            third, [operation(4), operation(5, fail=True), operation(6, gate=second)]
        )
        # 6 holds the writer in the isolated run of its batch: 7 and 8 queue meanwhile
        after = await batch_behind(second, [operation(7), operation(8)])
        outcomes = await asyncio.gather(held, *failing, *after, return_exceptions=True)
        assert outcomes[0] == 10 and outcomes[1] == 4 and outcomes[3:] == [6, 7, 8]
        assert isinstance(outcomes[2], Refused)
        assert (runs[4], runs[5], runs[6], runs[7], runs[8]) == (2, 2, 1, 1, 1)
        assert savepoints() == 3 + 2  # the failing batch run again, then the next one
        last = Gate()
        held = asyncio.ensure_future(committer.run(operation(11, gate=last)))
        await asyncio.gather(held, *await batch_behind(last, [operation(12), operation(13)]))
        assert savepoints() == 5  # after a batch without failures: none again

    try:
        asyncio.run(main())
    finally:
        committer.close()
    assert _count(path) == (12, [0, 1, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13])
    engine.dispose()
