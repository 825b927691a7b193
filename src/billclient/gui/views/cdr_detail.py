"""One charge record explained: plan, usage, billed units, windows crossed, fees."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from billclient.core.words.prices import billing_steps, per_text, window_text
from billclient.core.words.rating import CdrExplanation, cause_text, explain_cdr
from billclient.protocol import Cdr, Service

from ..context import GuiContext
from ..formatting import (
    format_datetime,
    format_duration,
    format_money,
    format_money_exact,
    format_price,
    format_units,
)

__all__ = ["CdrDetailDialog"]


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".00"


class CdrDetailDialog(QDialog):
    """How ``cdr`` was rated; ``service`` (from the catalogue) gives the rate, ``currency``
    the account's currency. Without the service only the record's own figures show."""

    def __init__(
        self,
        ctx: GuiContext,
        cdr: Cdr,
        service: Service | None,
        currency: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.cdr = cdr
        self.service = service
        self.currency = currency
        self.explanation: CdrExplanation | None = (
            explain_cdr(cdr, service) if service is not None else None
        )
        self.setWindowTitle(self.tr("Charge record %1").replace("%1", cdr.cdr_id))
        self.setAccessibleName(self.tr("Charge record details"))
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)

        self.summary = QLabel(self)
        self.summary.setObjectName("Heading")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for key, title, text in self._rows():
            label = QLabel(text, self)
            label.setWordWrap(True)
            label.setAccessibleDescription(title)
            self.fields[key] = label
            form.addRow(title, label)
        layout.addLayout(form)

        self.segments = QTableWidget(0, 4, self)
        self.segments.setAccessibleName(self.tr("Price windows crossed"))
        self.segments.setHorizontalHeaderLabels(
            [self.tr("Billed units"), self.tr("Price"), self.tr("Window"), self.tr("Amount")]
        )
        self.segments.verticalHeader().hide()
        self.segments.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.segments.setTabKeyNavigation(False)
        self.segments.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.segments.horizontalHeader().setStretchLastSection(True)
        self._fill_segments()
        windows_title = QLabel(self.tr("Prices applied"), self)
        windows_title.setBuddy(self.segments)
        layout.addWidget(windows_title)
        layout.addWidget(self.segments, 1)

        self.totals = QLabel(self._totals_text(), self)
        self.totals.setWordWrap(True)
        self.totals.setAccessibleDescription(self.tr("How the charge adds up"))
        layout.addWidget(self.totals)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(self.tr("Close"))
        layout.addWidget(buttons)
        self.summary.setText(
            self.tr("%1: %2 charged")
            .replace("%1", service.name if service else cdr.service_id)
            .replace("%2", self._money(cdr.charged))
        )

    def _money(self, micro: int) -> str:
        """The record's charge: in the currency's minor units."""
        return format_money(micro, self.currency)

    def _exact(self, micro: int) -> str:
        """A figure of the rating explained: to the micro-unit, as it was computed."""
        return format_money_exact(micro, self.currency)

    def _units(self, count: int) -> str:
        return format_units(count, self.service.unit.value) if self.service else str(count)

    def _rows(self) -> list[tuple[str, str, str]]:
        cdr, service = self.cdr, self.service
        seconds = (cdr.ended_at - cdr.started_at).total_seconds()
        rows = [
            ("record", self.tr("Record"), cdr.cdr_id),
            ("service", self.tr("Service"), service.name if service else cdr.service_id),
            (
                "plan",
                self.tr("Plan"),
                self.tr("%1, version %2")
                .replace("%1", cdr.plan_id)
                .replace("%2", str(cdr.plan_version)),
            ),
            (
                "time",
                self.tr("Time"),
                self.tr("%1 to %2 (%3)")
                .replace("%1", format_datetime(cdr.started_at))
                .replace("%2", format_datetime(cdr.ended_at))
                .replace("%3", format_duration(seconds)),
            ),
            ("used", self.tr("Used"), self._units(cdr.used_units)),
        ]
        if cdr.unbilled_units:
            rows.append(
                (
                    "unbilled",
                    self.tr("Not charged"),
                    self.tr("%1 beyond what the balance covered").replace(
                        "%1", self._units(cdr.unbilled_units)
                    ),
                )
            )
        billed = self._units(cdr.billed_units)
        if service is not None:
            steps = billing_steps(
                service.unit, service.rate.first_increment, service.rate.increment
            )
            if steps:
                billed = f"{billed} ({steps})"
        rows.append(("billed", self.tr("Billed units"), billed))
        rows.append(("cause", self.tr("Ended"), cause_text(str(cdr.cause))))
        rows.append(("servers", self.tr("Handled by"), ", ".join(cdr.servers)))
        if cdr.supersedes:
            rows.append(
                (
                    "supersedes",
                    self.tr("Corrects"),
                    self.tr("record %1 (late usage was added)").replace("%1", cdr.supersedes),
                )
            )
        return rows

    def _fill_segments(self) -> None:
        explanation, service = self.explanation, self.service
        if explanation is None or service is None:
            self.segments.hide()
            return
        unit, per = service.unit, service.rate.per
        self.segments.setRowCount(len(explanation.segments))
        for row, line in enumerate(explanation.segments):
            price = format_price(_decimal_text(line.price), self.currency) + per_text(unit, per)
            if line.window is None:
                window = self.tr("base price")
            else:
                window = window_text(line.window, unit, per, self.currency)
            amount = format_price(_decimal_text(line.amount), self.currency)
            cells = [self._units(line.count), price, window, amount]
            for column, text in enumerate(cells):
                self.segments.setItem(row, column, QTableWidgetItem(text))

    def _totals_text(self) -> str:
        explanation = self.explanation
        if explanation is None:
            return self.tr(
                "The service is no longer in your plan, so the rate cannot be shown; "
                "the record's own figures are above."
            )
        parts = [
            self.tr("Usage %1").replace(
                "%1", format_price(_decimal_text(explanation.usage), self.currency)
            )
        ]
        if explanation.setup_fee:
            parts.append(self.tr("setup fee %1").replace("%1", self._exact(explanation.setup_fee)))
        text = " + ".join(parts)
        if explanation.minimum_applied:
            text = (
                self.tr("%1 is less than the minimum charge, so %2 is charged")
                .replace("%1", text)
                .replace("%2", self._exact(explanation.min_charge))
            )
        elif explanation.min_charge:
            text += self.tr(" (above the minimum charge of %1)").replace(
                "%1", self._exact(explanation.min_charge)
            )
        text += self.tr("; rounded: %1.").replace("%1", self._exact(explanation.charge))
        if not explanation.matches:
            text += " " + self.tr(
                "The record says %1: the plan's prices have changed since it was rated."
            ).replace("%1", self._money(self.cdr.charged))
        return text
