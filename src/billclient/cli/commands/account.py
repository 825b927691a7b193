"""Commands about this device and the account: login, logout, status, devices, password."""

from __future__ import annotations

import getpass
import platform
import socket
import sys

from billclient.core.errors import NotFound
from billclient.core.sessions import RunProgress
from billclient.core.urls import check_server_url
from billclient.protocol.money import format_money

from ..context import Context
from ..exits import AUTH, OK, USAGE, CliError
from ..output import money
from .running import lasting, running_now, running_rows
from .update import pin_update_root

__all__ = [
    "recovered_line",
    "run_devices",
    "run_login",
    "run_logout",
    "run_password",
    "run_status",
]


def _secret(ctx: Context, prompt: str, *, from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CliError("no password on standard input", USAGE)
        return line
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the password on: use --password-stdin", USAGE)
    return getpass.getpass(prompt)


async def run_login(ctx: Context) -> int:
    """Register this device with the servers and keep its tokens in the keychain (or,
    by the person's choice, in the profile's token file)."""
    args = ctx.args
    for url in args.server:
        check_server_url(url)  # before a password is asked for
    client = await ctx.client(signed_in=False)
    if args.store_in_file:
        client.use_file_store()
    if client.settings.credential_store == "file":
        ctx.out.note(
            f"the sign-in is kept in {client.paths.token_file} (readable only by you), "
            "not in a keychain"
        )
    elif not client.tokens_persist:
        raise CliError(
            "no secure keychain is available here, so a sign-in would not last: sign in with "
            "--store-in-file to keep it in a file only you can read, or choose a keychain "
            "with PYTHON_KEYRING_BACKEND",
            AUTH,
        )
    password = _secret(ctx, f"Password for {args.user}: ", from_stdin=args.password_stdin)
    device = args.device_name or f"{socket.gethostname()} (billclient)"
    await client.sign_in(args.server, args.user, password, device_name=device)
    await pin_update_root(client)
    settings = client.settings
    if ctx.out.as_json:
        ctx.out.json(
            {
                "profile": ctx.profile,
                "login": settings.login,
                "role": settings.role,
                "account_id": settings.account_id,
                "device_id": settings.device_id,
                "servers": settings.servers,
                "credential_store": settings.credential_store,
            }
        )
    else:
        where = settings.account_id or "no account"
        ctx.out.text(
            f"Signed in as {settings.login} ({settings.role}, {where}) on {platform.node()}; "
            f"servers: {', '.join(settings.servers)}"
        )
    return OK


async def run_logout(ctx: Context) -> int:
    """Delete this device on the server and its tokens here."""
    client = await ctx.client()
    login = client.settings.login
    await client.sign_out()
    if ctx.out.as_json:
        ctx.out.json({"profile": ctx.profile, "signed_out": True, "login": login})
    else:
        ctx.out.text(f"Signed out {login} (profile {ctx.profile}).")
    return OK


def recovered_line(progress: RunProgress) -> str:
    """One line about a journaled session settled (or still pending) at this start."""
    if progress.state == "ended":
        return (
            f"Settled session {progress.session_id} ({progress.service_id}) from the journal: "
            f"ended ({progress.cause}), {progress.used_units} units, charged "
            f"{money(progress.charged)}"
        )
    return (
        f"Session {progress.session_id} ({progress.service_id}) is still journaled: "
        f"{progress.reason}"
    )


async def run_status(ctx: Context) -> int:
    """Settle journaled sessions, then show the account and the servers."""
    client = await ctx.client()
    runner = await ctx.runner()
    recovered = await runner.recover()
    for progress in recovered:
        if not ctx.out.as_json:
            ctx.out.text(recovered_line(progress), style="yellow")
    settings = client.settings
    try:
        account = await client.api.account()
    except NotFound:
        account = None  # support and operator logins have no account
    pool = client.pool.state
    running = await running_now(client) if account is not None else []
    lasts = lasting(account, running) if account is not None else None
    if ctx.out.as_json:
        ctx.out.json(
            {
                "profile": ctx.profile,
                "login": settings.login,
                "role": settings.role,
                "servers": settings.servers,
                "server": pool.server,
                "account": account,
                "recovered": [_progress_json(p) for p in recovered],
                "running": [session for session, _service in running],
                "seconds_to_empty": lasts,
            }
        )
        return OK
    rows = [
        ("Profile", ctx.profile),
        ("Signed in as", f"{settings.login} ({settings.role})"),
        ("Server", f"{pool.server}{'' if pool.primary else ' (fail-over)'}"),
    ]
    if account is not None:
        cur = account.currency
        rows += [
            ("Account", f"{account.name} ({account.account_id}, {account.kind}, {account.status})"),
            ("Balance", money(account.balance, cur)),
            ("Reserved", money(account.reserved, cur)),
            ("Available", money(account.available, cur)),
        ]
        rows += running_rows(running, lasts, cur)
    ctx.out.fields(rows)
    return OK


def _progress_json(progress: RunProgress) -> dict[str, object]:
    return {
        "session_id": progress.session_id,
        "service_id": progress.service_id,
        "state": progress.state,
        "used_units": progress.used_units,
        "charged": format_money(progress.charged),
        "cause": progress.cause,
        "cdr_id": progress.cdr_id,
        "reason": progress.reason,
    }


async def run_devices(ctx: Context) -> int:
    """List the account's devices, or revoke one."""
    client = await ctx.client()
    if ctx.args.revoke:
        ctx.confirm(f"Sign device {ctx.args.revoke} out?")
        await client.api.revoke_device(ctx.args.revoke)
        if ctx.out.as_json:
            ctx.out.json({"revoked": ctx.args.revoke})
        else:
            ctx.out.text(f"Device {ctx.args.revoke} is signed out.")
        return OK
    devices = await client.api.devices()
    if ctx.out.as_json:
        ctx.out.json(devices)
        return OK
    ctx.out.table(
        ["device", "name", "platform", "last seen", ""],
        [
            [
                d.device_id,
                d.name,
                d.platform,
                d.last_seen.isoformat(timespec="seconds") if d.last_seen else "-",
                "this device" if d.current else "",
            ]
            for d in devices
        ],
    )
    return OK


async def run_password(ctx: Context) -> int:
    """Change the password; the server signs the other devices out."""
    client = await ctx.client()
    from_stdin = ctx.args.password_stdin
    old = _secret(ctx, "Current password: ", from_stdin=from_stdin)
    new = _secret(ctx, "New password: ", from_stdin=from_stdin)
    if not from_stdin and getpass.getpass("New password again: ") != new:
        raise CliError("the new passwords differ; nothing was changed", USAGE)
    await client.api.change_password(old, new)
    if ctx.out.as_json:
        ctx.out.json({"password_changed": True})
    else:
        ctx.out.text("Password changed; your other devices are signed out.")
    return OK
