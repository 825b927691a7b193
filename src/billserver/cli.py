"""The ``billserver`` command.

Exit status: 0 success; 1 the operation failed (an invalid catalogue, a rating
file with bad rows, books that do not balance, a server that could not start);
2 a usage error (unknown command or flag).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from billclient import __version__

from .limit_flags import HTTP_LIMITS, SERVER_LIMITS, add_http_limit_flags, add_server_limit_flags

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
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


_OPERATIONS = (
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


_GATEWAY = ("gateway_url", "gateway_secret", "gateway_tolerance", "gateway_tolerance_units")


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


def _gateway_error(error: Any) -> str:
    where = ".".join(map(str, error["loc"]))
    if where == "secret" and error["type"] == "missing":
        return "give --secret or set BILLSERVER_GATEWAY_SECRET (the billing servers' secret)"
    return f"--{where.replace('_', '-')}: {error['msg']}"


def _cmd_gateway(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from .gateway import GatewaySettings, run_gateway
    from .logging_setup import configure_logging

    names = ["host", "port", "billing", "files", "secret", "gateway_id"]
    names += ["poll_interval", "report_interval", "request_timeout", "stall_factor"]
    names += HTTP_LIMITS
    given = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    try:
        settings = GatewaySettings(**given)
    except ValidationError as error:
        raise _Failure("; ".join(_gateway_error(e) for e in error.errors())) from None
    if settings.files is not None and not settings.files.is_dir():
        raise _Failure(f"--files {settings.files}: not a directory")
    configure_logging()
    if run_gateway(settings) != 0:
        raise _Failure(f"could not serve on {settings.host}:{settings.port}")
    return 0


_BILLING = (
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        handler = _COMMANDS[args.command]
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except _Failure as failure:
        print(f"billserver {args.command}: {failure}", file=sys.stderr)
        return 1
    except Exception as error:  # a database or file that fails: one line, no traceback
        from .command_errors import one_line

        message = one_line(error, _db_url(args))
        if message is None:
            raise
        print(f"billserver {args.command}: {message}", file=sys.stderr)
        return 1


class _Failure(Exception):
    """A failure reported as one line (or a few) on stderr."""


def _db_url(args: argparse.Namespace) -> str | None:
    """The database URL the command used (flag, environment or default), if it has one."""
    if not hasattr(args, "db_url"):
        return None
    try:
        return str(_settings(args, "db_url").db_url)
    except _Failure:
        return str(args.db_url) if args.db_url else None


def _settings(args: argparse.Namespace, *names: str) -> Any:
    from pydantic import ValidationError

    from .config import ServerSettings

    given = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    try:
        return ServerSettings(**given)
    except ValidationError as error:
        raise _Failure("; ".join(str(e["msg"]) for e in error.errors())) from None


def _load(path: Path) -> Any:
    from .catalog import CatalogError, load_catalog

    try:
        return load_catalog(path)
    except CatalogError as error:
        if len(error.errors) == 1 and error.errors[0].startswith(str(path)):
            raise _Failure(error.errors[0]) from None  # already names the file: one line
        raise _Failure(f"{path}: {len(error.errors)} error(s)\n{error}") from None


def _import_into(engine: Any, path: Path, server_id: str) -> str:
    from .catalog import CatalogError
    from .catalog.importer import import_catalog

    catalog = _load(path)
    try:
        changes = import_catalog(engine, catalog, server_id=server_id)
    except CatalogError as error:
        raise _Failure(f"{path}: {error}") from None
    if not changes:
        return f"{path}: already up to date, nothing changed"
    return f"{path}: " + ", ".join(f"{n} {what}" for what, n in sorted(changes.items()))


def _cmd_import(args: argparse.Namespace) -> int:
    from .migrate import upgrade

    settings = _settings(args, "db_url")
    engine = _open(settings.db_url)
    try:
        upgrade(engine)
        print(_import_into(engine, args.file, "import"))
    finally:
        engine.dispose()
    return 0


def _open(url: str) -> Any:
    from sqlalchemy.exc import ArgumentError

    from .db import make_engine

    try:
        return make_engine(url)
    except (ArgumentError, ImportError) as error:
        raise _Failure(f"cannot use database {url!r}: {error}") from None


def _cmd_verify(args: argparse.Namespace) -> int:
    from .migrate import upgrade
    from .verify import verify

    settings = _settings(args, "db_url")
    engine = _open(settings.db_url)
    try:
        upgrade(engine)
        report = verify(engine)
    finally:
        engine.dispose()
    print(report.render())
    return 0 if report.ok else 1


def _cmd_invoice(args: argparse.Namespace) -> int:
    from .actor import Actor
    from .clock import now_us
    from .invoices.service import run_period
    from .migrate import upgrade

    settings = _settings(args, "db_url")
    if args.due_days < 0:
        raise _Failure(f"--due-days must be >= 0, not {args.due_days}")
    engine = _open(settings.db_url)
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
            raise _Failure(str(error)) from None
    finally:
        engine.dispose()
    print(
        f"period {args.period}: {len(report.issued)} issued, {len(report.drafted)} draft(s) "
        f"(the month has not ended), {len(report.unchanged)} already issued"
    )
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from .backup import BackupError, backup

    settings = _settings(args, "db_url")
    try:
        result = backup(settings.db_url, args.dest, overwrite=args.force)
    except BackupError as error:
        raise _Failure(str(error)) from None
    print(f"copied {result.source} to {result.destination} ({result.size} bytes)")
    return 0


def _cmd_rate(args: argparse.Namespace) -> int:
    from .rate_command import rate_usage

    catalog = _load(args.catalog)
    try:
        with open(args.usage, encoding="utf-8", newline="") as usage:
            if args.output is None:
                return rate_usage(catalog, usage, sys.stdout)
            with open(args.output, "w", encoding="utf-8", newline="") as output:
                return rate_usage(catalog, usage, output)
    except OSError as error:
        raise _Failure(f"{error.filename}: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise _Failure(f"{args.usage}: {error}") from None


_UPDATES = (
    "updates_repo",
    "updates_timestamp_key",
    "updates_timestamp_lifetime",
    "updates_resign_interval",
)


def _cmd_component(args: argparse.Namespace) -> int:
    from .components import commands

    try:
        if args.action == "init-keys":
            print(commands.init_keys(args.dir))
            return 0
        settings = _settings(args, "updates_repo")
        if settings.updates_repo is None:
            raise _Failure("no repository: give --repo DIR or set BILLSERVER_UPDATES_REPO")
        if args.action == "publish":
            message = commands.publish(
                settings.updates_repo,
                args.archive,
                args.component_version,
                args.keys,
                timestamp_lifetime=args.timestamp_lifetime,
                expires_days=args.expires_days,
            )
        elif args.action == "timestamp":
            message = commands.timestamp(
                settings.updates_repo, args.keys, lifetime=args.timestamp_lifetime
            )
        else:
            message = commands.status(settings.updates_repo)
    except commands.CommandError as error:
        raise _Failure(str(error)) from None
    print(message)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .guarded_http import uvicorn_options
    from .logging_setup import configure_logging
    from .migrate import upgrade
    from .storage import describe_database, probe_writable

    settings = _settings(
        args,
        "host",
        "port",
        "db_url",
        "catalog",
        "server_id",
        "advertise",
        "access_ttl",
        "reaper_interval",
        "heartbeat_interval",
        *_OPERATIONS,
        *_GATEWAY,
        "card_min",
        "card_max",
        "reconcile_interval",
        "sandbox_settle_after",
        *_UPDATES,
        *_BILLING,
        *SERVER_LIMITS,
    )
    configure_logging()
    engine = _open(settings.db_url)
    upgrade(engine)
    fault = probe_writable(engine)
    if fault is not None:  # refuse to start rather than answer 503 to everything
        raise _Failure(fault.explain(describe_database(settings.db_url)))
    if settings.catalog is not None:
        print(_import_into(engine, settings.catalog, settings.effective_server_id), file=sys.stderr)
    app = create_app(settings, engine)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        server_header=False,
        **uvicorn_options(settings, forwarded_allow_ips=settings.forwarded_allow_ips),
    )
    server = _graceful_server_class()(config)
    if settings.metrics_port is not None:
        return _serve_with_metrics(server, app, settings, engine)
    try:
        server.run()
    except SystemExit as exit_:  # uvicorn exits when it cannot bind
        raise _Failure(f"could not serve on {settings.host}:{settings.port}") from exit_
    return 0 if server.started else 1


def _serve_with_metrics(server: Any, app: Any, settings: Any, engine: Any) -> int:
    """Run the API server and the metrics listener in one event loop."""
    import asyncio
    import contextlib
    from collections.abc import Iterator

    import uvicorn

    from .metrics import metrics_app

    class QuietServer(uvicorn.Server):
        """The metrics listener: stops with the API server, leaves signals to it."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    metrics = QuietServer(
        uvicorn.Config(
            metrics_app(app.state.metrics, engine),
            host=settings.metrics_host,
            port=settings.metrics_port,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
        )
    )
    where = f"{settings.metrics_host}:{settings.metrics_port}"

    async def listen() -> None:
        try:
            await metrics.serve()
        except SystemExit:  # uvicorn exits when it cannot bind
            raise _Failure(f"could not serve metrics on {where}") from None

    async def both() -> int:
        listener = asyncio.create_task(listen())
        while not metrics.started and not listener.done():
            await asyncio.sleep(0.01)
        if listener.done():
            listener.result()  # raises the failure to bind
            raise _Failure(f"could not serve metrics on {where}")
        try:
            await server.serve()
        finally:
            metrics.should_exit = True
            await listener
        return 0 if server.started else 1

    try:
        return asyncio.run(both())
    except SystemExit as exit_:  # uvicorn exits when it cannot bind
        raise _Failure(f"could not serve on {settings.host}:{settings.port}") from exit_


def _graceful_server_class() -> Any:
    import contextlib
    from collections.abc import Iterator

    import uvicorn

    class GracefulServer(uvicorn.Server):
        """uvicorn's server, but a stop asked for by SIGTERM/SIGINT exits 0.

        uvicorn re-raises the captured signal after its graceful shutdown, which
        turns a clean stop into "killed by signal"; the shutdown has completed by
        then, so the process reports success instead.
        """

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                self._captured_signals.clear()

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            # open event streams end now: the graceful shutdown waits for open responses
            app: Any = self.config.app
            app.state.event_hub.stop()

    return GracefulServer


_COMMANDS = {
    "serve": _cmd_serve,
    "gateway": _cmd_gateway,
    "import": _cmd_import,
    "rate": _cmd_rate,
    "verify": _cmd_verify,
    "backup": _cmd_backup,
    "component": _cmd_component,
    "invoice": _cmd_invoice,
}
