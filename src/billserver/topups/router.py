"""Funding: ``/v1/topups`` (vouchers and cards) and ``/v1/account/statement``.

Only a ``user`` login has an account to fund; ``support`` and ``operator`` get
404, as for ``GET /v1/account``. Topping up is allowed whatever the account's
status (it is money in, and an inactive or pending account may need it before it
is activated), unless the account is retired.

A card is charged outside the database transaction (a provider call may be slow
and must not hold the write lock), after its idempotency key was reserved in a
committed transaction of its own, so one key charges the card once however many
calls carry it; the answer is then recorded in place of the reservation. The provider
reference of the payment derives from the caller and the Idempotency-Key, so a retry
after a lost answer (or a crash) names the same payment. A retired account is
refused (403 ``account_inactive``) before anything is charged or redeemed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select

from billclient.protocol import (
    ErrorCode,
    ListOrder,
    Role,
    StatementLine,
    TopUp,
    TopUpRequest,
)

from .. import db
from ..accounts import (
    Attempt,
    counted_attempt,
    lock_account,
    read_account,
    refuse_if_retired,
    throttle_of,
    voucher_key,
)
from ..ledger import Actor
from ..tables import topups
from ..web import (
    ApiError,
    Caller,
    Context,
    Ctx,
    IdempotencyKey,
    OrderParam,
    PageParams,
    WindowParams,
    idempotent_response,
    outcome_response,
    page_response,
    paged,
    problems,
    run_reserved,
)
from .provider import ProviderResult, charge_card, make_provider
from .service import (
    CardLimits,
    check_card_amount,
    payment_ref,
    record_card,
    redeem_voucher,
    topup_view,
)
from .statement import line_start, statement_lines

__all__ = ["router"]

router = APIRouter(prefix="/v1")

_ENDPOINT = "POST /v1/topups"

Operation = Callable[[Connection, int], tuple[int, dict[str, Any]]]


def _own_account(caller: Actor) -> str:
    if caller.role is not Role.USER or caller.account_id is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"the {caller.role.value} login has no account")
    return caller.account_id


@router.post(
    "/topups",
    status_code=201,
    response_model=TopUp,
    responses=problems(404, 409, 429),
    tags=["funding"],
)
def create_topup(body: TopUpRequest, key: IdempotencyKey, caller: Caller, ctx: Ctx) -> JSONResponse:
    """Top the account up with a voucher or a card payment.

    A used, unknown or retired voucher is 422 (one answer for all three, so that
    codes cannot be probed); wrong codes are throttled per account (429). A card
    amount must be whole minor units within the operator's bounds (422 otherwise).
    A declined card answers 201 with status ``declined`` and credits nothing; a card
    the network did not answer for is ``pending`` and settles later with a ``topup``
    notice event.
    """
    account_id = _own_account(caller)
    for name, text in (("voucher_code", body.voucher_code), ("card_token", body.card_token)):
        if text is not None and "\x00" in text:  # no database stores one in text
            raise ApiError(ErrorCode.VALIDATION_ERROR, f"{name} must not contain NUL characters")
    if body.voucher_code is None:
        return _card_topup(ctx, caller, account_id, key, body)
    guard = counted_attempt(
        ctx.engine,
        [voucher_key(account_id)],
        throttle_of(ctx.settings),
        failed=_wrong_code,
        what="wrong voucher codes",
    )
    with guard as attempt:
        operation = _voucher_operation(caller, account_id, body.voucher_code, attempt)
        return _answer(ctx, caller, key, body, operation)


def _answer(
    ctx: Context, caller: Actor, key: str, body: TopUpRequest, operation: Operation
) -> JSONResponse:
    return idempotent_response(
        ctx.engine, caller, _ENDPOINT, key, body.model_dump(mode="json"), operation
    )


def _wrong_code(error: BaseException) -> bool:
    return isinstance(error, ApiError) and error.code is ErrorCode.VALIDATION_ERROR


def _voucher_operation(caller: Actor, account_id: str, code: str, attempt: Attempt) -> Operation:
    def operation(conn: Connection, now: int) -> tuple[int, dict[str, Any]]:
        answer = redeem_voucher(conn, caller, account_id, code, now=now)
        attempt.settle(conn, now=now)  # a good code: the attempt was no guess
        return 201, answer

    return operation


def _card_topup(
    ctx: Context, caller: Actor, account_id: str, key: str, body: TopUpRequest
) -> JSONResponse:
    """Check the amount, settle the key, charge the card once, record the answer.

    The key is reserved in a committed transaction before the card is charged
    (:func:`~billserver.web.run_reserved`): concurrent calls with one key make one
    provider call between them (the others answer 503 with Retry-After, or 409 for
    another body), and a retired account is refused before its card is charged."""
    assert body.amount is not None and body.card_token is not None  # TopUpRequest ensures it
    amount, token = body.amount, body.card_token
    with db.read(ctx.engine) as conn:
        account = read_account(conn, account_id)
    if account is None:
        raise ApiError(ErrorCode.NOT_FOUND, "the account does not exist")
    limits = CardLimits(ctx.settings.card_min, ctx.settings.card_max)
    check_card_amount(amount, account.currency, limits)
    provider = make_provider(ctx.settings)
    reference = payment_ref(caller, key)

    def check(conn: Connection) -> None:
        locked = lock_account(conn, account_id)
        if locked is None:
            raise ApiError(ErrorCode.NOT_FOUND, "the account does not exist")
        refuse_if_retired(locked, "cannot be topped up")

    def charge() -> ProviderResult:
        return charge_card(provider, token, amount, account.currency, reference)

    def operation(conn: Connection, now: int, result: ProviderResult) -> tuple[int, dict[str, Any]]:
        answer = record_card(
            conn, caller, account_id, amount=amount, token=token, result=result, now=now
        )
        return 201, answer

    outcome = run_reserved(
        ctx.engine,
        caller,
        endpoint=_ENDPOINT,
        key=key,
        body=body.model_dump(mode="json"),
        check=check,
        outside=charge,
        operation=operation,
    )
    return outcome_response(outcome)


@router.get("/topups/{topup_id}", response_model=TopUp, responses=problems(404), tags=["funding"])
def get_topup(topup_id: str, caller: Caller, ctx: Ctx) -> TopUp:
    """One of the caller's top-ups, with the account's figures now."""
    with db.read(ctx.engine) as conn:
        row = None
        if caller.role is Role.USER and caller.account_id is not None and "\x00" not in topup_id:
            row = conn.execute(
                select(topups).where(
                    topups.c.topup_id == topup_id, topups.c.account_id == caller.account_id
                )
            ).one_or_none()
        account = read_account(conn, row.account_id) if row is not None else None
    if row is None or account is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no top-up {topup_id}")
    return topup_view(row, account)


@router.get(
    "/account/statement",
    response_model=list[StatementLine],
    responses=paged(404),
    tags=["account"],
)
def get_statement(
    request: Request,
    caller: Caller,
    ctx: Ctx,
    page: PageParams,
    window: WindowParams,
    order: OrderParam = ListOrder.ASC,
    before: Annotated[
        int | None,
        Query(ge=0, lt=2**63, description="only lines older than this line (its entry_id)"),
    ] = None,
) -> JSONResponse:
    """The account's money movements in ``[from, to)`` with the balance after each,
    oldest first (``order=desc``: newest first); ``before`` keeps older lines."""
    account_id = _own_account(caller)
    key = page.key(int)
    after = None if key is None else max(0, key[0])
    with db.read(ctx.engine) as conn:
        upto = None
        if before is not None:
            try:
                upto = line_start(conn, account_id, before)
            except LookupError:
                raise ApiError(
                    ErrorCode.VALIDATION_ERROR, f"before: no statement line {before}"
                ) from None
            if upto is None:  # nothing is older
                return page_response(request, [], page, None)
        found = statement_lines(
            conn,
            account_id,
            after=after,
            limit=page.limit,
            start=window.start,
            end=window.end,
            order=order,
            upto=upto,
        )
    items = [line.model_dump(mode="json") for line in found.lines]
    last = None if found.next_key is None else [found.next_key]
    return page_response(request, items, page, last)
