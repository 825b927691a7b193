"""``billserver component``: signed billing-component releases."""

from __future__ import annotations

import argparse

from .common import settings
from .failures import Failure

__all__ = ["cmd_component"]


def cmd_component(args: argparse.Namespace) -> int:
    from ..components import commands

    try:
        if args.action == "init-keys":
            print(commands.init_keys(args.dir))
            return 0
        config = settings(args, "updates_repo")
        if config.updates_repo is None:
            raise Failure("no repository: give --repo DIR or set BILLSERVER_UPDATES_REPO")
        if args.action == "publish":
            message = commands.publish(
                config.updates_repo,
                args.archive,
                args.component_version,
                args.keys,
                timestamp_lifetime=args.timestamp_lifetime,
                expires_days=args.expires_days,
            )
        elif args.action == "timestamp":
            message = commands.timestamp(
                config.updates_repo, args.keys, lifetime=args.timestamp_lifetime
            )
        else:
            message = commands.status(config.updates_repo)
    except commands.CommandError as error:
        raise Failure(str(error)) from None
    print(message)
    return 0
