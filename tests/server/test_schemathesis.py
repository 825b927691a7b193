"""schemathesis over ``/openapi.json`` against a real server process.

Every operation of the published schema is fuzzed over HTTP with data that fits the
schema and data that does not, signed in as logins of this test's own catalogue: a
``user`` for user routes, ``support`` for ``/v1/admin/*``, the operator ``fz-ops`` for
``/v1/integration/*``, the service login ``fz-relay`` (allowed to charge ``fz-app``) for
``/v1/charges``, and ``fz-org`` (postpaid, parent of ``fz-kid``) for the invoice and
hierarchy routes. Checks: no 5xx, every
response conforms to the schema (status code, content type, headers, body), and every
failing answer of ``/v1/*`` is ``application/problem+json`` with a protocol ``code``.

Destructive calls only reach what the test made for them: device revokes hit devices
of the ``fz-devices`` login signed in for the purpose (the test signs in again when
its own device is revoked), password changes the ``fz-password`` login, status
changes and adjustments the ``fz-target`` account, support ends sessions that
``fz-live`` opened; the gateway routes (called with the deployment's gateway secret)
get that login's sessions and gateway tokens. Invoice routes get ``fz-org``'s invoice of
last month (issued by an invoice run of the fixture, so it can be paid); commits and
cancels get charges ``fz-relay`` reserved for the purpose; the integration interface's
destructive calls get accounts the test created through it. About half the examples of an operation
with path parameters use such ids ("own" cases, so the calls get past 404); the rest
keep generated ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from billclient.protocol import ErrorCode
from billserver.clock import now_us
from billserver.db import make_engine
from billserver.invoices.service import run_period
from billserver.ledger.actor import Actor
from tests.support.catalogs import PASSWORD, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

from .invoices.billing_catalog import billing_base

ACCOUNTS = [
    account("fz-user", "100000"),
    account("fz-devices", "10"),
    account("fz-password", "10"),
    account("fz-target", "10"),
    account("fz-live", "100000"),
    account("fz-org", "0", kind="postpaid", credit_limit="100"),
    {**account("fz-kid", "0", kind="postpaid", credit_limit="10"), "parent": "fz-org"},
    account("fz-app", "100000"),
]
USERS = [
    {"login": "fz-relay", "password": PASSWORD, "role": "service", "may_charge": ["fz-app"]},
    {"login": "fz-ops", "password": PASSWORD, "role": "operator"},
]
VOUCHERS = [{"code": "FZ-0001", "amount": "5"}]
GATEWAY_SECRET = "fz-gateway-secret-0123456789"
# bad passwords and voucher codes are what a fuzzer sends: never block its sign-ins or
# top-ups; the gateway routes answer the deployment's gateway secret (no gateway
# listens at the advertised URL)
SERVE = (
    "--signin-max-failures",
    "1000000000",
    "--signin-address-max-failures",
    "1000000000",
    "--voucher-max-failures",
    "1000000000",
    "--gateway-url",
    "http://127.0.0.1:9",
    "--gateway-secret",
    GATEWAY_SECRET,
    "--no-invoice-schedule",  # the fixture's invoice run issues last month
)
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
    response_headers_conformance,
]
POSITIVE_EXAMPLES = 10
NEGATIVE_EXAMPLES = 6
# an event stream never ends: the client stops reading after its first event
CONFIG = SchemathesisConfig.from_dict({"max-stream-events": 1})
PROBLEM_CODES = {code.value for code in ErrorCode}
PUBLIC = {("GET", "/v1/health"), ("POST", "/v1/devices"), ("POST", "/v1/token")}


@dataclass
class Login:
    """One login's current device and tokens; signs in again when told to."""

    url: str
    login: str
    password: str = PASSWORD
    device_id: str = ""
    access: str = ""
    refresh: str = ""

    def sign_in(self) -> Login:
        answer = httpx.post(
            self.url + "/v1/devices",
            json={
                "login": self.login,
                "password": self.password,
                "device_name": "schemathesis",
                "platform": "pytest",
            },
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        self.device_id, self.access = body["device_id"], body["access_token"]
        self.refresh = body["refresh_token"]
        return self

    def spare(self) -> Login:
        """Another device of the same login (a copy with its own tokens)."""
        return Login(self.url, self.login, self.password).sign_in()

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = httpx.request(
            method,
            self.url + path,
            headers={"Authorization": f"Bearer {self.access}", **kwargs.pop("headers", {})},
            **kwargs,
        )
        assert answer.is_success, answer.text
        return dict(answer.json())

    def open_session(self, service_id: str = "dl") -> str:
        """A new session (bytes: no wall-time bound on ``used_units``)."""
        return str(self.open_gateway_session(service_id)["session_id"])

    def open_gateway_session(self, service_id: str = "dl") -> dict[str, Any]:
        """A new session's answer (``gateway`` holds its gateway URL and token)."""
        return self.call(
            "POST",
            "/v1/sessions",
            json={"service_id": service_id},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )


@dataclass
class Fuzz:
    """The server, its schema and the logins the fuzzer calls with."""

    server: ServerProcess
    schema: Any
    user: Login
    support: Login
    devices: Login
    password: Login
    live: Login
    org: Login
    relay: Login
    ops: Login
    topup_id: str
    invoice_id: str
    cdr_id: str
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    statuses: dict[str, set[int]] = field(default_factory=dict)

    def login_for(self, operation: APIOperation) -> Login | None:
        """Who calls ``operation``: None for the routes without auth."""
        if (operation.method.upper(), operation.path) in PUBLIC:
            return None
        if operation.path.startswith("/v1/admin/"):
            return self.support
        if operation.path.startswith("/v1/gateway/"):
            return Login(self.server.url, "gateway", access=GATEWAY_SECRET)
        if operation.path.startswith("/v1/integration/"):
            return self.ops
        if operation.path.startswith("/v1/charges"):
            return self.relay
        if operation.path.startswith(("/v1/invoices", "/v1/account/children", "/v1/accounts/")):
            return self.org
        if operation.path == "/v1/password":
            return self.password
        if operation.path.startswith("/v1/devices"):
            return self.devices
        return self.user


def _events(*rows: tuple[str, int, datetime]) -> dict[str, Any]:
    """A batch of ``sms`` billing events (account, units, instant), each with a new id."""
    return {
        "events": [
            {
                "event_id": f"fz-{uuid.uuid4()}",
                "account_id": account_id,
                "service_id": "sms",
                "units": units,
                "at": at.isoformat(),
            }
            for account_id, units, at in rows
        ]
    }


def _issued_invoice(factory: ServerFactory, ops: Login, org: Login) -> str:
    """``fz-org``'s invoice of last month: usage billed there, then issued by an invoice run."""
    first = datetime.now(UTC).replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    last_month = first - timedelta(days=1)
    billed = ops.call("POST", "/v1/integration/events", json=_events(("fz-org", 3, last_month)))
    assert billed["charged"] == 1, billed
    period = last_month.strftime("%Y-%m")
    engine = make_engine(factory.db_url)
    try:  # in-process: no interpreter start
        report = run_period(engine, period, actor=Actor.system("test", "test"), now=now_us())
    finally:
        engine.dispose()
    assert "fz-org" in report.issued, report
    listed = httpx.get(
        org.url + "/v1/invoices", headers={"Authorization": f"Bearer {org.access}"}
    ).json()
    [invoice] = [i for i in listed if i["period"] == period and i["account_id"] == "fz-org"]
    assert (invoice["kind"], invoice["state"]) == ("invoice", "issued"), invoice
    return str(invoice["invoice_id"])


@pytest.fixture(scope="module")
def fuzz(module_servers: ServerFactory) -> Iterator[Fuzz]:
    module_servers.import_catalog(ACCOUNTS, vouchers=VOUCHERS, base=billing_base(), users=USERS)
    server = module_servers.start("primary", *SERVE)
    user = Login(server.url, "fz-user").sign_in()
    topup = user.call(
        "POST",
        "/v1/topups",
        json={"voucher_code": "FZ-0001"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    ops, org = Login(server.url, "fz-ops").sign_in(), Login(server.url, "fz-org").sign_in()
    invoice_id = _issued_invoice(module_servers, ops, org)
    session_id = user.open_session()
    ended = user.call(
        "POST", f"/v1/sessions/{session_id}/end", json={"seq": 1, "used_units": 1, "cause": "user"}
    )
    yield Fuzz(
        server=server,
        schema=schemathesis.openapi.from_url(server.url + "/openapi.json", config=CONFIG),
        user=user,
        support=Login(server.url, "support").sign_in(),
        devices=Login(server.url, "fz-devices").sign_in(),
        password=Login(server.url, "fz-password").sign_in(),
        live=Login(server.url, "fz-live").sign_in(),
        org=org,
        relay=Login(server.url, "fz-relay").sign_in(),
        ops=ops,
        topup_id=str(topup["topup_id"]),
        invoice_id=invoice_id,
        cdr_id=str(ended["cdr_id"]),
    )
    module_servers.verify()


class OwnIds:
    """Ids of the test's own things for path parameters; ``again`` reuses the last one
    (a session ended by an earlier example answers 409 ``session_ended``)."""

    def __init__(self, fuzz: Fuzz, operation: APIOperation) -> None:
        admin = operation.path.startswith("/v1/admin/")
        read_only = operation.method.upper() == "GET"
        self.makers: dict[str, Callable[[], str]] = {
            "device_id": self._device,
            "session_id": fuzz.live.open_session if admin else fuzz.user.open_session,
            "topup_id": lambda: fuzz.topup_id,
            "account_id": (lambda: "fz-user") if read_only else (lambda: "fz-target"),
            "invoice_id": lambda: fuzz.invoice_id,
            "cdr_id": lambda: fuzz.cdr_id,
            "charge_id": self._charge,
            "service_id": lambda: "sms",
        }
        if operation.path.startswith(("/v1/accounts/", "/v1/account/children/")):
            self.makers["account_id"] = lambda: "fz-kid"  # a member of fz-org's
        elif operation.path.startswith("/v1/integration/") and not read_only:
            self.makers["account_id"] = self._integration_account
        self.last: dict[str, str] = {}
        self.fuzz = fuzz
        self.devices = 0
        self.calls = 0

    def _device(self) -> str:
        """Another device of ``fz-devices``; every third time the one it calls with."""
        self.devices += 1
        devices = self.fuzz.devices
        return devices.device_id if self.devices % 3 == 0 else devices.spare().device_id

    def _charge(self) -> str:
        """A new reservation of ``fz-relay``'s for one ``message.submit`` on ``fz-app``."""
        return str(
            self.fuzz.relay.call(
                "POST",
                "/v1/charges",
                json=_charge_body(),
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )["charge_id"]
        )

    def _integration_account(self) -> str:
        """A new account made through the integration interface (for its destructive calls)."""
        body = {"account_id": _new_id(), "name": "Fuzzed", "kind": "prepaid", "plan_id": "std"}
        return str(self.fuzz.ops.call("POST", "/v1/integration/accounts", json=body)["account_id"])

    def fill(self, case: Case, *, again: bool) -> None:
        for name in case.path_parameters or {}:
            if name in self.makers:
                if not again or name not in self.last:
                    self.last[name] = self.makers[name]()
                case.path_parameters[name] = self.last[name]


def _new_id() -> str:
    return f"fz-new-{uuid.uuid4().hex[:12]}"


def _charge_body() -> dict[str, Any]:
    return {"account_id": "fz-app", "service_id": "message.submit", "units": 1}


def _own_query(operation: APIOperation, query: dict[str, Any]) -> None:
    """An own case's query where the operation needs known values."""
    if operation.path == "/v1/integration/accounts/{account_id}/invoice":
        now = datetime.now(UTC)
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        query.update({"from": start.isoformat(), "to": (now + timedelta(minutes=1)).isoformat()})


def _own_body(fuzz: Fuzz, operation: APIOperation, body: dict[str, Any], again: bool) -> None:
    """Make an own case's body reach the operation's success path where it needs a secret
    or a known value (the generated rest of it stays)."""
    route = (operation.method.upper(), operation.path)
    integration = route[1].removeprefix("/v1/integration")
    now = datetime.now(UTC)
    if route == ("POST", "/v1/charges"):
        body.update(_charge_body(), units=10**9 if again else 1)  # 402, or a reservation
    elif route[1] == "/v1/charges/{charge_id}/commit":
        body.pop("error", None)
        body.update(units=1, outcome="succeeded")
    elif route[1] == "/v1/invoices/{invoice_id}/payments":
        # declined leaves the invoice payable; an ``again`` case pays it (then 422)
        body["card_token"] = "tok_visa" if again else "tok_chargeDeclined"
    elif route == ("POST", "/v1/integration/accounts"):
        body.pop("parent_id", None)
        body.update(account_id=_new_id(), plan_id="std")
    elif integration == "/accounts/{account_id}/subscription":
        body["plan_id"] = "mini"
    elif integration == "/invoice-lines":
        body.update(account_id="fz-org", service_id="sms", units=1, at=now.isoformat())
    elif integration == "/services":
        body["service_id"] = f"fz.s{uuid.uuid4().hex[:8]}"
    elif integration == "/events":
        body.update(_events(("fz-org", 1, now)))
    elif route == ("POST", "/v1/password"):
        body["old_password"] = fuzz.password.password
    elif route == ("POST", "/v1/devices"):
        body.update(login=fuzz.devices.login, password=fuzz.devices.password)
    elif route == ("POST", "/v1/token"):
        body["refresh_token"] = fuzz.devices.spare().refresh
    elif route == ("POST", "/v1/sessions"):
        body["service_id"] = "sms"
    elif route == ("POST", "/v1/quotes"):
        body.update(service_id="sms", units=1)
    elif route == ("POST", "/v1/topups"):
        body.pop("voucher_code", None)
        body.update(amount="5", card_token="tok_visa")
    elif route[1] in {"/v1/sessions/{session_id}/updates", "/v1/sessions/{session_id}/end"}:
        body.update(seq=1, used_units=0)
    elif route == ("PUT", "/v1/account/children/{account_id}/limits"):
        body.update(daily="5.00", monthly=None)  # a parent's limit for its member
    elif route[1] == "/v1/admin/accounts/{account_id}/adjustments":
        body["amount"] = "-1000000" if again else "2"  # 402, or a credit
    elif route == ("POST", "/v1/gateway/admissions"):
        body["token"] = fuzz.live.open_gateway_session()["gateway"]["token"]
    elif route == ("POST", "/v1/gateway/sessions"):
        body["session_ids"] = [fuzz.live.open_session()]
    elif route == ("POST", "/v1/gateway/counts"):
        body["counts"] = [{"session_id": fuzz.live.open_session(), "served_units": 1}]


def _after(fuzz: Fuzz, case: Case, answer: Any) -> None:
    """Keep the logins usable after a destructive call succeeded."""
    route = (case.method.upper(), case.operation.path)
    if route == ("POST", "/v1/password") and answer.status_code == 204:
        fuzz.password.password = case.body["new_password"]
    revoked = (case.path_parameters or {}).get("device_id")
    if answer.status_code == 204 and revoked == fuzz.devices.device_id:
        fuzz.devices.sign_in()  # it signed itself out: sign in again


def _problem_rule(case: Case, answer: Any) -> str | None:
    """Why a failing ``/v1/*`` answer breaks the problem+json rule, or None."""
    if answer.status_code < 400 or not case.operation.path.startswith("/v1/"):
        return None
    content_type = answer.headers.get("content-type", [""])[0]
    if not content_type.startswith("application/problem+json"):
        return f"{answer.status_code} answered {content_type!r}, not application/problem+json"
    body = answer.json()
    if not isinstance(body, dict) or body.get("code") not in PROBLEM_CODES:
        return f"{answer.status_code} problem without a protocol code: {answer.text[:200]}"
    return None


def _run(fuzz: Fuzz, operation: APIOperation, mode: GenerationMode, examples: int) -> None:
    own_ids = OwnIds(fuzz, operation)
    label = f"{operation.method.upper()} {operation.path} ({mode.value})"

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: failures are collected, not raised
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), choice=st.integers(0, 29))
    def check(case: Case, choice: int) -> None:
        # the first example is an own one with a token: every operation is reached
        first, own_ids.calls = own_ids.calls == 0, own_ids.calls + 1
        again = choice % 3 == 0 and not first
        if choice % 2 or first:  # an own case
            own_ids.fill(case, again=again)
            if mode.is_positive and isinstance(case.body, dict):
                _own_body(fuzz, operation, case.body, again)
            if mode.is_positive and isinstance(case.query, dict):
                _own_query(operation, case.query)
        login = fuzz.login_for(operation)
        headers = {}
        if login is not None and (choice % 10 or first):  # else a call without a token
            headers["Authorization"] = f"Bearer {login.access}"
        answer = case.call(base_url=fuzz.server.url, headers=headers, timeout=30)
        fuzz.statuses.setdefault(operation.label, set()).add(answer.status_code)
        _after(fuzz, case, answer)
        try:
            case.validate_response(answer, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                fuzz.failures.setdefault((label, failure.title), str(group))
        broken = _problem_rule(case, answer)
        if broken is not None:
            fuzz.failures.setdefault((label, broken), case.as_curl_command(headers=headers))

    try:
        check()
    except Unsatisfiable:
        # nothing of the operation can be made invalid (GET /v1/health takes no input)
        assert not mode.is_positive, label


def test_every_operation_holds_to_its_schema(fuzz: Fuzz) -> None:
    operations = [result.ok() for result in fuzz.schema.get_all_operations()]
    assert len(operations) >= 52, [op.label for op in operations]
    for operation in operations:
        _run(fuzz, operation, GenerationMode.POSITIVE, POSITIVE_EXAMPLES)
        _run(fuzz, operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)
    report = "\n\n".join(
        f"== {label}: {title}\n{detail}" for (label, title), detail in fuzz.failures.items()
    )
    assert not fuzz.failures, f"{len(fuzz.failures)} schema failures:\n{report}"
    # the own cases got past auth and 404 to each operation's success path
    unreached = [label for label, codes in fuzz.statuses.items() if min(codes) >= 300]
    assert not unreached, {label: sorted(fuzz.statuses[label]) for label in unreached}
