"""Credit-control sessions: opening, usage reports, ending, the reaper.

The public API other domains use: the :class:`SessionPolicy` (and its route
dependency), the one locked read of a session record and ending a session for the
server's own reason (support, suspension), and the session resource.
"""

from .ending import end_by_server
from .policy import Policy, SessionPolicy, session_policy
from .records import lock_session, resource
from .views import SESSION_COLUMNS, session_view

__all__ = [
    "SESSION_COLUMNS",
    "Policy",
    "SessionPolicy",
    "end_by_server",
    "lock_session",
    "resource",
    "session_policy",
    "session_view",
]
