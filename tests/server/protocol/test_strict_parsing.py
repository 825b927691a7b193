"""Money and unit fields parse exactly what the published schema allows, against a real server.

Hypothesis sends JSON values of every kind (near-miss decimal strings with spaces,
a final newline, signs, exponents, non-ASCII digits, too many places; numbers for
money; booleans, floats and numeric strings for units) to fields the schema calls a
string decimal or an integer. An oracle written from the schema decides: a value the
schema refuses must be answered 422 ``validation_error`` (never 2xx, never 5xx); a
value it allows may be refused for a business reason (an amount out of bounds, funds),
but never with a 5xx.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import Api, problem
from tests.support.catalogs import PASSWORD, account
from tests.support.fixtures import ServerFactory

MONEY = re.compile(r"-?[0-9]+(\.[0-9]{1,6})?")  # the schema's pattern, matched whole
UNITS_MAX = 10**12  # charges and invoice lines (quotes: 2**62)
EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

ACCOUNTS = [account("strict", "1000"), account("strict-app", "1000")]
USERS = [
    {"login": "strict-relay", "password": PASSWORD, "role": "service"}
    | {"may_charge": ["strict-app"]},
    {"login": "strict-ops", "password": PASSWORD, "role": "operator"},
]

_DECIMALS = st.from_regex(r"\A-?[0-9]{1,25}(\.[0-9]{1,8})?\Z")
_NEAR_MISSES = st.builds(
    lambda text, before, after: before + text + after,
    _DECIMALS,
    st.sampled_from(["", " ", "+", "\t", "\n", "0x", "٣"]),
    st.sampled_from(["", " ", "\n", "\r\n", "e3", "E-2", ".", "..5", "\u00a0", "٣", "\x00"]),
)
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
MONEY_VALUES = _DECIMALS | _NEAR_MISSES | _ANY_JSON
UNIT_VALUES = (
    st.integers(-(2**70), 2**70)
    | st.integers(0, 10**13).map(str)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(0, 10**6).map(float)
    | _ANY_JSON
)


def _is_money(value: Any) -> bool:
    return isinstance(value, str) and MONEY.fullmatch(value) is not None


def _is_units(value: Any, largest: int) -> bool:
    return type(value) is int and 0 <= value <= largest


class Calls:
    """The logins of the test's catalogue on one server."""

    def __init__(self, url: str) -> None:
        self.user = Api(url, "strict")
        self.support = Api(url, "support")
        self.relay = Api(url, "strict-relay")
        self.ops = Api(url, "strict-ops")

    def close(self) -> None:
        for api in (self.user, self.support, self.relay, self.ops):
            api.close()


@pytest.fixture(scope="module")
def calls(module_servers: ServerFactory) -> Iterator[Calls]:
    module_servers.import_catalog(ACCOUNTS, users=USERS)
    server = module_servers.start("strict")
    made = Calls(server.url)
    yield made
    made.close()
    module_servers.stop_all()
    module_servers.verify()


def _judge(answer: httpx.Response, allowed: bool, value: Any) -> None:
    assert answer.status_code < 500, (value, answer.status_code, answer.text)
    if not allowed:
        problem(answer, 422, "validation_error")


def _post(api: Api, path: str, body: dict[str, Any], *, key: bool = False) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return api.post(path, content=json.dumps(body), headers=headers, json=None)


@EXAMPLES
@given(amount=MONEY_VALUES)
def test_card_amounts(calls: Calls, amount: Any) -> None:
    body = {"amount": amount, "card_token": "tok_chargeDeclined"}  # a valid one credits nothing
    _judge(_post(calls.user, "/v1/topups", body, key=True), _is_money(amount), amount)


@EXAMPLES
@given(amount=MONEY_VALUES)
def test_adjustment_amounts(calls: Calls, amount: Any) -> None:
    if _is_money(amount) and amount.lstrip("-").strip("0.") == "":
        amount = "0"  # zero: refused by the business rule, still a valid shape
    body = {"amount": amount, "reason": "strict parsing test"}
    answer = _post(calls.support, "/v1/admin/accounts/strict/adjustments", body, key=True)
    _judge(answer, _is_money(amount), amount)
    if answer.status_code == 201:  # undo it, so the account stays where it was
        back = amount[1:] if amount.startswith("-") else "-" + amount
        undo = {"amount": back, "reason": "undo"}
        assert _post(calls.support, "/v1/admin/accounts/strict/adjustments", undo, key=True)


@EXAMPLES
@given(units=UNIT_VALUES)
def test_quote_units(calls: Calls, units: Any) -> None:
    answer = _post(calls.user, "/v1/quotes", {"service_id": "voice", "units": units})
    _judge(answer, _is_units(units, 2**62), units)


@EXAMPLES
@given(units=UNIT_VALUES)
def test_charge_units(calls: Calls, units: Any) -> None:
    body = {"account_id": "strict-app", "service_id": "sms", "units": units}
    answer = _post(calls.relay, "/v1/charges", body, key=True)
    allowed = _is_units(units, UNITS_MAX) and units >= 1
    _judge(answer, allowed, units)
    if answer.status_code == 201:  # release the reservation again
        charge_id = answer.json()["charge_id"]
        calls.relay.post(f"/v1/charges/{charge_id}/cancel", {})


@EXAMPLES
@given(units=UNIT_VALUES)
def test_invoice_line_units(calls: Calls, units: Any) -> None:
    body = {
        "account_id": "strict",
        "service_id": "sms",
        "units": units,
        "at": datetime.now(UTC).isoformat(),
    }
    answer = _post(calls.ops, "/v1/integration/invoice-lines", body)
    _judge(answer, _is_units(units, UNITS_MAX), units)


def test_a_final_newline_is_not_part_of_a_number(calls: Calls) -> None:
    body = {"amount": "5.00\n", "card_token": "tok_visa"}
    problem(_post(calls.user, "/v1/topups", body, key=True), 422, "validation_error")
    for units in (True, "1", 1.0):
        body = {"account_id": "strict-app", "service_id": "sms", "units": units}
        problem(_post(calls.relay, "/v1/charges", body, key=True), 422, "validation_error")


def test_a_quote_beyond_the_largest_amount_is_refused(calls: Calls) -> None:
    answer = _post(calls.user, "/v1/quotes", {"service_id": "sms", "units": 2**62})
    body = problem(answer, 422, "validation_error")
    assert "largest amount" in body["detail"]
    assert _post(calls.user, "/v1/quotes", {"service_id": "sms", "units": 10**9}).status_code == 200


def test_an_overlong_path_id_is_refused_without_an_echo(calls: Calls) -> None:
    long_id = "x" * 16_384
    for method, path in (
        ("GET", f"/v1/sessions/{long_id}"),
        ("GET", f"/v1/topups/{long_id}"),
        ("DELETE", f"/v1/devices/{long_id}"),
    ):
        answer = calls.user.request(method, path)
        body = problem(answer, 422, "validation_error")
        assert long_id not in answer.text
        assert len(body["detail"]) < 200
