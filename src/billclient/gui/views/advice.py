"""Advice of charge: what a service costs and what the balance buys, before it starts."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import BillingError
from billclient.core.words.prices import describe_rate
from billclient.protocol.catalog import Quote, Service, ServiceUnit

from ..context import GuiContext, describe_error
from ..formatting import format_money, format_money_exact, format_units

__all__ = ["AdviceDialog", "sample_units"]


def sample_units(service: Service) -> int:
    """A natural amount to quote: a minute, a megabyte, one event (or the rate's ``per``)."""
    if service.unit is ServiceUnit.SECOND:
        return 60
    if service.unit is ServiceUnit.BYTE:
        return 1_000_000
    return 1


class AdviceDialog(QDialog):
    """Price in words, setup fee and minimum, a quote for a sample amount, and how much of
    the service the available balance buys. Accept = start the service."""

    def __init__(
        self,
        ctx: GuiContext,
        service: Service,
        currency: str,
        available: int | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = service
        self.currency = currency
        self.available = available
        self.quote: Quote | None = None
        self.setWindowTitle(self.tr("Start %1?").replace("%1", service.name))
        self.setAccessibleName(self.tr("Advice of charge"))
        layout = QVBoxLayout(self)
        heading = QLabel(service.name, self)
        heading.setObjectName("Heading")
        layout.addWidget(heading)
        self.price = QLabel(describe_rate(service, currency), self)
        self.price.setWordWrap(True)
        self.price.setAccessibleDescription(self.tr("Price"))
        layout.addWidget(self.price)

        form = QFormLayout()
        rate = service.rate
        # catalogue prices, exact as in the price words above
        fee = format_money_exact(rate.setup_fee, currency) if rate.setup_fee else self.tr("none")
        self.setup_fee = QLabel(fee, self)
        form.addRow(self.tr("Setup fee per session:"), self.setup_fee)
        if rate.min_charge:
            form.addRow(
                self.tr("Minimum charge:"),
                QLabel(format_money_exact(rate.min_charge, currency), self),
            )
        self.sample = QLabel(self.tr("…"), self)
        self.sample.setWordWrap(True)
        form.addRow(
            self.tr("%1 costs now:").replace(
                "%1", format_units(sample_units(service), service.unit.value)
            ),
            self.sample,
        )
        self.buys = QLabel(self.tr("…"), self)
        self.buys.setWordWrap(True)
        self.buys.setAccessibleDescription(self.tr("What the balance buys"))
        form.addRow(self.tr("Your balance buys:"), self.buys)
        layout.addLayout(form)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName(self.tr("Asking the server for a quote"))
        self.progress.setMaximumHeight(6)
        self.progress.setTextVisible(False)
        layout.addWidget(self.progress)
        self.error = QLabel(self)
        self.error.setObjectName("ErrorText")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

        self.buttons = QDialogButtonBox(self)
        self.start_button = self.buttons.addButton(
            self.tr("&Start"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.start_button.setAccessibleName(self.tr("Start %1").replace("%1", service.name))
        self.start_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.task = ctx.run_task(self._load())

    async def _load(self) -> None:
        try:
            self.quote = await self.ctx.runner.quote(
                self.service.service_id, sample_units(self.service)
            )
        except BillingError as error:
            self.error.setText(self.tr("No quote: %1").replace("%1", describe_error(error)))
            self.error.show()
            self.sample.setText(self.tr("unknown"))
            self.buys.setText(self.tr("unknown"))
        else:
            self.show_quote(self.quote)
        finally:
            self.progress.hide()

    def show_quote(self, quote: Quote) -> None:
        """Fill in the server's advice of charge."""
        self.sample.setText(format_money(quote.charge, self.currency))
        unit = self.service.unit.value
        if quote.max_units is None:
            self.buys.setText(self.tr("as much as you like: this service is free"))
        elif quote.max_units == 0:
            self.buys.setText(self.tr("nothing: top up before starting"))
            self.start_button.setEnabled(False)
        else:
            text = self.tr("about %1").replace("%1", format_units(quote.max_units, unit))
            if self.available is not None:
                text += " " + self.tr("(available %1)").replace(
                    "%1", format_money(self.available, self.currency)
                )
            self.buys.setText(text)
