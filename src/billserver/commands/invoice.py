"""``billserver invoice run``: the documents of one calendar month."""

from __future__ import annotations

import argparse

from .common import open_db, settings
from .failures import Failure

__all__ = ["cmd_invoice"]


def cmd_invoice(args: argparse.Namespace) -> int:
    from ..clock import now_us
    from ..db.existing import require_existing
    from ..invoices.run_summary import run_summary
    from ..invoices.service import run_period
    from ..ledger.actor import Actor
    from ..migrations.upgrade import upgrade

    config = settings(args, "db_url")
    if args.due_days < 0:
        raise Failure(f"--due-days must be >= 0, not {args.due_days}")
    require_existing(config.db_url)  # only reads one: never creates it
    engine = open_db(config.db_url)
    try:
        upgrade(engine)
        try:
            report = run_period(
                engine,
                args.period,
                actor=Actor.system("invoice-run", "cli"),
                now=now_us(),
                due_days=args.due_days,
            )
        except ValueError as error:
            raise Failure(str(error)) from None
    finally:
        engine.dispose()
    print(run_summary(args.period, report))
    return 0
