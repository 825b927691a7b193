"""Live events: rows in the event table, read by every server process."""

from .store import append_balance, append_event

__all__ = ["append_balance", "append_event"]
