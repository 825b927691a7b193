"""``billclient support ...``: support tools (the server refuses other roles)."""

from __future__ import annotations

from billclient.core.api import new_idempotency_key

from ..context import Context
from ..exits import OK
from ..output import money, when
from .funding import parse_amount

__all__ = ["run_support"]


async def run_support(ctx: Context) -> int:
    """Dispatch to the support tool named on the command line."""
    args, out = ctx.args, ctx.out
    api = (await ctx.client()).api
    tool = args.tool
    if tool == "search":
        found = (await api.admin_search(args.query)).items
        if out.as_json:
            for row in found:
                out.json(row)
        else:
            out.table(
                ["account", "name", "status", "kind", "logins"],
                [
                    [a.account_id, a.name, a.status.value, a.kind.value, ", ".join(a.logins)]
                    for a in found
                ],
            )
    elif tool == "account":
        detail = await api.admin_account(args.account_id)
        if out.as_json:
            out.json(detail)
        else:
            cur = detail.currency
            out.fields(
                [
                    ("Account", f"{detail.name} ({detail.account_id})"),
                    (
                        "Status",
                        f"{detail.status.value}, {detail.kind.value}, plan {detail.plan_id}",
                    ),
                    ("Balance", money(detail.balance, cur)),
                    ("Available", money(detail.available, cur)),
                    ("Live sessions", str(len(detail.active_sessions))),
                ]
            )
            if detail.last_cdrs:
                out.table(
                    ["ended", "service", "used", "charged", "cause"],
                    [
                        [
                            c.ended_at.isoformat(timespec="seconds"),
                            c.service_id,
                            str(c.used_units),
                            money(c.charged, cur),
                            c.cause.value,
                        ]
                        for c in detail.last_cdrs
                    ],
                )
    elif tool == "sessions":
        live = (await api.admin_sessions()).items
        if out.as_json:
            for session in live:
                out.json(session)
        else:
            out.table(
                ["session", "account", "user", "service", "started", "used", "charged"],
                [
                    [
                        s.session_id,
                        s.account_id,
                        s.user or "-",
                        s.service_id,
                        s.started_at.isoformat(timespec="seconds"),
                        str(s.used_units),
                        money(s.charged),
                    ]
                    for s in live
                ],
            )
    elif tool == "adjust":
        amount = parse_amount(args.amount, allow_negative=True)
        verb = "Credit" if amount > 0 else "Debit"
        ctx.confirm(f"{verb} {money(abs(amount))} to account {args.account_id}?")
        result = await api.admin_adjust(
            args.account_id, amount, args.reason, idempotency_key=new_idempotency_key()
        )
        if out.as_json:
            out.json(result)
        else:
            out.text(
                f"Adjusted {result.account_id} by {money(result.amount)}; balance "
                f"{money(result.balance)}, available {money(result.available)}"
            )
    elif tool in ("suspend", "resume"):
        status = "inactive" if tool == "suspend" else "active"
        ctx.confirm(f"{tool.capitalize()} account {args.account_id}?")
        account = await api.admin_set_status(args.account_id, status)
        if out.as_json:
            out.json(account)
        else:
            out.text(f"Account {account.account_id} is now {account.status.value}.")
    elif tool == "audit":
        await _audit(ctx)
    elif tool == "end":
        ctx.confirm(f"End session {args.session_id}?")
        ended = await api.admin_end_session(args.session_id, args.reason)
        if out.as_json:
            out.json(ended)
        else:
            out.text(
                f"Session {ended.session_id} ended: {ended.used_units} units, "
                f"charged {money(ended.charged)}"
            )
    return OK


async def _audit(ctx: Context) -> None:
    """The account's audit trail, newest first: who changed what, when, from where."""
    api = (await ctx.client()).api
    entries = (await api.admin_audit(ctx.args.account_id, limit=ctx.args.limit)).items
    if ctx.out.as_json:
        for entry in entries:
            ctx.out.json(entry)
        return
    if not entries:
        ctx.out.note(f"no audit entries for {ctx.args.account_id}")
        return
    ctx.out.table(
        ["when", "who", "what", "details", "device", "server"],
        [
            [
                when(entry.at),
                entry.actor,
                entry.action,
                ", ".join(f"{key}: {value}" for key, value in sorted(entry.details.items())),
                entry.device_id or "-",
                entry.server_id or "-",
            ]
            for entry in entries
        ],
    )
