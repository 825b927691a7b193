"""The connection indicator: live on the primary / on a secondary / offline, last synced."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QBoxLayout, QLabel, QWidget

from billclient.core.linkstate import ConnectionState, LinkStatus, PoolState

from ..formatting import format_time
from .badge import Badge

if TYPE_CHECKING:
    from ..context import GuiContext

translate = QCoreApplication.translate
"""Qt's translation, under the name pyside6-lupdate looks for."""

__all__ = ["ConnectionIndicator", "connection_summary", "is_live", "pool_summary"]


def is_live(connection: ConnectionState | None) -> bool:
    """Whether the live event stream is connected (figures are current)."""
    return connection is not None and connection.status is LinkStatus.LIVE


def connection_summary(
    connection: ConnectionState | None, primary: bool | None, last_synced: datetime | None
) -> tuple[str, str]:
    """``(level, text)`` for a connection state, whether the pool is on its primary,
    and when figures last arrived: ``("ok", "Live on primary")``,
    ``("bad", "Offline · last synced at 14:02:31")``."""
    state = connection.status.value if connection is not None else None
    synced = (
        translate("ConnectionIndicator", "last synced at %1").replace(
            "%1", format_time(last_synced)
        )
        if last_synced is not None
        else translate("ConnectionIndicator", "not synced yet")
    )
    if state == "live":
        if primary is False:
            return "warn", translate("ConnectionIndicator", "Live on secondary")
        return "ok", translate("ConnectionIndicator", "Live on primary")
    if state == "reconnecting":
        return "warn", translate("ConnectionIndicator", "Reconnecting") + " · " + synced
    if state == "offline":
        return "bad", translate("ConnectionIndicator", "Offline") + " · " + synced
    return "info", translate("ConnectionIndicator", "Connecting")


def pool_summary(primary: bool | None) -> tuple[str, str]:
    """For logins without a live stream (support, operator): which server answers."""
    if primary is None:
        return "info", translate("ConnectionIndicator", "Connecting")
    if primary:
        return "ok", translate("ConnectionIndicator", "Connected to primary")
    return "warn", translate("ConnectionIndicator", "Connected to secondary")


class ConnectionIndicator(QWidget):
    """Badge + server address kept current from the bridge's ``connection`` and ``pool``
    signals; side by side, or the address under the badge (:meth:`set_compact`)."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.badge = Badge(self)
        self.detail = QLabel(self)
        self.detail.setObjectName("Muted")
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        self._layout.addWidget(self.badge, 0, left)
        self._layout.addWidget(self.detail, 0, left)
        self._layout.addStretch(1)
        self.ctx = ctx
        # built before the core is loaded (the first window): not connected yet
        self._connection: ConnectionState | None = ctx.client.live.state if ctx.attached else None
        self._primary: bool | None = None
        self._synced: datetime | None = None
        self._server: str | None = None
        self._staff = ctx.role != "user"
        if self._staff:  # nothing is pushed: look at the pool now and then
            self._poll = QTimer(self)
            self._poll.timeout.connect(self._refresh)
            self._poll.start(5000)
        pool = ctx.bridge.pool.last
        if pool is not None:
            self._take_pool(pool)
        ctx.bridge.connection.connect(self._on_connection)
        ctx.bridge.pool.connect(self._on_pool)
        ctx.bridge.balance.connect(self._on_figures)
        ctx.bridge.account.connect(self._on_figures)
        self._refresh()

    def set_compact(self, compact: bool) -> None:
        """The address under the badge (a handheld's width holds one of them)."""
        self._layout.setDirection(
            QBoxLayout.Direction.TopToBottom if compact else QBoxLayout.Direction.LeftToRight
        )

    @property
    def live(self) -> bool:
        """Whether figures arrive live right now."""
        return is_live(self._connection)

    @property
    def level(self) -> str:
        """``ok``, ``warn``, ``bad`` or ``info`` (the badge's colour)."""
        return self.badge.level

    def text(self) -> str:
        """What the badge says."""
        return self.badge.text()

    def mark_synced(self, at: datetime) -> None:
        """Figures from a server arrived at ``at``."""
        if self._synced is None or at > self._synced:
            self._synced = at
            self._refresh()

    def _on_connection(self, state: ConnectionState) -> None:
        self._connection = state
        self._refresh()

    def _take_pool(self, pool: PoolState) -> None:
        self._primary = bool(pool.primary) if pool.server is not None else None
        self._server = pool.server
        if pool.last_success is not None:
            self.mark_synced(pool.last_success)

    def _on_pool(self, pool: PoolState) -> None:
        self._take_pool(pool)
        self._refresh()

    def _on_figures(self, _payload: object) -> None:
        self.mark_synced(datetime.now().astimezone())

    def _on_primary(self) -> bool | None:
        """Live: whether the stream's server is the first listed; else the pool's view."""
        if not self.ctx.attached:
            return self._primary
        connection, servers = self._connection, self.ctx.client.pool.servers
        if is_live(connection) and connection is not None and connection.server and servers:
            return connection.server == servers[0]
        return self._primary

    def _refresh(self) -> None:
        if self._staff and not self.ctx.attached:
            level, text = pool_summary(None)
        elif self._staff:
            state = self.ctx.client.pool.state  # staff have no account event stream
            level, text = pool_summary(state.primary if state.last_success else None)
        else:
            level, text = connection_summary(self._connection, self._on_primary(), self._synced)
        self.badge.set_status(
            level, text, translate("ConnectionIndicator", "Connection: %1").replace("%1", text)
        )
        server = (self._connection.server if self._connection else None) or self._server
        self.detail.setText(server or "")
        self.setToolTip(server or "")
