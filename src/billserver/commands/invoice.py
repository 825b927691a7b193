"""``billserver invoice run``: the documents of one calendar month."""

from __future__ import annotations

import argparse

from .common import Failure, open_db, settings

__all__ = ["cmd_invoice"]


def cmd_invoice(args: argparse.Namespace) -> int:
    from ..clock import now_us
    from ..invoices.service import run_period
    from ..ledger.actor import Actor
    from ..migrations.upgrade import upgrade

    config = settings(args, "db_url")
    if args.due_days < 0:
        raise Failure(f"--due-days must be >= 0, not {args.due_days}")
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
    print(
        f"period {args.period}: {len(report.issued)} issued, {len(report.drafted)} draft(s) "
        f"(the month has not ended), {len(report.unchanged)} already issued"
    )
    return 0
