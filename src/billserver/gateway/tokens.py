"""Session gateway tokens: signed, so no server stores them and every server checks them.

Both sides of the gateway use them: the billing server issues them with a session
(``gateway_access``) and checks them on ``/v1/gateway`` calls; the gateway checks the
signature before it asks a billing server (a made-up token is refused at once).

A token is ``bcg_<session id>.<HMAC-SHA256 of the session id>`` keyed by a key derived
from the deployment's gateway secret. It only names a session: whether the session
may still be served (it is active) is checked at each admission, so a token of an
ended session is refused ("expired") without any revocation list.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["session_of", "session_token"]

_PREFIX = "bcg_"


def _key(secret: str) -> bytes:
    # the secret itself authenticates the gateway; tokens are signed with a derived key
    return hmac.new(secret.encode(), b"billclient session gateway token v1", "sha256").digest()


def _mac(secret: str, session_id: str) -> str:
    digest = hmac.new(_key(secret), session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def session_token(secret: str, session_id: str) -> str:
    """The gateway token of ``session_id``."""
    return f"{_PREFIX}{session_id}.{_mac(secret, session_id)}"


def session_of(secret: str, token: str) -> str | None:
    """The session a token names, or None when it is malformed or its signature is wrong.

    Any text is safe to pass: a token with characters outside ASCII (which no issued
    token has) is refused before any comparison, and the MACs are compared as bytes.
    """
    if not token.isascii() or not token.startswith(_PREFIX) or "." not in token:
        return None
    session_id, _, mac = token[len(_PREFIX) :].rpartition(".")
    if not session_id or not hmac.compare_digest(mac.encode(), _mac(secret, session_id).encode()):
        return None
    return session_id
