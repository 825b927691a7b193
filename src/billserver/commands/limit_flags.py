"""Command-line flags of the request limits (``billserver serve`` and ``gateway``).

Each flag sets the setting of the same name (``--max-body-bytes`` ->
``max_body_bytes``, also ``BILLSERVER_MAX_BODY_BYTES`` or, for the gateway,
``BILLSERVER_GATEWAY_MAX_BODY_BYTES``). The module imports nothing heavy, so that
building the command's parser stays fast; a test holds the defaults named in the
help to the settings' own.
"""

from __future__ import annotations

import argparse

__all__ = ["HTTP_LIMITS", "SERVER_LIMITS", "add_http_limit_flags", "add_server_limit_flags"]

_Flag = tuple[str, type, str, str]  # setting, type, metavar, help ending "(default X)"

_HTTP: tuple[_Flag, ...] = (
    ("max_body_bytes", int, "BYTES", "largest request body; 413 above it (default 1048576)"),
    ("header_timeout", float, "SECONDS", "time a request's headers may take (default 10.0)"),
    ("body_timeout", float, "SECONDS", "time a body may take after its headers (default 30.0)"),
    ("keep_alive_timeout", int, "SECONDS", "idle keep-alive connections close (default 20)"),
)
_SERVER: tuple[_Flag, ...] = (
    *_HTTP,
    (
        "max_batch_body_bytes",
        int,
        "BYTES",
        "largest body of POST /v1/integration/events (default 33554432)",
    ),
    (
        "events_recheck_interval",
        float,
        "SECONDS",
        "an event stream re-checks its token this often (default 5.0)",
    ),
    (
        "events_max_per_login",
        int,
        "N",
        "event streams per login; a new one closes the oldest (default 8)",
    ),
    ("events_max_streams", int, "N", "event streams of this process; 503 beyond (default 1000)"),
    (
        "forwarded_allow_ips",
        str,
        "ADDRESSES",
        "comma-separated proxies whose X-Forwarded-For is believed (default none)",
    ),
    (
        "signin_address_max_failures",
        int,
        "N",
        "failed sign-ins from one address before a block (default 50)",
    ),
    ("voucher_max_failures", int, "N", "wrong voucher codes of one account (default 10)"),
)

HTTP_LIMITS = tuple(flag[0] for flag in _HTTP)
"""Settings of :class:`billserver.config.HttpLimits` (the billing server and the gateway)."""

SERVER_LIMITS = tuple(flag[0] for flag in _SERVER)
"""The billing server's limits (``serve``)."""


def add_http_limit_flags(parser: argparse.ArgumentParser) -> None:
    """``--max-body-bytes``, ``--header-timeout``, ``--body-timeout``, ``--keep-alive-timeout``."""
    _add(parser, _HTTP)


def add_server_limit_flags(parser: argparse.ArgumentParser) -> None:
    """Every flag of :data:`SERVER_LIMITS`."""
    _add(parser, _SERVER)


def flag_defaults(server: bool) -> dict[str, str]:
    """The default each flag's help names, by setting (for the test that checks them)."""
    flags = _SERVER if server else _HTTP
    return {name: text.rsplit("(default ", 1)[1].rstrip(")") for name, _, _, text in flags}


def _add(parser: argparse.ArgumentParser, flags: tuple[_Flag, ...]) -> None:
    group = parser.add_argument_group("request limits (hostile or broken clients)")
    for name, kind, metavar, text in flags:
        group.add_argument("--" + name.replace("_", "-"), type=kind, metavar=metavar, help=text)
