"""Spending limits over the API: reading and setting an account's daily and monthly
limits (the user's own, a parent's for its members, support's clearing). The rule
itself and the counters live in the money kernel (:mod:`billserver.ledger.limits`)."""

from .service import limits_view, read_limits, set_limits

__all__ = ["limits_view", "read_limits", "set_limits"]
