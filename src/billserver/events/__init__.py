"""Live events: rows in the event table, read by every server process."""

from .notices import session_terminated_notice
from .store import (
    append_balance,
    append_event,
    append_figures,
    append_limit_notices,
    append_notice,
    limit_stop,
)

__all__ = [
    "append_balance",
    "append_event",
    "append_figures",
    "append_limit_notices",
    "append_notice",
    "limit_stop",
    "session_terminated_notice",
]
