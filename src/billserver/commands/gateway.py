"""``billserver gateway``: the metering gateway."""

from __future__ import annotations

import argparse
from typing import Any

from .failures import Failure
from .limit_flags import HTTP_LIMITS

__all__ = ["cmd_gateway"]


def _gateway_error(error: Any) -> str:
    where = ".".join(map(str, error["loc"]))
    if where == "secret" and error["type"] == "missing":
        return "give --secret or set BILLSERVER_GATEWAY_SECRET (the billing servers' secret)"
    return f"--{where.replace('_', '-')}: {error['msg']}"


def cmd_gateway(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from ..gateway import GatewaySettings, run_gateway
    from ..web.logs import configure_logging

    names = ["host", "port", "billing", "files", "secret", "gateway_id"]
    names += ["poll_interval", "report_interval", "request_timeout", "stall_factor"]
    names += HTTP_LIMITS
    given = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    try:
        settings = GatewaySettings(**given)
    except ValidationError as error:
        raise Failure("; ".join(_gateway_error(e) for e in error.errors())) from None
    if settings.files is not None and not settings.files.is_dir():
        raise Failure(f"--files {settings.files}: not a directory")
    configure_logging()
    if run_gateway(settings) != 0:
        raise Failure(f"could not serve on {settings.host}:{settings.port}")
    return 0
