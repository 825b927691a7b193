"""The ``billserver`` command line: every command and its flags."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from billclient import __version__

from .limit_flags import add_http_limit_flags, add_server_limit_flags

__all__ = ["BILLING", "GATEWAY", "OPERATIONS", "UPDATES", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="billserver",
        description="The billing server: rating, credit control, ledger and charge records.",
    )
    parser.add_argument("--version", action="version", version=f"billserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db_help = "SQLAlchemy database URL (default: SQLite in the platform's data directory)"

    serve = commands.add_parser("serve", help="run a billing server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8700)")
    serve.add_argument("--db", dest="db_url", help=db_help)
    serve.add_argument("--catalog", type=Path, help="import this catalogue before serving")
    serve.add_argument("--server-id", help="this process's id in CDRs (default host:port)")
    serve.add_argument(
        "--advertise",
        action="append",
        metavar="URL",
        help="a server URL clients may fail over to, primary first (repeatable)",
    )
    serve.add_argument("--access-ttl", type=int, help="access token lifetime in seconds")
    serve.add_argument("--reaper-interval", type=float, help="seconds between reaper runs")
    serve.add_argument(
        "--heartbeat",
        dest="heartbeat_interval",
        type=float,
        metavar="SECONDS",
        help="seconds of silence before an event stream sends a heartbeat (default 15)",
    )
    _operations_flags(serve)
    add_server_limit_flags(serve)
    updates = serve.add_argument_group("signed component updates")
    updates.add_argument(
        "--updates-repo",
        type=Path,
        metavar="DIR",
        help="serve this TUF repository under /v1/updates/ (shared by all servers)",
    )
    updates.add_argument(
        "--updates-timestamp-key",
        type=Path,
        metavar="FILE",
        help="re-sign the timestamp metadata with this key, under the deployment lease",
    )
    updates.add_argument(
        "--updates-timestamp-lifetime",
        type=float,
        metavar="SECONDS",
        help="validity of a re-signed timestamp (default 86400)",
    )
    updates.add_argument(
        "--updates-resign-interval",
        type=float,
        metavar="SECONDS",
        help="seconds between re-signing checks (default 60)",
    )
    _gateway_flags(serve)
    serve.add_argument("--card-min", metavar="AMOUNT", help="smallest card top-up (default 1.00)")
    serve.add_argument("--card-max", metavar="AMOUNT", help="largest card top-up (default 1000.00)")
    serve.add_argument(
        "--reconcile-interval",
        type=float,
        help="seconds between reconciliations of pending card top-ups (default 2)",
    )
    serve.add_argument(
        "--sandbox-settle-after",
        type=float,
        help="sandbox card network: seconds until a tok_timeout charge succeeds (default 3)",
    )
    _billing_flags(serve)

    _gateway_parser(commands)

    imp = commands.add_parser("import", help="load a catalogue file (CATALOG.md)")
    imp.add_argument("file", type=Path, metavar="FILE.toml")
    imp.add_argument("--db", dest="db_url", help=db_help)

    rate = commands.add_parser("rate", help="rate a CSV of usage records offline")
    rate.add_argument("--catalog", type=Path, required=True, metavar="FILE.toml")
    rate.add_argument("--usage", type=Path, required=True, metavar="USAGE.csv")
    rate.add_argument("--output", type=Path, metavar="OUT.csv", help="default: standard output")

    verify = commands.add_parser("verify", help="prove that the books balance")
    verify.add_argument("--db", dest="db_url", help=db_help)

    _component_commands(commands)
    invoice = commands.add_parser("invoice", help="invoice runs (postpaid invoices, statements)")
    invoice_commands = invoice.add_subparsers(
        dest="invoice_command", required=True, metavar="ACTION"
    )
    run = invoice_commands.add_parser("run", help="write the documents of one calendar month")
    run.add_argument("--period", required=True, metavar="YYYY-MM", help="e.g. 2026-11")
    run.add_argument("--db", dest="db_url", help=db_help)
    run.add_argument("--due-days", type=int, default=14, help="days until due (default 14)")

    backup = commands.add_parser("backup", help="copy a SQLite database while servers run")
    backup.add_argument("dest", type=Path, metavar="DEST", help="a new file, or a directory")
    backup.add_argument("--db", dest="db_url", help=db_help)
    backup.add_argument("--force", action="store_true", help="replace DEST if it exists")
    return parser


def _component_commands(commands: Any) -> None:
    component = commands.add_parser(
        "component", help="signed billing-component updates (a TUF repository)"
    )
    actions = component.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = actions.add_parser(
        "init-keys", help="make the root, targets, snapshot and timestamp keys and root metadata"
    )
    init.add_argument("dir", type=Path, metavar="DIR")
    repo_help = "the repository directory (default: $BILLSERVER_UPDATES_REPO)"
    publish = actions.add_parser("publish", help="add a component archive to the repository")
    publish.add_argument("archive", type=Path, metavar="ARCHIVE")
    publish.add_argument("--version", required=True, dest="component_version", metavar="V")
    publish.add_argument("--keys", type=Path, required=True, metavar="DIR")
    publish.add_argument("--repo", type=Path, dest="updates_repo", metavar="DIR", help=repo_help)
    publish.add_argument(
        "--timestamp-lifetime",
        type=float,
        metavar="SECONDS",
        help="how long the new timestamp metadata is valid (default 86400)",
    )
    publish.add_argument(
        "--expires-days",
        type=float,
        help="how long the targets and snapshot metadata are valid (default 365)",
    )
    stamp = actions.add_parser("timestamp", help="re-sign the timestamp metadata now")
    stamp.add_argument("--keys", type=Path, required=True, metavar="DIR")
    stamp.add_argument("--repo", type=Path, dest="updates_repo", metavar="DIR", help=repo_help)
    stamp.add_argument("--timestamp-lifetime", type=float, metavar="SECONDS")
    status = actions.add_parser("status", help="list the published versions")
    status.add_argument("--repo", type=Path, dest="updates_repo", metavar="DIR", help=repo_help)


OPERATIONS = (
    "signin_max_failures",
    "signin_window",
    "signin_block",
    "signin_max_block",
    "metrics_host",
    "metrics_port",
    "keep_idempotency_hours",
    "keep_events_days",
    "keep_audit_days",
    "retention_interval",
)


def _operations_flags(serve: argparse.ArgumentParser) -> None:
    ops = serve.add_argument_group("sign-in throttling, metrics and retention")
    ops.add_argument(
        "--signin-max-failures", type=int, help="failed sign-ins before a block (default 5)"
    )
    ops.add_argument("--signin-window", type=float, help="failure window, seconds (default 300)")
    ops.add_argument(
        "--signin-block", type=float, help="first block, seconds; doubles (default 60)"
    )
    ops.add_argument("--signin-max-block", type=float, help="longest block, seconds (default 3600)")
    ops.add_argument(
        "--metrics-port", type=int, help="serve GET /metrics on this port (default off)"
    )
    ops.add_argument("--metrics-host", help="address of the metrics listener (default 127.0.0.1)")
    ops.add_argument(
        "--keep-idempotency-hours", type=float, help="keep idempotency keys (default 48, min 24)"
    )
    ops.add_argument("--keep-events-days", type=float, help="keep events (default 30; 0: forever)")
    ops.add_argument(
        "--keep-audit-days", type=float, help="keep audit rows (default 400; 0: forever)"
    )
    ops.add_argument(
        "--retention-interval", type=float, help="seconds between retention runs (default 600)"
    )


GATEWAY = ("gateway_url", "gateway_secret", "gateway_tolerance", "gateway_tolerance_units")


def _gateway_flags(serve: argparse.ArgumentParser) -> None:
    gateway = serve.add_argument_group("metering gateway")
    gateway.add_argument(
        "--gateway-url",
        metavar="URL",
        help="hand gateway-served sessions (stream, download, message) this gateway URL",
    )
    gateway.add_argument(
        "--gateway-secret",
        metavar="SECRET",
        help="secret shared with the gateway (or BILLSERVER_GATEWAY_SECRET; 16+ characters)",
    )
    gateway.add_argument(
        "--gateway-tolerance",
        type=float,
        metavar="FRACTION",
        help="flag gateway vs client counts differing by more than this fraction (0.02)",
    )
    gateway.add_argument(
        "--gateway-tolerance-units",
        type=int,
        metavar="UNITS",
        help="... and by more than this many units (default 2)",
    )


def _gateway_parser(commands: Any) -> None:
    gateway = commands.add_parser(
        "gateway", help="run a metering gateway (stream, download and message services)"
    )
    gateway.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    gateway.add_argument("--port", type=int, help="port to listen on (default 8701)")
    gateway.add_argument(
        "--billing",
        action="append",
        metavar="URL",
        required=True,
        help="a billing server URL, primary first (repeatable: fails over in order)",
    )
    gateway.add_argument("--files", type=Path, metavar="DIR", help="directory to serve downloads")
    gateway.add_argument(
        "--secret",
        metavar="SECRET",
        help="the billing servers' gateway secret (default: BILLSERVER_GATEWAY_SECRET)",
    )
    gateway.add_argument("--gateway-id", help="this gateway's id in the counts (default host:port)")
    gateway.add_argument(
        "--poll-interval", type=float, help="seconds between session status reads (0.25)"
    )
    gateway.add_argument(
        "--report-interval", type=float, help="seconds between served count reports (1)"
    )
    gateway.add_argument(
        "--request-timeout",
        type=float,
        help="seconds a billing server gets before the next is tried (1)",
    )
    gateway.add_argument(
        "--stall-factor",
        type=float,
        help="pause a session after this many update intervals without an update (2)",
    )
    add_http_limit_flags(gateway)


BILLING = (
    "invoice_schedule",
    "invoice_interval",
    "invoice_due_days",
    "charge_ttl",
    "autotopup_interval",
)


def _billing_flags(serve: argparse.ArgumentParser) -> None:
    jobs = serve.add_argument_group("invoices, application charges and auto top-up")
    jobs.add_argument(
        "--no-invoice-schedule",
        dest="invoice_schedule",
        action="store_const",
        const=False,
        help="no scheduled invoice runs in this server (run 'billserver invoice run' instead)",
    )
    jobs.add_argument(
        "--invoice-interval", type=float, help="seconds between scheduled invoice runs (3600)"
    )
    jobs.add_argument("--invoice-due-days", type=int, help="days until an invoice is due (14)")
    jobs.add_argument(
        "--charge-ttl", type=float, help="seconds an uncommitted charge stays reserved (300)"
    )
    jobs.add_argument(
        "--autotopup-interval", type=float, help="seconds between auto top-up rounds (2)"
    )


UPDATES = (
    "updates_repo",
    "updates_timestamp_key",
    "updates_timestamp_lifetime",
    "updates_resign_interval",
)
