"""A guard against a reference-count bug of PySide6 6.12 on Python 3.11.

PySide6 6.12's bindings return ``None`` from every void method (``setText``,
``update``, ``repaint``, ...) without taking a reference to it, as if ``None`` were
immortal (which it is from Python 3.12 on). On 3.11 each such call takes one
reference from ``None``; after some tens of thousands of calls (minutes of a running
session) its count reaches zero and the interpreter aborts ("none_dealloc:
deallocating None"). :func:`guard_none` gives ``None`` so many references that this
never happens, which is what Python 3.12 does by making it immortal.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["NONE_RESERVE", "guard_none"]

NONE_RESERVE = 1 << 40
"""References added to ``None``: at a million void calls a second, 12 days' worth."""

_guarded = False


def guard_none() -> bool:
    """Add :data:`NONE_RESERVE` references to ``None`` once, on Python < 3.12 release
    builds (where the count is the object's first field); True when it did."""
    global _guarded
    if _guarded or sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):
        return False
    count = ctypes.c_ssize_t.from_address(id(None))
    if abs(count.value - sys.getrefcount(None)) > 2:
        return False  # not the layout expected: leave it alone
    count.value += NONE_RESERVE
    _guarded = True
    return True
