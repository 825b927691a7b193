"""Instants as integer microseconds since the Unix epoch (UTC)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

__all__ = ["from_us", "now_us", "to_us"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    """The server's clock now."""
    return time.time_ns() // 1000


def to_us(instant: datetime) -> int:
    """An aware datetime as microseconds since the epoch."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=us)
