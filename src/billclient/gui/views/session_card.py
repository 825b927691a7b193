"""A running session: used units, the granted-units bar, the charge ticking, Stop."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from billclient.core.sessions import RunningSession, RunProgress, RunState
from billclient.core.words.rating import cause_text, end_summary, final_grant_text
from billclient.protocol.catalog import Service

from ..context import GuiContext
from ..formatting import format_money, format_money_exact, format_units
from ..resources import icon
from ..widgets.badge import Badge
from ..widgets.gateway_panel import gateway_panel_for

__all__ = ["TICK_MS", "SessionCard"]

TICK_MS = 200
"""How often the card redraws the charge from the runner's local estimate (5 per second)."""

_STATE_LEVEL = {
    RunState.OPENING: "info",
    RunState.RUNNING: "ok",
    RunState.OFFLINE: "warn",
    RunState.STOPPING: "info",
    RunState.ENDED: "info",
    RunState.UNSETTLED: "warn",
    RunState.FAILED: "bad",
}


class SessionCard(QFrame):
    """One run of a service, from start to the explanation of its end."""

    finished = Signal(object)
    """The run ended (final ``RunProgress``)."""
    dismissed = Signal()
    """The person closed the card of an ended run."""

    def __init__(
        self,
        ctx: GuiContext,
        service: Service,
        run: RunningSession,
        currency: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = service
        self.run = run
        self.currency = currency
        self.ticks = 0
        self.ended = False
        self.setObjectName("Card")
        self.setAccessibleName(self.tr("Session of %1").replace("%1", service.name))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        top = QHBoxLayout()
        title = QLabel(service.name, self)
        title.setObjectName("Heading")
        title.setWordWrap(True)
        self.badge = Badge(self)
        top.addWidget(title)
        top.addWidget(self.badge)
        top.addStretch(1)
        self.charge = QLabel(self)
        self.charge.setObjectName("Heading")
        self.charge.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.charge)
        layout.addLayout(top)
        self.used = QLabel(self)
        layout.addWidget(self.used)
        self.grant = QProgressBar(self)
        self.grant.setAccessibleName(self.tr("Granted units used"))
        self.grant.setTextVisible(True)
        layout.addWidget(self.grant)
        self.gateway = gateway_panel_for(ctx, service, run, self)  # stream, download, messages
        if self.gateway is not None:
            layout.addWidget(self.gateway)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.hide()
        layout.addWidget(self.note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.stop_button = QPushButton(icon("stop"), self.tr("S&top"), self)
        self.stop_button.setAccessibleName(self.tr("Stop %1").replace("%1", service.name))
        self.stop_button.clicked.connect(self.stop)
        self.dismiss_button = QPushButton(self.tr("&Dismiss"), self)
        self.dismiss_button.setAccessibleName(
            self.tr("Dismiss the %1 session").replace("%1", service.name)
        )
        self.dismiss_button.clicked.connect(self.dismissed)
        self.dismiss_button.hide()
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.dismiss_button)
        layout.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        ctx.bridge.run.connect(self._on_run)
        self.refresh()

    @property
    def progress(self) -> RunProgress:
        """The run as it stands."""
        return self.run.progress

    @property
    def session_id(self) -> str:
        """The server's id of the session."""
        return self.run.session_id

    def stop(self) -> None:
        """Stop the service (the end is sent, journaled first)."""
        self.stop_button.setEnabled(False)
        self.stop_button.setText(self.tr("Stopping…"))
        self.ctx.run_task(self.run.stop("user"))

    def _on_run(self, progress: object) -> None:
        if isinstance(progress, RunProgress) and progress.session_id == self.session_id:
            self.refresh()

    def refresh(self) -> None:
        """Redraw from the runner's progress (the local estimate between server answers)."""
        progress = self.progress
        self.ticks += 1
        unit = self.service.unit.value
        over = progress.state in (RunState.ENDED, RunState.FAILED, RunState.UNSETTLED)
        # the live meter is exact (it moves by fractions of a cent); once the session is
        # over, its charge is money like any other: in the currency's minor units
        money = format_money if over else format_money_exact
        charge = money(progress.charged if over else progress.estimate, self.currency)
        self.charge.setText(charge)
        self.charge.setAccessibleName(self.tr("Charge so far: %1").replace("%1", charge))
        self.charge.setToolTip(
            self.tr("Confirmed by the server: %1").replace(
                "%1", money(progress.charged, self.currency)
            )
        )
        self.used.setText(
            self.tr("Used: %1").replace("%1", format_units(progress.used_units, unit))
        )
        granted = max(progress.granted_units, 1)
        self.grant.setMaximum(granted)
        self.grant.setValue(min(progress.used_units, granted))
        self.grant.setFormat(
            self.tr("%1 of %2 granted")
            .replace("%1", format_units(progress.used_units, unit))
            .replace("%2", format_units(progress.granted_units, unit))
        )
        self.badge.set_status(_STATE_LEVEL.get(progress.state, "info"), self._state_text(progress))
        if over:
            self._show_end(progress)
        elif progress.state == RunState.OFFLINE:
            self.note.setText(
                self.tr(
                    "No billing server answers: the service continues within the units "
                    "already granted, then stops."
                )
            )
            self.note.show()
        elif progress.final:
            self.note.setText(final_grant_text(progress.granted_units, unit))
            self.note.show()
        else:
            self.note.hide()

    def _state_text(self, progress: RunProgress) -> str:
        return {
            RunState.OPENING: self.tr("Starting"),
            RunState.RUNNING: self.tr("Running"),
            RunState.OFFLINE: self.tr("Offline"),
            RunState.STOPPING: self.tr("Stopping"),
            RunState.ENDED: self.tr("Ended"),
            RunState.UNSETTLED: self.tr("Not settled yet"),
            RunState.FAILED: self.tr("Failed"),
        }.get(progress.state, progress.state)

    def _show_end(self, progress: RunProgress) -> None:
        if self.ended:
            return
        self.ended = True
        self._timer.stop()
        summary = end_summary(self.service, progress.used_units, progress.charged, self.currency)
        if progress.state == RunState.ENDED:
            text = cause_text(progress.cause, progress.reason) + " " + summary
        else:
            text = (progress.reason or self.tr("It could not be settled.")) + " " + summary
        self.note.setText(text)
        self.note.setAccessibleName(text)
        self.note.show()
        self.stop_button.hide()
        self.dismiss_button.show()
        self.finished.emit(progress)
