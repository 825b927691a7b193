"""The ``billclient`` command line: commands, options and help."""

from __future__ import annotations

import argparse

from billclient import __version__

from .exits import EPILOG

__all__ = ["build_parser", "positive_int"]


def positive_int(text: str) -> int:
    """An integer >= 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"billclient: {message} (see {self.prog} --help)\n")


def _common(yes: bool = False) -> _Parser:
    """Options every command takes (also accepted before the command)."""
    parent = _Parser(add_help=False)
    parent.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON, one per line"
    )
    parent.add_argument(
        "--profile",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="use profile NAME (own servers, tokens and data; default: default)",
    )
    if yes:
        parent.add_argument(
            "--yes",
            "-y",
            action="store_true",
            default=False,
            help="do not ask for confirmation (needed without a terminal)",
        )
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = _Parser(
        prog="billclient",
        description=(
            "The billing client. With a command it runs in the terminal; without one it "
            "starts the graphical client. `billclient demo` runs the whole system on this "
            "machine (servers, gateway, demo accounts; needs the server extra)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"billclient {__version__}")
    parser.add_argument("--profile", metavar="NAME", default="default", help="profile to use")
    parser.add_argument("--json", action="store_true", default=False, help="print JSON")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, *, yes: bool = False) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[_common(yes)],
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    login = command("login", "sign this device in to a billing server")
    login.add_argument(
        "--server",
        action="append",
        required=True,
        metavar="URL",
        help="billing server URL (repeat for fail-over servers, primary first)",
    )
    login.add_argument("--user", required=True, metavar="LOGIN", help="your login")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    login.add_argument("--device-name", metavar="NAME", help="how this device is listed")
    login.add_argument(
        "--store-in-file",
        action="store_true",
        help=(
            "keep the sign-in in a file of the profile (mode 0600) instead of a keychain: "
            "for machines without one (over ssh, in a container); sets credential_store"
        ),
    )

    command("logout", "sign this device out (deletes it on the server and here)")
    command("status", "account, balance, servers; settles journaled sessions first")
    command("services", "the services of your plan and their prices")

    quote = command("quote", "advice of charge: what an amount of a service costs now")
    quote.add_argument("service", metavar="SERVICE")
    quote.add_argument("--units", type=positive_int, required=True, metavar="N")

    use = command("use", "run a metered service (shows the quote first)", yes=True)
    use.add_argument("service", metavar="SERVICE")
    amount = use.add_mutually_exclusive_group()
    amount.add_argument("--seconds", type=positive_int, metavar="N", help="run a time service N s")
    amount.add_argument("--units", type=positive_int, metavar="N", help="use N units")
    use.add_argument(
        "--file",
        metavar="NAME",
        help="download: the gateway's file to fetch (with --units N: N bytes of it)",
    )
    use.add_argument("--output", metavar="PATH", help="download: where to save it (default NAME)")
    use.add_argument(
        "--message",
        action="append",
        metavar="TEXT",
        help="messages: send TEXT (repeatable); --units N sends N numbered ones instead",
    )

    topup = command("topup", "add credit with a voucher or a card", yes=True)
    way = topup.add_mutually_exclusive_group(required=True)
    way.add_argument("--voucher", metavar="CODE", help="redeem a voucher code")
    way.add_argument("--amount", metavar="X", help="card payment of X (e.g. 20.00)")
    topup.add_argument("--card", metavar="TOKEN", help="card token (with --amount)")

    limits = command(
        "limits",
        "your spending limits: what was spent today and this month, and when they reset; "
        "--daily X / --monthly Y set one (none removes it), --clear removes both",
    )
    limits.add_argument("--daily", metavar="X", help="daily limit (e.g. 5.00, or none)")
    limits.add_argument("--monthly", metavar="Y", help="monthly limit (e.g. 50, or none)")
    limits.add_argument("--clear", action="store_true", help="remove both limits")

    history = command(
        "history",
        "your charge records (or --statement: money movements), newest first; "
        "history show RECORD explains how one was rated",
    )
    history.add_argument(
        "--limit", type=positive_int, default=20, metavar="N", help="how many (default 20)"
    )
    history.add_argument(
        "--before",
        metavar="WHEN|ID",
        help="only older ones: before a date or time (2026-11-20, 2026-11-20T14:00) or "
        "before a record (the id the previous page ends with)",
    )
    history.add_argument("--oldest-first", action="store_true", help="oldest first instead")
    history.add_argument(
        "--statement", action="store_true", help="money movements with running balance instead"
    )
    shows = history.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    show = shows.add_parser(
        "show",
        help="how one charge record was rated: price windows, increments, setup, minimum",
        parents=[_common()],
    )
    show.add_argument("record", metavar="RECORD", help="the record's id (cdr_id)")

    invoices = command(
        "invoices",
        "your invoices (postpaid) and statements (prepaid), newest month first",
    )
    invoices.add_argument("--limit", type=positive_int, default=24, metavar="N")
    invoices.add_argument(
        "--account", metavar="ID", help="support: one account's (default: every account's)"
    )
    actions = invoices.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.add_parser("show", help="one invoice with its lines", parents=[_common()]).add_argument(
        "invoice_id", metavar="ID"
    )
    pdf = actions.add_parser("pdf", help="save an invoice's PDF", parents=[_common()])
    pdf.add_argument("invoice_id", metavar="ID")
    pdf.add_argument("--output", required=True, metavar="FILE", help="where to write the PDF")
    pay = actions.add_parser(
        "pay", help="pay an issued or overdue invoice by card", parents=[_common(yes=True)]
    )
    pay.add_argument("invoice_id", metavar="ID")
    pay.add_argument("--card", required=True, metavar="TOKEN", help="card token (e.g. tok_visa)")

    command("watch", "live balance and events until Ctrl+C")

    devices = command("devices", "the devices signed in to your account", yes=True)
    devices.add_argument("--revoke", metavar="DEVICE_ID", help="sign a device out (lost laptop)")

    password = command("password", "change your password (signs out your other devices)")
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the old and the new password from standard input, one per line",
    )

    update = command("update", "update the billing component (verified, with roll-back)")
    update.add_argument("--check", action="store_true", help="only say whether one is available")

    shots = command(
        "screenshots",
        "save PNGs of the graphical client's screens (needs the server extra: a demo "
        "server runs on loopback)",
    )
    shots.add_argument("--out", required=True, metavar="DIR", help="where to write the PNGs")
    shots.add_argument("--lang", metavar="CODE", help="language of the screens, e.g. de")

    support = command("support", "support tools (support role only)")
    tools = support.add_subparsers(dest="tool", metavar="TOOL", required=True, parser_class=_Parser)

    def tool(name: str, help_text: str, *, yes: bool = False) -> argparse.ArgumentParser:
        return tools.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[_common(yes)],
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    tool("search", "find accounts by id, name or login").add_argument("query", metavar="Q")
    tool("account", "one account: figures, live sessions, last charges").add_argument(
        "account_id", metavar="ID"
    )
    tool("sessions", "live sessions of every account")
    adjust = tool("adjust", "credit (or, negative, debit) an account", yes=True)
    adjust.add_argument("account_id", metavar="ID")
    adjust.add_argument("--amount", required=True, metavar="X", help="e.g. 5.00 or -2.50")
    adjust.add_argument("--reason", required=True, metavar="R")
    tool("suspend", "suspend an account (ends its sessions)", yes=True).add_argument(
        "account_id", metavar="ID"
    )
    tool("resume", "make an account active again", yes=True).add_argument(
        "account_id", metavar="ID"
    )
    audit = tool("audit", "an account's audit trail: who changed what, when, from where")
    audit.add_argument("account_id", metavar="ID")
    audit.add_argument("--limit", type=positive_int, default=50, metavar="N")
    end = tool("end", "end a live session", yes=True)
    end.add_argument("session_id", metavar="SESSION")
    end.add_argument("--reason", required=True, metavar="R")
    return parser
