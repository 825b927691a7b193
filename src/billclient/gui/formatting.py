"""Money, dates, units and durations for people, in the system locale (babel); money
in the currency's minor units except a running session's live meter.

The GUI's names for the client core's formatting (:mod:`billclient.core.words.formats`,
shared with the terminal client); :func:`billclient.gui.app.configure` makes the
shared words speak Qt's translations. Everything here is pure: no widgets, no I/O.
"""

from __future__ import annotations

from billclient.core.words.formats import (
    MICRO,
    current_locale,
    format_bytes,
    format_datetime,
    format_duration,
    format_money,
    format_money_exact,
    format_price,
    format_time,
    format_units,
    minor_units,
    set_locale,
)

__all__ = [
    "MICRO",
    "current_locale",
    "format_bytes",
    "format_datetime",
    "format_duration",
    "format_money",
    "format_money_exact",
    "format_price",
    "format_time",
    "format_units",
    "minor_units",
    "set_locale",
]
