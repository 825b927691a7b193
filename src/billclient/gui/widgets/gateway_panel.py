"""The gateway part of a session card: stream state, download progress, a message box.

Shown for a session whose answer named a metering gateway. A stream is read as soon
as the card appears (its state: connecting, playing, waiting for a grant, ended); a
download asks for the file's name and shows its progress, saving it in the
Downloads folder; messages are typed and sent one by one and listed as the gateway
echoed them. The gateway's bytes and messages feed the session's meter (see
``billclient.core.gateway_run``); the widget only starts the core's work with
``ctx.run_task`` and shows what it reports.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from billclient.core.gateway_client import (
    GatewayProgress,
    GatewayState,
    GatewayUse,
    GatewayUseError,
    gateway_kind,
)
from billclient.core.gateway_run import SETTLED, GatewayOrder, consume
from billclient.core.sessions import RunningSession
from billclient.protocol.catalog import Service
from billclient.protocol.gateway import GatewayKind

from ..context import GuiContext
from ..formatting import format_units

__all__ = ["GatewayPanel", "gateway_panel_for"]


def gateway_panel_for(
    ctx: GuiContext, service: Service, run: RunningSession, parent: QWidget | None = None
) -> GatewayPanel | None:
    """The panel for ``run``, or None when its service is not gateway-served."""
    kind = gateway_kind(service.media)
    if run.gateway is None or kind is None:
        return None
    return GatewayPanel(ctx, service, run, kind, parent)


def _downloads_dir() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    return Path(found) if found else Path.home()


class GatewayPanel(QWidget):
    """What the gateway delivers to one session."""

    def __init__(
        self,
        ctx: GuiContext,
        service: Service,
        run: RunningSession,
        kind: GatewayKind,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.service, self.run, self.kind = ctx, service, run, kind
        self.last: GatewayProgress | None = None
        self.target_dir = _downloads_dir()
        self.setAccessibleName(self.tr("Delivery of %1").replace("%1", service.name))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.state.setAccessibleDescription(self.tr("Delivery state"))
        layout.addWidget(self.state)
        self.bar = QProgressBar(self)
        self.bar.setAccessibleName(self.tr("Download progress"))
        self.bar.hide()
        layout.addWidget(self.bar)
        self.messages = QListWidget(self)
        self.messages.setAccessibleName(self.tr("Messages sent"))
        self.messages.hide()
        layout.addWidget(self.messages)
        row = QHBoxLayout()
        self.entry = QLineEdit(self)
        self.button = QPushButton(self)
        row.addWidget(self.entry, 1)
        row.addWidget(self.button)
        layout.addLayout(row)
        self._sender: GatewayUse | None = None
        if kind is GatewayKind.STREAM:
            self.entry.hide()
            self.button.hide()
            self.state.setText(self.tr("Stream: connecting…"))
            ctx.run_task(consume(run, GatewayOrder(), on_change=self.show_progress))
        elif kind is GatewayKind.DOWNLOAD:
            self.entry.setPlaceholderText(self.tr("Name of the file to download"))
            self.entry.setAccessibleName(self.tr("File name"))
            self.button.setText(self.tr("&Download"))
            self.button.clicked.connect(self.download)
            self.entry.returnPressed.connect(self.download)
            self.state.setText(self.tr("Name a file to download."))
        else:
            self.entry.setPlaceholderText(self.tr("Type a message"))
            self.entry.setAccessibleName(self.tr("Message"))
            self.entry.setMaxLength(1000)
            self.button.setText(self.tr("S&end"))
            self.button.clicked.connect(self.send)
            self.entry.returnPressed.connect(self.send)
            self.messages.show()
            self.state.setText(self.tr("Each message sent is one event."))

    # -- actions -----------------------------------------------------------------------

    def download(self) -> None:
        """Download the named file into the Downloads folder (resumes when cut off)."""
        name = self.entry.text().strip()
        if not name or self._ended():
            return
        self.entry.setEnabled(False)
        self.button.setEnabled(False)
        self.bar.show()
        self.bar.setRange(0, 0)  # busy until the size is known
        order = GatewayOrder(name, self.target_dir / Path(name).name)
        self.ctx.run_task(consume(self.run, order, on_change=self.show_progress))

    def send(self) -> None:
        """Send the typed message (one event)."""
        text = self.entry.text().strip()
        if not text or self._ended():
            return
        self.entry.clear()
        if self._sender is None:
            assert self.run.gateway is not None
            self._sender = GatewayUse(
                self.run.gateway,
                self.kind,
                self.run,
                on_change=self.show_progress,
                alive=lambda: not self._ended(),
            )
        self.ctx.run_task(self._send(self._sender, text))

    async def _send(self, sender: GatewayUse, text: str) -> None:
        try:
            await sender.send([text])
        except GatewayUseError as error:
            self.state.setText(str(error))

    # -- showing -----------------------------------------------------------------------

    def show_progress(self, progress: GatewayProgress) -> None:
        """Redraw from the core's report (runs in the Qt thread: qasync)."""
        before, self.last = self.last, progress
        if self.kind is GatewayKind.STREAM:
            self.state.setText(self._stream_text(progress))
        elif self.kind is GatewayKind.DOWNLOAD:
            self._show_download(progress)
        else:
            shown = len(before.sent) if before is not None else 0
            for text in progress.sent[shown:]:
                self.messages.addItem(text)
            if progress.sent[shown:]:
                self.messages.scrollToBottom()
            self.state.setText(self._message_text(progress))
        if progress.state in (GatewayState.ENDED, GatewayState.FAILED, GatewayState.DONE):
            self.entry.setEnabled(self.kind is GatewayKind.MESSAGE and not self._ended())
            self.button.setEnabled(self.entry.isEnabled())

    def _stream_text(self, progress: GatewayProgress) -> str:
        received = format_units(progress.received, "byte")
        if progress.state is GatewayState.FLOWING:
            return self.tr("Stream: playing (%1 received)").replace("%1", received)
        if progress.state is GatewayState.PAUSED:
            return self.tr("Stream: paused, waiting for a grant (%1 received)").replace(
                "%1", received
            )
        if progress.state is GatewayState.CONNECTING:
            return self.tr("Stream: connecting…")
        return self.tr("Stream: ended (%1 received)").replace("%1", received)

    def _show_download(self, progress: GatewayProgress) -> None:
        total = progress.total
        if total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(min(1000, progress.received * 1000 // total))
            self.bar.setFormat(
                f"{format_units(progress.received, 'byte')} / {format_units(total, 'byte')}"
            )
        if progress.state is GatewayState.DONE:
            self.bar.setValue(self.bar.maximum())
            self.state.setText(self.tr("Saved to %1").replace("%1", progress.detail or ""))
        elif progress.state is GatewayState.PAUSED:
            self.state.setText(
                self.tr("Paused: %1").replace("%1", progress.detail or self.tr("waiting"))
            )
        elif progress.state in (GatewayState.ENDED, GatewayState.FAILED):
            self.state.setText(
                self.tr("Stopped: %1").replace("%1", progress.detail or self.tr("ended"))
            )
        else:
            self.state.setText(self.tr("Downloading…"))

    def _message_text(self, progress: GatewayProgress) -> str:
        if progress.state is GatewayState.PAUSED:
            return self.tr("Waiting for a grant to send the next message…")
        if progress.state in (GatewayState.ENDED, GatewayState.FAILED):
            return progress.detail or self.tr("The session has ended.")
        count = len(progress.sent)
        return self.tr("%n message(s) sent.", "", count)

    def _ended(self) -> bool:
        return self.run.progress.state in SETTLED
