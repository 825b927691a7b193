"""A small synchronous publish/subscribe bus: the core's events for the front ends.

Handlers run in the publisher's thread (the core's event loop). A failing handler is
logged and never breaks the publisher or the other handlers. The GUI bridges topics
to Qt signals; the CLI subscribes directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

__all__ = ["EventBus", "Handler", "Topic"]

_log = logging.getLogger(__name__)

Handler = Callable[[Any], None]


class Topic:
    """The bus's topic names."""

    BALANCE = "balance"
    """protocol ``BalanceEvent`` (live events)."""
    SESSION = "session"
    """protocol ``SessionEvent`` (live events)."""
    NOTICE = "notice"
    """protocol ``NoticeEvent`` (live events; every kind)."""
    TOPUP = "topup"
    """protocol ``TopUpNotice`` (live events: how a top-up settled), besides ``NOTICE``."""
    LIMIT = "limit"
    """protocol ``LimitEvent`` (live events: 80 % or 100 % of a spending limit spent)."""
    CONNECTION = "connection"
    """``core.live.ConnectionState``: live / reconnecting / offline since when."""
    POOL = "pool"
    """``core.pool.PoolState``: the server in use, whether it is the primary, since when."""
    ACCOUNT = "account"
    """protocol ``Account`` after a refresh."""
    RUN = "run"
    """``core.sessions.RunProgress`` (session runner progress)."""


class EventBus:
    """Topics to handlers; ``publish`` calls each subscribed handler in order."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler(payload)`` on every publish to ``topic``; returns an unsubscribe."""
        self._handlers.setdefault(topic, []).append(handler)

        def unsubscribe() -> None:
            handlers = self._handlers.get(topic, [])
            if handler in handlers:
                handlers.remove(handler)

        return unsubscribe

    def publish(self, topic: str, payload: Any) -> None:
        """Hand ``payload`` to every handler of ``topic``; handler errors are logged."""
        for handler in list(self._handlers.get(topic, ())):
            try:
                handler(payload)
            except Exception:
                _log.exception("a handler of %r failed", topic)

    def handlers(self, topic: str) -> int:
        """How many handlers ``topic`` has."""
        return len(self._handlers.get(topic, ()))
