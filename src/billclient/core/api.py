"""Typed calls for every endpoint of PROTOCOL.md, over the server pool.

Each method sends one request through :class:`~billclient.core.pool.ServerPool`
(failover, timeouts), adds the access token (refreshed first when it is about to
expire, and once more after a 401), and returns the protocol model of the answer, or
raises the :mod:`billclient.core.errors` exception for a problem answer.

Every request body is built from the protocol's request model (the one the server
validates with): a value the protocol refuses raises
:class:`~billclient.core.errors.InvalidRequest` before anything is sent, worded as the
server would word it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from billclient.protocol import (
    PROBLEM_CONTENT_TYPE,
    Account,
    AccountDetail,
    AccountLimits,
    AccountStatus,
    AccountSummary,
    AdjustmentResult,
    AuditEntry,
    Cdr,
    ClientEndCause,
    DeviceInfo,
    ErrorCode,
    Health,
    LimitsUpdate,
    ListOrder,
    LiveSession,
    Problem,
    Quote,
    RegistrationResult,
    Service,
    SessionCreated,
    SessionResource,
    SessionState,
    StatementLine,
    TokenResult,
    TopUp,
    UpdateResult,
    format_money,
)
from billclient.protocol.admin import Adjustment, StatusChange, SupportEnd
from billclient.protocol.auth import PasswordChange, Registration, TokenRefresh
from billclient.protocol.catalog import QuoteRequest
from billclient.protocol.common import Request
from billclient.protocol.funding import TopUpRequest
from billclient.protocol.invoices import Invoice, InvoicePayment, InvoicePaymentRequest
from billclient.protocol.sessions import (
    ReportResults,
    SessionCreate,
    SessionEnd,
    SessionReport,
    SessionReports,
    SessionUpdate,
)

from .credentials import Credentials
from .errors import (
    ApiError,
    DeviceRevoked,
    InvalidRequest,
    NotSignedIn,
    ServerError,
    error_from_response,
)
from .pool import ServerPool

__all__ = ["ApiClient", "Page", "body", "new_idempotency_key", "update_budget"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=Request)

TokenListener = Callable[[TokenResult], None]


def update_budget(update_interval: float) -> float:
    """PROTOCOL.md's time per server for a session update: ``max(1 s, interval / 3)``."""
    return max(1.0, update_interval / 3)


