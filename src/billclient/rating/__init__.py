"""The rating rules of CATALOG.md as pure functions: no I/O, integers only.

A :class:`Rate` (with its time-of-day :class:`Window` prices) says how a plan
charges a service; :func:`charge` rates a usage record in micro-units,
:func:`billed_units` applies the increments, :func:`max_affordable_units` answers
"how much can this budget buy", and :func:`price_segments` explains a charge.
The server charges with these functions and the client estimates with them, so
both agree to the last micro-unit.
"""

from .engine import Segment, billed_units, charge, max_affordable_units, price_segments
from .rate import Rate, Unit, Window

__all__ = [
    "Rate",
    "Segment",
    "Unit",
    "Window",
    "billed_units",
    "charge",
    "max_affordable_units",
    "price_segments",
]
