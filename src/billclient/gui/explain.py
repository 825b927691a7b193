"""How a session ended, and how it was billed, in plain words (pure functions)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from billclient.protocol.catalog import Service
from billclient.rating.engine import billed_units
from billclient.rating.rate import Rate

from .formatting import format_money, format_units
from .price_words import billing_steps

translate = QCoreApplication.translate
"""Qt's translation, under the name pyside6-lupdate looks for."""

__all__ = ["billed_for", "cause_text", "end_summary", "final_grant_text"]


def cause_text(cause: str | None, reason: str | None = None) -> str:
    """Why a session ended, as a sentence."""
    texts = {
        "user": translate("explain", "You stopped it."),
        "service_done": translate("explain", "It finished: the requested amount was used."),
        "credit_exhausted": translate(
            "explain",
            "The balance ran out: the last units it could pay for were used, so it stopped.",
        ),
        "gateway_closed": translate("explain", "The service provider closed the connection."),
        "client_error": translate("explain", "This app could not continue it and ended it."),
        "update_timeout": translate(
            "explain",
            "The billing server heard nothing from this device for too long and ended it.",
        ),
        "account_inactive": translate(
            "explain", "The account was suspended, which ends running services."
        ),
        "support": translate("explain", "Support ended it."),
    }
    text = texts.get(cause or "", translate("explain", "It ended."))
    if reason and cause in ("client_error", None):
        text += " " + translate("explain", "(%1)").replace("%1", reason)
    return text


def billed_for(service: Service, used_units: int) -> int:
    """The units billed for ``used_units`` under the service's increments."""
    rate = Rate.from_text(unit=service.unit.value, **service.rate.model_dump(mode="json"))
    return billed_units(rate, used_units)


def end_summary(
    service: Service | None, used_units: int, charged: int, currency: str, unit: str = ""
) -> str:
    """``"Used 2 min 5 s, billed 2 min 5 s (billed per second after the first minute);
    charged €0.1875."``"""
    unit_name = service.unit.value if service is not None else unit
    used = format_units(used_units, unit_name)
    money = format_money(charged, currency)
    if service is None:
        return translate("explain", "Used %1; charged %2.").replace("%1", used).replace("%2", money)
    billed = billed_for(service, used_units)
    steps = billing_steps(service.unit, service.rate.first_increment, service.rate.increment)
    if billed == used_units or not steps:
        return translate("explain", "Used %1; charged %2.").replace("%1", used).replace("%2", money)
    return (
        translate("explain", "Used %1, billed as %2 (%3); charged %4.")
        .replace("%1", used)
        .replace("%2", format_units(billed, unit_name))
        .replace("%3", steps)
        .replace("%4", money)
    )


def final_grant_text(granted_units: int, unit: str) -> str:
    """What a final grant means for the person."""
    return translate(
        "explain", "Final grant: the balance covers up to %1 in total; the service stops there."
    ).replace("%1", format_units(granted_units, unit))