def body(model: type[R], **values: Any) -> R:
    """The request body ``model`` with ``values`` (money as decimal strings), validated as
    the server validates it; a refused value raises :class:`InvalidRequest` unsent."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        parts = []
        for problem in error.errors()[:5]:
            where = ".".join(str(part) for part in problem["loc"])
            parts.append(f"{where}: {problem['msg']}" if where else str(problem["msg"]))
        detail = "; ".join(parts) or "the request is not valid"
        raise InvalidRequest(Problem.of(ErrorCode.VALIDATION_ERROR, detail)) from None


def new_idempotency_key() -> str:
    """A fresh ``Idempotency-Key`` (keep it to retry the same call)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` fetches the next (None at the end)."""

    items: list[T]
    next_cursor: str | None


def _next_cursor(answer: httpx.Response) -> str | None:
    link = answer.links.get("next")
    if not link or "url" not in link:
        return None
    values = parse_qs(urlsplit(link["url"]).query).get("cursor")
    return values[0] if values else None


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _query(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class ApiClient:
    """The billing protocol's calls, as awaited methods returning protocol models."""

    def __init__(
        self,
        pool: ServerPool,
        credentials: Credentials,
        *,
        on_tokens: TokenListener | None = None,
    ) -> None:
        self.pool = pool
        self.credentials = credentials
        self._on_tokens = on_tokens
        self._intervals: dict[str, int] = {}

    # -- plumbing -----------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Request | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        budget: float | None = None,
    ) -> httpx.Response:
        payload = None if json is None else json.model_dump(mode="json", exclude_none=True)
        if not auth:
            answer = await self.pool.request(
                method, path, json=payload, params=params, headers=headers, budget=budget
            )
        else:
            refresher = self.refresh_tokens
            await self.credentials.access_token(refresher)
            tokens = await self.credentials.tokens()
            if tokens is None:
                raise NotSignedIn("this profile is not signed in; sign in first")
            answer = await self._authorized(
                method, path, tokens.access_token, payload, params, headers, budget
            )
            # A 401 means the token expired early (clocks differ) or was rotated away:
            # refresh (or take the pair another process just got) and try again; if
            # that pair was itself too old by now, the second round really refreshes.
            for _ in range(2):
                if answer.status_code != 401:
                    break
                tokens = await self.credentials.refresh(refresher, tokens)
                answer = await self._authorized(
                    method, path, tokens.access_token, payload, params, headers, budget
                )
        if answer.status_code >= 400:
            raise error_from_response(answer)
        return answer

    async def _authorized(
        self,
        method: str,
        path: str,
        access_token: str,
        json: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        budget: float | None,
    ) -> httpx.Response:
        merged = {**(headers or {}), "Authorization": f"Bearer {access_token}"}
        return await self.pool.request(
            method, path, json=json, params=params, headers=merged, budget=budget
        )

    @staticmethod
    def _model(model: type[M], answer: httpx.Response) -> M:
        try:
            return model.model_validate_json(answer.content)
        except ValidationError as error:
            raise _bad_answer(answer, error) from None

    @staticmethod
    def _list(model: type[M], answer: httpx.Response) -> list[M]:
        try:
            return TypeAdapter(list[model]).validate_json(answer.content)  # type: ignore[valid-type]
        except ValidationError as error:
            raise _bad_answer(answer, error) from None

    def _page(self, model: type[M], answer: httpx.Response) -> Page[M]:
        return Page(self._list(model, answer), _next_cursor(answer))

    def _budget(self, session_id: str, budget: float | None) -> float | None:
        if budget is not None:
            return budget
        interval = self._intervals.get(session_id)
        return None if interval is None else update_budget(interval)

    # -- registration and tokens ----------------------------------------------------------

    async def register(
        self, login: str, password: str, device_name: str, platform: str
    ) -> RegistrationResult:
        """``POST /v1/devices``: sign a device in (no tokens needed).

        Storing the tokens and servers is the caller's business (``BillingClient.sign_in``).
        """
        request = body(
            Registration, login=login, password=password, device_name=device_name, platform=platform
        )
        answer = await self._send("POST", "/v1/devices", json=request, auth=False)
        return self._model(RegistrationResult, answer)

    async def refresh_tokens(self, refresh_token: str) -> TokenResult:
        """``POST /v1/token``: rotate the pair; a refused token means the device is out."""
        request = body(TokenRefresh, refresh_token=refresh_token)
        answer = await self.pool.request("POST", "/v1/token", json=request.model_dump(mode="json"))
        if answer.status_code == 401:
            error = error_from_response(answer)
            raise DeviceRevoked(error.problem)
        if answer.status_code >= 400:
            raise error_from_response(answer)
        result = self._model(TokenResult, answer)
        if self._on_tokens is not None:
            self._on_tokens(result)
        return result

    async def health(self) -> Health:
        """``GET /v1/health`` on the server in use."""
        return self._model(Health, await self._send("GET", "/v1/health", auth=False))

    async def devices(self) -> list[DeviceInfo]:
        """``GET /v1/devices``: the caller's signed-in devices."""
        return self._list(DeviceInfo, await self._send("GET", "/v1/devices"))

    async def revoke_device(self, device_id: str) -> None:
        """``DELETE /v1/devices/{id}``: sign a device out (a lost laptop)."""
        await self._send("DELETE", f"/v1/devices/{_segment(device_id)}")

    async def sign_out(self) -> None:
        """Delete this device on the server (its tokens stop working)."""
        device_id = self.credentials.device_id
        if device_id is None:
            raise NotSignedIn("this profile is not signed in")
        await self.revoke_device(device_id)

    async def change_password(self, old: str, new: str) -> None:
        """``POST /v1/password``; every other device is signed out."""
        request = body(PasswordChange, old_password=old, new_password=new)
        await self._send("POST", "/v1/password", json=request)

    # -- account and catalogue ----------------------------------------------------------

    async def account(self) -> Account:
        """``GET /v1/account``."""
        return self._model(Account, await self._send("GET", "/v1/account"))

    async def limits(self, account_id: str | None = None) -> AccountLimits:
        """``GET /v1/account/limits``; with ``account_id``, a member's
        (``/v1/account/children/{id}/limits``)."""
        return self._model(AccountLimits, await self._send("GET", _limits_path(account_id)))

    async def set_limits(
        self, daily: int | None, monthly: int | None, *, account_id: str | None = None
    ) -> AccountLimits:
        """``PUT /v1/account/limits`` (a member's with ``account_id``): micro-units, None
        for no limit. Both are sent: a PUT replaces the limits."""
        request = body(LimitsUpdate, daily=_money_or_none(daily), monthly=_money_or_none(monthly))
        answer = await self._send("PUT", _limits_path(account_id), json=request)
        return self._model(AccountLimits, answer)

    async def statement(
        self,
        from_: datetime | None = None,
        to: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
        *,
        order: ListOrder = ListOrder.ASC,
        before: int | None = None,
    ) -> Page[StatementLine]:
        """``GET /v1/account/statement``: money movements with the balance after each,
        oldest first (``order=desc``: newest first); ``before`` a line's ``entry_id``."""
        params = _query(
            **{"from": _time(from_), "to": _time(to)},
            limit=limit,
            cursor=cursor,
            order=None if order is ListOrder.ASC else order.value,
            before=before,
        )
        answer = await self._send("GET", "/v1/account/statement", params=params)
        return self._page(StatementLine, answer)

    async def services(self) -> list[Service]:
        """``GET /v1/services``: the caller's plan's services with their rates."""
        return self._list(Service, await self._send("GET", "/v1/services"))

    async def quote(self, service_id: str, units: int) -> Quote:
        """``POST /v1/quotes``: advice of charge."""
        request = body(QuoteRequest, service_id=service_id, units=units)
        answer = await self._send("POST", "/v1/quotes", json=request)
        return self._model(Quote, answer)

    # -- sessions -----------------------------------------------------------------------

    async def open_session(self, service_id: str, *, idempotency_key: str) -> SessionCreated:
        """``POST /v1/sessions``."""
        answer = await self._send(
            "POST",
            "/v1/sessions",
            json=body(SessionCreate, service_id=service_id),
            headers={"Idempotency-Key": idempotency_key},
        )
        created = self._model(SessionCreated, answer)
        self._intervals[created.session_id] = created.update_interval
        return created

    async def update_session(
        self,
        session_id: str,
        *,
        seq: int,
        used_units: int,
        measured_at: datetime,
        budget: float | None = None,
    ) -> UpdateResult:
        """``POST /v1/sessions/{id}/updates``.

        ``budget`` is the time per server; by default ``max(1 s, update_interval / 3)``
        of the session when this client opened or read it.
        """
        request = body(SessionUpdate, seq=seq, used_units=used_units, measured_at=measured_at)
        answer = await self._send(
            "POST",
            f"/v1/sessions/{_segment(session_id)}/updates",
            json=request,
            budget=self._budget(session_id, budget),
        )
        return self._model(UpdateResult, answer)

    async def update_sessions(
        self, reports: Sequence[SessionReport], *, budget: float | None = None
    ) -> list[UpdateResult | ApiError]:
        """``POST /v1/sessions/updates``: several sessions' updates in one call (at most
        :data:`~billclient.protocol.MAX_REPORTS`). Each report's outcome, in their
        order: its answer, or the error its single call would have raised."""
        answer = await self._send(
            "POST",
            "/v1/sessions/updates",
            json=SessionReports(reports=list(reports)),
            budget=budget,
        )
        outcomes: list[UpdateResult | ApiError] = []
        for result in self._model(ReportResults, answer).results:
            if result.status == 200:
                try:
                    outcomes.append(UpdateResult.model_validate(result.body))
                except ValidationError as error:
                    raise _bad_answer(answer, error) from None
            else:
                alone = httpx.Response(
                    result.status,
                    json=result.body,
                    headers={"Content-Type": PROBLEM_CONTENT_TYPE},
                    request=answer.request,
                )
                outcomes.append(error_from_response(alone))
        return outcomes

    async def end_session(
        self,
        session_id: str,
        *,
        seq: int,
        used_units: int,
        cause: ClientEndCause | str,
        budget: float | None = None,
    ) -> SessionResource:
        """``POST /v1/sessions/{id}/end``."""
        request = body(SessionEnd, seq=seq, used_units=used_units, cause=ClientEndCause(cause))
        answer = await self._send(
            "POST",
            f"/v1/sessions/{_segment(session_id)}/end",
            json=request,
            budget=self._budget(session_id, budget),
        )
        return self._model(SessionResource, answer)

    async def session(self, session_id: str) -> SessionResource:
        """``GET /v1/sessions/{id}``."""
        answer = await self._send("GET", f"/v1/sessions/{_segment(session_id)}")
        resource = self._model(SessionResource, answer)
        self._intervals[resource.session_id] = resource.update_interval
        return resource

    async def sessions(
        self,
        state: SessionState | str | None = None,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[SessionResource]:
        """``GET /v1/sessions?state=``: the caller's sessions, oldest first."""
        params = _query(
            state=None if state is None else str(SessionState(state)), limit=limit, cursor=cursor
        )
        return self._page(SessionResource, await self._send("GET", "/v1/sessions", params=params))

    async def cdrs(
        self,
        from_: datetime | None = None,
        to: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
        *,
        order: ListOrder = ListOrder.ASC,
        before: str | None = None,
    ) -> Page[Cdr]:
        """``GET /v1/cdrs``: charge records with ``ended_at`` in ``[from, to)``, oldest
        first (``order=desc``: newest first); ``before`` keeps those older than a record."""
        params = _query(
            **{"from": _time(from_), "to": _time(to)},
            limit=limit,
            cursor=cursor,
            order=None if order is ListOrder.ASC else order.value,
            before=before,
        )
        return self._page(Cdr, await self._send("GET", "/v1/cdrs", params=params))

    async def cdr(self, cdr_id: str) -> Cdr:
        """``GET /v1/cdrs/{id}``: one charge record."""
        return self._model(Cdr, await self._send("GET", f"/v1/cdrs/{_segment(cdr_id)}"))

    # -- funding ------------------------------------------------------------------------

    async def topup_voucher(self, code: str, *, idempotency_key: str) -> TopUp:
        """``POST /v1/topups`` with a voucher."""
        answer = await self._send(
            "POST",
            "/v1/topups",
            json=body(TopUpRequest, voucher_code=code),
            headers={"Idempotency-Key": idempotency_key},
        )
        return self._model(TopUp, answer)

    async def topup_card(
        self, amount_micro: int, card_token: str, *, idempotency_key: str
    ) -> TopUp:
        """``POST /v1/topups`` with a card payment of ``amount_micro`` micro-units."""
        answer = await self._send(
            "POST",
            "/v1/topups",
            json=body(TopUpRequest, amount=format_money(amount_micro), card_token=card_token),
            headers={"Idempotency-Key": idempotency_key},
        )
        return self._model(TopUp, answer)

    async def topup(self, topup_id: str) -> TopUp:
        """``GET /v1/topups/{id}``."""
        return self._model(TopUp, await self._send("GET", f"/v1/topups/{_segment(topup_id)}"))

    # -- invoices -----------------------------------------------------------------------

    async def invoices(
        self, account: str | None = None, *, limit: int = 100, cursor: str | None = None
    ) -> Page[Invoice]:
        """``GET /v1/invoices``: invoices and statements, newest period first
        (``account`` narrows the list for support and operators)."""
        params = _query(account=account, limit=limit, cursor=cursor)
        return self._page(Invoice, await self._send("GET", "/v1/invoices", params=params))

    async def invoice(self, invoice_id: str) -> Invoice:
        """``GET /v1/invoices/{id}``: one invoice or statement with its lines."""
        answer = await self._send("GET", f"/v1/invoices/{_segment(invoice_id)}")
        return self._model(Invoice, answer)

    async def invoice_pdf(self, invoice_id: str) -> bytes:
        """``GET /v1/invoices/{id}/pdf``: the invoice rendered as a PDF document."""
        answer = await self._send("GET", f"/v1/invoices/{_segment(invoice_id)}/pdf")
        media = answer.headers.get("content-type", "").split(";")[0].strip()
        if media != "application/pdf" or not answer.content.startswith(b"%PDF"):
            problem = Problem.of(
                ErrorCode.INTERNAL,
                f"the server's answer to GET {answer.request.url.path} is not a PDF document "
                f"({media or 'no content type'})",
            )
            raise ServerError(problem)
        return answer.content

    async def pay_invoice(
        self, invoice_id: str, card_token: str, *, idempotency_key: str
    ) -> InvoicePayment:
        """``POST /v1/invoices/{id}/payments``: pay an issued or overdue invoice by card.

        A declined card is an answer (``status`` ``declined``), not an error; keep
        ``idempotency_key`` to retry the same payment after a failure without an answer.
        """
        answer = await self._send(
            "POST",
            f"/v1/invoices/{_segment(invoice_id)}/payments",
            json=body(InvoicePaymentRequest, card_token=card_token),
            headers={"Idempotency-Key": idempotency_key},
        )
        return self._model(InvoicePayment, answer)

    # -- support ------------------------------------------------------------------------

    async def admin_search(
        self, q: str | None = None, *, limit: int = 100, cursor: str | None = None
    ) -> Page[AccountSummary]:
        """``GET /v1/admin/accounts?q=``: search by id, name or login."""
        params = _query(q=q, limit=limit, cursor=cursor)
        answer = await self._send("GET", "/v1/admin/accounts", params=params)
        return self._page(AccountSummary, answer)

    async def admin_account(self, account_id: str) -> AccountDetail:
        """``GET /v1/admin/accounts/{id}``."""
        answer = await self._send("GET", f"/v1/admin/accounts/{_segment(account_id)}")
        return self._model(AccountDetail, answer)

    async def admin_limits(self, account_id: str) -> AccountLimits:
        """``GET /v1/admin/accounts/{id}/limits``."""
        answer = await self._send("GET", f"/v1/admin/accounts/{_segment(account_id)}/limits")
        return self._model(AccountLimits, answer)

    async def admin_clear_limits(self, account_id: str) -> AccountLimits:
        """``PUT /v1/admin/accounts/{id}/limits`` with both limits null (audited)."""
        answer = await self._send(
            "PUT",
            f"/v1/admin/accounts/{_segment(account_id)}/limits",
            json=body(LimitsUpdate, daily=None, monthly=None),
        )
        return self._model(AccountLimits, answer)

    async def admin_set_status(self, account_id: str, status: AccountStatus | str) -> Account:
        """``PATCH /v1/admin/accounts/{id}``; suspending ends the account's live sessions."""
        answer = await self._send(
            "PATCH",
            f"/v1/admin/accounts/{_segment(account_id)}",
            json=body(StatusChange, status=AccountStatus(status)),
        )
        return self._model(Account, answer)

    async def admin_adjust(
        self, account_id: str, amount_micro: int, reason: str, *, idempotency_key: str
    ) -> AdjustmentResult:
        """``POST /v1/admin/accounts/{id}/adjustments`` (a negative amount debits)."""
        answer = await self._send(
            "POST",
            f"/v1/admin/accounts/{_segment(account_id)}/adjustments",
            json=body(Adjustment, amount=format_money(amount_micro), reason=reason),
            headers={"Idempotency-Key": idempotency_key},
        )
        return self._model(AdjustmentResult, answer)

    async def admin_sessions(
        self,
        state: SessionState | str = SessionState.ACTIVE,
        *,
        account: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[LiveSession]:
        """``GET /v1/admin/sessions?state=``: the service manager."""
        params = _query(state=str(SessionState(state)), account=account, limit=limit, cursor=cursor)
        return self._page(LiveSession, await self._send("GET", "/v1/admin/sessions", params=params))

    async def admin_end_session(self, session_id: str, reason: str) -> SessionResource:
        """``POST /v1/admin/sessions/{id}/end``."""
        answer = await self._send(
            "POST",
            f"/v1/admin/sessions/{_segment(session_id)}/end",
            json=body(SupportEnd, reason=reason),
        )
        return self._model(SessionResource, answer)

    async def admin_audit(
        self, account: str | None = None, *, limit: int = 100, cursor: str | None = None
    ) -> Page[AuditEntry]:
        """``GET /v1/admin/audit?account=``: who changed what, when, from which device."""
        params = _query(account=account, limit=limit, cursor=cursor)
        return self._page(AuditEntry, await self._send("GET", "/v1/admin/audit", params=params))


def _money_or_none(micro: int | None) -> str | None:
    return None if micro is None else format_money(micro)


def _limits_path(account_id: str | None) -> str:
    if account_id is None:
        return "/v1/account/limits"
    return f"/v1/account/children/{_segment(account_id)}/limits"


def _segment(value: str) -> str:
    """``value`` as one URL path segment."""
    return quote(value, safe="")


def _bad_answer(answer: httpx.Response, error: ValidationError) -> ServerError:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    problem = Problem.of(
        ErrorCode.INTERNAL,
        f"the server's answer to {answer.request.method} {answer.request.url.path} is not "
        f"what the protocol says ({where}: {first['msg']})",
    )
    return ServerError(problem)
