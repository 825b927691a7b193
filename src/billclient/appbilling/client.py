"""The :class:`Billing` client and its ``charge`` operations (see the package doc)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from billclient.protocol import ErrorCode, Problem
from billclient.protocol.charges import Charge, ChargeCommit, ChargeOutcome, ChargeRequest

from .errors import BillingError, BillingUnavailable, ChargeRefused
from .journal import Journal, JournalEntry

__all__ = ["Billing", "ChargeOperation"]

_REFUSED = {402, 403, 404, 409, 422}


class _Unreachable(Exception):
    """The server did not answer usefully (network error, 429 or 5xx)."""


class Billing:
    """A ``service`` login's connection to a billing server, with a local journal.

    ``offline_allowance`` is how many charges may proceed unconfirmed while the
    server is unreachable; beyond it :meth:`charge` raises BillingUnavailable.
    """

    def __init__(
        self,
        url: str,
        *,
        login: str,
        password: str,
        journal: Path,
        offline_allowance: int = 100,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.offline_allowance = offline_allowance
        self.journal = Journal(journal)
        self._login, self._password = login, password
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)
        self._access: str | None = None
        self._flushing = asyncio.Lock()

    async def __aenter__(self) -> Self:
        with contextlib.suppress(BillingError):  # the server may be down now; the journal waits
            await self.flush()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection and the journal (unsettled charges stay in it)."""
        await self._http.aclose()
        self.journal.close()

    def charge(self, account_id: str, service_id: str, units: int) -> ChargeOperation:
        """An ``async with`` operation charging ``units`` of ``service_id`` to ``account_id``."""
        return ChargeOperation(
            self, ChargeRequest(account_id=account_id, service_id=service_id, units=units)
        )

    # --- talking to the server ---

    async def _sign_in(self) -> None:
        answer = await self._send(
            "POST",
            "/v1/devices",
            {
                "login": self._login,
                "password": self._password,
                "device_name": "appbilling",
                "platform": "service",
            },
            auth=False,
        )
        if answer.status_code != 201:
            raise BillingError(f"sign-in as {self._login!r} failed: {_detail(answer)}")
        self._access = str(answer.json()["access_token"])

    async def _send(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        headers = {}
        if key is not None:
            headers["Idempotency-Key"] = key
        for attempt in range(2):
            if auth:
                if self._access is None:
                    await self._sign_in()
                headers["Authorization"] = f"Bearer {self._access}"
            try:
                answer = await self._http.request(
                    method, self.url + path, json=body, headers=headers
                )
            except httpx.TransportError as error:
                raise _Unreachable(str(error) or type(error).__name__) from error
            if answer.status_code == 401 and auth and attempt == 0:
                self._access = None  # expired: sign in again once
                continue
            if answer.status_code == 429 or answer.status_code >= 500:
                raise _Unreachable(f"HTTP {answer.status_code}")
            return answer
        return answer

    async def _reserve(self, key: str, request: ChargeRequest) -> Charge:
        answer = await self._send("POST", "/v1/charges", request.model_dump(mode="json"), key=key)
        if answer.status_code == 201:
            return Charge.model_validate(answer.json())
        raise _refusal(answer)

    async def _commit(self, charge_id: str, commit: ChargeCommit) -> Charge:
        answer = await self._send(
            "POST", f"/v1/charges/{charge_id}/commit", commit.model_dump(mode="json")
        )
        if answer.status_code == 200:
            return Charge.model_validate(answer.json())
        raise _refusal(answer)

    async def flush(self) -> int:
        """Submit every finished charge the server has not confirmed; returns how many
        were settled now. Stops (raising BillingUnavailable) at the first unreachable call;
        the rest waits for the next flush."""
        settled = 0
        async with self._flushing:
            for entry in self.journal.unsettled():
                try:
                    await self._settle(entry)
                except _Unreachable as error:
                    raise BillingUnavailable(f"billing server unreachable: {error}") from None
                settled += 1
        return settled

    async def _settle(self, entry: JournalEntry) -> None:
        assert entry.outcome is not None and entry.commit_units is not None
        charge_id = entry.charge_id
        try:
            if charge_id is None:
                request = ChargeRequest(
                    account_id=entry.account_id, service_id=entry.service_id, units=entry.units
                )
                charge_id = (await self._reserve(entry.key, request)).charge_id
                self.journal.reserved(entry.key, charge_id)
            commit = ChargeCommit(
                units=min(entry.commit_units, entry.units),
                outcome=ChargeOutcome(entry.outcome),
                error=entry.error if entry.outcome == ChargeOutcome.FAILED.value else None,
            )
            try:
                await self._commit(charge_id, commit)
            except ChargeRefused as refused:
                if refused.code != ErrorCode.SESSION_ENDED.value:
                    raise
                # the reservation ran out (the server cancels charges not committed within
                # its charge TTL): charge again under a key derived from this entry's, so a
                # repeated flush still charges once
                request = ChargeRequest(
                    account_id=entry.account_id, service_id=entry.service_id, units=entry.units
                )
                again = await self._reserve(entry.key + ":again", request)
                await self._commit(again.charge_id, commit)
        except ChargeRefused as refused:
            self.journal.rejected(entry.key, str(refused))
            return
        self.journal.done(entry.key)


class ChargeOperation:
    """One billable operation: reserved on entry, committed on exit.

    Inside the block, :attr:`advice` is the server's price of the reserved units
    (None when the charge proceeds offline), :meth:`use` sets the actual units and
    :meth:`fail` marks the operation failed. An exception escaping the block
    commits outcome ``failed`` (nothing is charged) and propagates.
    """

    def __init__(self, billing: Billing, request: ChargeRequest) -> None:
        self.billing = billing
        self.request = request
        self.key = str(uuid.uuid4())
        self.charge: Charge | None = None
        self.offline = False
        self.units = request.units
        self.error: str | None = None
        self.result: Charge | None = None

    @property
    def advice(self) -> int | None:
        """The price of the reserved units in micro-units (None offline)."""
        return None if self.charge is None else self.charge.advice

    def use(self, units: int) -> None:
        """The units actually used (at most those reserved)."""
        if not 0 <= units <= self.request.units:
            raise ValueError(f"units must be from 0 to {self.request.units}, not {units}")
        self.units = units

    def fail(self, error: str) -> None:
        """Mark the operation failed: nothing is charged, the CDR records ``error``."""
        self.error = error

    async def __aenter__(self) -> Self:
        journal = self.billing.journal
        journal.add(self.key, self.request.account_id, self.request.service_id, self.request.units)
        try:
            self.charge = await self.billing._reserve(self.key, self.request)
        except ChargeRefused:
            journal.forget(self.key)
            raise
        except _Unreachable as error:
            if journal.offline_waiting() >= self.billing.offline_allowance:
                journal.forget(self.key)
                raise BillingUnavailable(
                    f"billing server unreachable ({error}) and {self.billing.offline_allowance} "
                    "charge(s) already wait offline"
                ) from None
            journal.went_offline(self.key)
            self.offline = True
            return self
        journal.reserved(self.key, self.charge.charge_id)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None and self.error is None:
            self.error = f"{type(exc).__name__}: {exc}"[:500]
        outcome = ChargeOutcome.FAILED if self.error is not None else ChargeOutcome.SUCCEEDED
        units = self.units if outcome is ChargeOutcome.SUCCEEDED else 0
        journal = self.billing.journal
        journal.finished(self.key, units, outcome.value, self.error)
        if self.charge is None:
            return  # offline: the journal keeps it for flush()
        commit = ChargeCommit(units=units, outcome=outcome, error=self.error)
        try:
            self.result = await self.billing._commit(self.charge.charge_id, commit)
        except _Unreachable:
            return  # the journal keeps the commit for flush()
        except ChargeRefused as refused:
            journal.rejected(self.key, str(refused))
            if exc is None:
                raise
            return
        journal.done(self.key)


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", answer.text))
    except ValueError:
        return answer.text[:200]


def _refusal(answer: httpx.Response) -> Exception:
    if answer.status_code in _REFUSED:
        try:
            problem = Problem.model_validate(answer.json())
            return ChargeRefused(problem.code.value, problem.detail)
        except ValueError:
            pass
        return ChargeRefused(ErrorCode.VALIDATION_ERROR.value, answer.text[:200])
    return BillingError(f"unexpected answer HTTP {answer.status_code}: {_detail(answer)}")
