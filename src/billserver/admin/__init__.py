"""The support API: searching and reading any account, status changes, adjustments,
ending sessions, the audit trail.

The public API other domains use: :func:`change_status` (the integration interface
sets statuses the same way support does).
"""

from .service import change_status

__all__ = ["change_status"]
