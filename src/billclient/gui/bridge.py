"""The one adapter from the core's event bus to Qt signals.

Bus handlers run on the thread of the core's event loop, which under qasync is the Qt
main thread, so each payload is emitted straight away, unchanged (the core's and the
protocol's own objects). Widgets connect to the bridge's channels and never to the bus.

Each topic is a typed :class:`Channel`: ``bridge.balance.connect(slot)`` takes a slot
of a ``BalanceEvent`` and mypy checks it; ``bridge.balance.last`` is the latest one
(for views created after it was sent). The Qt signal underneath carries ``object``:
the first window is built before pydantic and the protocol are imported, so the
payload classes are named for the type checker only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from billclient.core.bus import EventBus, Topic

if TYPE_CHECKING:
    from billclient.core.linkstate import ConnectionState, PoolState
    from billclient.core.sessions import RunProgress
    from billclient.protocol import (
        Account,
        BalanceEvent,
        LimitEvent,
        NoticeEvent,
        SessionEvent,
    )
    from billclient.protocol.funding import TopUpNotice

__all__ = ["Bridge", "Channel"]

P = TypeVar("P")


class _Relay(QObject):
    fired = Signal(object)


class Channel(Generic[P]):
    """One bus topic as a Qt signal with a payload type, and its latest payload."""

    def __init__(self, parent: QObject) -> None:
        self._relay = _Relay(parent)
        self.last: P | None = None
        """The latest payload (None before the first)."""

    def connect(self, slot: Callable[[P], object]) -> None:
        """Call ``slot(payload)`` on every payload (Qt drops it with its receiver)."""
        self._relay.fired.connect(slot)

    def disconnect(self, slot: Callable[[P], object]) -> None:
        """Stop calling ``slot``."""
        self._relay.fired.disconnect(slot)

    def emit(self, payload: P) -> None:
        """Keep ``payload`` as :attr:`last` and hand it to every slot."""
        self.last = payload
        self._relay.fired.emit(payload)


class Bridge(QObject):
    """Re-emits every topic of ``bus`` on the channel of the same name."""

    def __init__(self, bus: EventBus | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.balance: Channel[BalanceEvent] = Channel(self)
        self.session: Channel[SessionEvent] = Channel(self)
        self.notice: Channel[NoticeEvent] = Channel(self)
        self.topup: Channel[TopUpNotice] = Channel(self)
        """How a top-up settled."""
        self.limit: Channel[LimitEvent] = Channel(self)
        """A spending limit 80 % or fully spent."""
        self.connection: Channel[ConnectionState] = Channel(self)
        self.pool: Channel[PoolState] = Channel(self)
        self.account: Channel[Account] = Channel(self)
        """The account after a refresh."""
        self.run: Channel[RunProgress] = Channel(self)
        """A session run's progress."""
        self._unsubscribe: list[Callable[[], None]] = []
        if bus is not None:
            self.attach(bus)

    def channels(self) -> dict[str, Channel[Any]]:
        """Bus topic -> its channel."""
        return {
            Topic.BALANCE: self.balance,
            Topic.SESSION: self.session,
            Topic.NOTICE: self.notice,
            Topic.TOPUP: self.topup,
            Topic.LIMIT: self.limit,
            Topic.CONNECTION: self.connection,
            Topic.POOL: self.pool,
            Topic.ACCOUNT: self.account,
            Topic.RUN: self.run,
        }

    def attach(self, bus: EventBus) -> None:
        """Listen to ``bus`` (the window may be built before the core is loaded)."""
        self.close()
        self._unsubscribe = [
            bus.subscribe(topic, channel.emit) for topic, channel in self.channels().items()
        ]

    def close(self) -> None:
        """Stop listening to the bus (idempotent)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
