"""Server URLs: https everywhere, plain http only to this machine (loopback)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .errors import InsecureServer

__all__ = ["check_server_url", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_server_url(url: str) -> str:
    """``url`` normalised (no trailing slash), or :class:`InsecureServer` / ValueError.

    Plain ``http`` is refused unless the host is this machine: tokens must never
    travel unencrypted over a network.
    """
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if "://" not in text and text:
        raise InsecureServer(
            f"{url!r} has no scheme: give https://{text} (or http:// for this machine)"
        )
    if scheme not in ("http", "https") or not parts.hostname:
        raise InsecureServer(f"{url!r} is not a server URL; give one like https://billing.example")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InsecureServer(f"{url!r}: a server URL has no query, fragment or user part")
    if scheme == "http" and not is_loopback(parts.hostname):
        raise InsecureServer(
            f"refusing plain http to {parts.hostname}: use https "
            "(plain http is allowed only to this machine)"
        )
    path = parts.path.rstrip("/")
    if path == "/v1" or path.endswith("/v1") or "/v1/" in path:
        base = f"{scheme}://{parts.netloc}{path[: path.find('/v1')]}"
        raise InsecureServer(
            f"{url!r} is an address inside the protocol (/v1): give the server's own "
            f"address, {base}"
        )
    return f"{scheme}://{parts.netloc}{path}"
