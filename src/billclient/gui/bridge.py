"""The one adapter from the core's event bus to Qt signals.

Bus handlers run on the thread of the core's event loop, which under qasync is the Qt
main thread, so each payload is emitted straight away, unchanged (the core's and the
protocol's own objects). Widgets connect to these signals and never to the bus.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QObject, Signal

from billclient.core.bus import EventBus, Topic

__all__ = ["Bridge"]


class Bridge(QObject):
    """Re-emits every topic of ``bus`` as the signal of the same name."""

    balance = Signal(object)
    """protocol ``BalanceEvent``."""
    session = Signal(object)
    """protocol ``SessionEvent``."""
    notice = Signal(object)
    """protocol ``NoticeEvent``."""
    topup = Signal(object)
    """how a top-up settled (``Topic.TOPUP``)."""
    connection = Signal(object)
    """``core.live.ConnectionState``."""
    pool = Signal(object)
    """``core.pool.PoolState``."""
    account = Signal(object)
    """protocol ``Account`` after a refresh."""
    run = Signal(object)
    """``core.sessions.RunProgress``."""

    TOPICS: ClassVar[dict[str, str]] = {
        Topic.BALANCE: "balance",
        Topic.SESSION: "session",
        Topic.NOTICE: "notice",
        Topic.TOPUP: "topup",
        Topic.CONNECTION: "connection",
        Topic.POOL: "pool",
        Topic.ACCOUNT: "account",
        Topic.RUN: "run",
    }
    """Bus topic -> signal name."""

    def __init__(self, bus: EventBus | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: list[Callable[[], None]] = []
        self.last: dict[str, Any] = {}
        """The latest payload of each signal, for views created after it was sent."""
        if bus is not None:
            self.attach(bus)

    def attach(self, bus: EventBus) -> None:
        """Listen to ``bus`` (the window may be built before the core is loaded)."""
        self.close()
        self._unsubscribe = [
            bus.subscribe(topic, self._emitter(name)) for topic, name in self.TOPICS.items()
        ]

    def _emitter(self, name: str) -> Callable[[Any], None]:
        def emit(payload: Any) -> None:
            self.last[name] = payload
            getattr(self, name).emit(payload)

        return emit

    def close(self) -> None:
        """Stop listening to the bus (idempotent)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
