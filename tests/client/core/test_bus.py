"""The event bus: order, unsubscribe, and a failing handler that breaks nothing."""

from __future__ import annotations

import logging

import pytest

from billclient.core.bus import EventBus, Topic


def test_handlers_run_in_order_and_can_unsubscribe() -> None:
    bus = EventBus()
    seen: list[tuple[str, object]] = []
    first = bus.subscribe(Topic.BALANCE, lambda p: seen.append(("first", p)))
    bus.subscribe(Topic.BALANCE, lambda p: seen.append(("second", p)))
    bus.subscribe(Topic.SESSION, lambda p: seen.append(("session", p)))
    bus.publish(Topic.BALANCE, 1)
    first()
    first()  # twice is harmless
    bus.publish(Topic.BALANCE, 2)
    bus.publish("nobody-listens", 3)
    assert seen == [("first", 1), ("second", 1), ("second", 2)]
    assert bus.handlers(Topic.BALANCE) == 1


def test_a_failing_handler_is_logged_and_breaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[object] = []

    def broken(_payload: object) -> None:
        raise RuntimeError("boom")

    bus.subscribe(Topic.NOTICE, broken)
    bus.subscribe(Topic.NOTICE, seen.append)
    with caplog.at_level(logging.ERROR, logger="billclient.core.bus"):
        bus.publish(Topic.NOTICE, "x")
    assert seen == ["x"]
    assert "a handler of 'notice' failed" in caplog.text


def test_a_handler_may_unsubscribe_while_being_called() -> None:
    bus = EventBus()
    seen: list[object] = []
    unsubscribe = bus.subscribe(Topic.POOL, lambda p: (seen.append(p), unsubscribe()))
    bus.publish(Topic.POOL, 1)
    bus.publish(Topic.POOL, 2)
    assert seen == [1]
