"""The catalogue parser: CATALOG.md's format, its defaults and every refusal."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billclient.rating import Rate, Unit
from billserver.catalog import (
    AccountDef,
    Catalog,
    CatalogError,
    PlanDef,
    ServiceDef,
    UserDef,
    VoucherDef,
    load_catalog,
    parse_catalog,
)

# The example of CATALOG.md, verbatim, plus the parent account it names.
EXAMPLE = """
currency = "USD"                 # ISO 4217, one currency per catalogue

[[services]]
id = "voice"                     # [a-z0-9_-]{1,32}
name = "Voice call"
unit = "second"                  # "second" | "byte" | "event"
media = "voice"                  # voice | video | im | web | download | other
grant = 60                       # units reserved per credit grant
                                 # default: 60 (second), 1000000 (byte), 1 (event)
update_interval = 10             # seconds between utilization updates; default 10

[[plans]]
id = "standard"
name = "Standard"
timezone = "Europe/Berlin"       # IANA name; default "UTC"

  [[plans.rates]]
  service = "voice"
  price = "0.0200"               # decimal string: price of `per` units
  per = 60                       # default 1
  increment = 1                  # billing increment, default 1
  first_increment = 60           # first billed block, default = increment
  setup_fee = "0.05"             # once per session/usage record, default "0"
  min_charge = "0"               # default "0"

    [[plans.rates.windows]]      # optional time-of-day prices
    days = ["mon", "tue", "wed", "thu", "fri"]   # default: all seven days
    start = "08:00"              # local time in the plan's timezone
    end = "18:00"                # "HH:MM" or "24:00"; must differ from start
    price = "0.0400"             # replaces `price` inside the window (`per` unchanged)

[[accounts]]
id = "acme"
name = "ACME Ltd"
kind = "prepaid"                 # prepaid | postpaid
plan = "standard"
balance = "10.00"
credit_limit = "0"               # postpaid only: how far below zero it may go
status = "active"                # active | inactive | pending
low_balance_threshold = "2.00"   # optional
parent = "acme-group"            # optional parent account id

[[accounts]]
id = "acme-group"
name = "ACME Group"
kind = "postpaid"
plan = "standard"

[[users]]
login = "alice"
password = "correct horse"       # hashed on import (argon2 or scrypt), never stored plain
role = "user"                    # user | support | operator
account = "acme"                 # required for role "user"

[[vouchers]]
code = "TOPUP-1234-5678"
amount = "5.00"                  # single use
"""

PICO = 10**12
MICRO = 10**6


def test_catalog_md_example() -> None:
    catalog = parse_catalog(EXAMPLE)

    assert catalog.currency == "USD"
    assert catalog.services == (
        ServiceDef(
            id="voice",
            name="Voice call",
            unit=Unit.SECOND,
            media="voice",
            grant=60,
            update_interval=10,
        ),
    )
    (plan,) = catalog.plans
    assert (plan.id, plan.name, plan.timezone) == ("standard", "Standard", "Europe/Berlin")
    assert list(plan.rates) == ["voice"]
    rate = plan.rates["voice"]
    assert rate.unit is Unit.SECOND
    assert rate.timezone == "Europe/Berlin"
    assert rate.price == 2 * PICO // 100
    assert (rate.per, rate.increment, rate.first_increment) == (60, 1, 60)
    assert (rate.setup_fee, rate.min_charge) == (50_000, 0)
    (window,) = rate.windows
    assert window.days == frozenset({0, 1, 2, 3, 4})
    assert (window.start, window.end, window.price) == (8 * 60, 18 * 60, 4 * PICO // 100)
    assert catalog.accounts == (
        AccountDef(
            id="acme",
            name="ACME Ltd",
            kind="prepaid",
            plan="standard",
            balance=10 * MICRO,
            credit_limit=0,
            status="active",
            low_balance_threshold=2 * MICRO,
            parent="acme-group",
        ),
        AccountDef(
            id="acme-group",
            name="ACME Group",
            kind="postpaid",
            plan="standard",
            balance=0,
            credit_limit=0,
            status="active",
            low_balance_threshold=None,
            parent=None,
        ),
    )
    assert catalog.users == (
        UserDef(login="alice", password="correct horse", role="user", account="acme"),
    )
    assert catalog.vouchers == (VoucherDef(code="TOPUP-1234-5678", amount=5 * MICRO),)


def test_lookups_and_values() -> None:
    catalog = parse_catalog(EXAMPLE)
    assert catalog.service("voice") is catalog.services[0]
    assert catalog.plan("standard") is catalog.plans[0]
    assert catalog.account("acme-group") is catalog.accounts[1]
    assert catalog.service("video") is None
    assert catalog.plan("gold") is None
    assert catalog.account("nobody") is None
    plan = catalog.plans[0]
    with pytest.raises(TypeError):
        plan.rates["video"] = plan.rates["voice"]  # type: ignore[index]
    assert hash(plan) == hash(parse_catalog(EXAMPLE).plans[0])
    assert catalog == parse_catalog(EXAMPLE)
    assert "correct horse" not in repr(catalog.users[0])
    assert PlanDef("p", "P", "UTC", {}).rates == {}


def test_only_currency_is_required() -> None:
    assert parse_catalog('currency = "EUR"') == Catalog("EUR", (), (), (), (), ())


def test_defaults() -> None:
    catalog = parse_catalog(
        """
        currency = "EUR"
        services = [
          {id = "s", name = "S", unit = "second", media = "voice"},
          {id = "b", name = "B", unit = "byte", media = "download"},
          {id = "e", name = "E", unit = "event", media = "im"},
        ]
        [[plans]]
        id = "p"
        name = "P"
          [[plans.rates]]
          service = "s"
          price = "1"
          [[plans.rates]]
          service = "b"
          price = "0.000000000001"
          increment = 1024
            [[plans.rates.windows]]
            start = "22:00"
            end = "24:00"
            price = "0"
        [[accounts]]
        id = "a"
        name = "A"
        kind = "postpaid"
        plan = "p"
        [[users]]
        login = "u"
        password = "pw"
        account = "a"
        """
    )
    assert [(s.id, s.grant, s.update_interval) for s in catalog.services] == [
        ("s", 60, 10),
        ("b", 1_000_000, 10),
        ("e", 1, 10),
    ]
    (plan,) = catalog.plans
    assert plan.timezone == "UTC"
    assert list(plan.rates) == ["s", "b"]
    assert plan.rates["s"] == Rate(unit=Unit.SECOND, timezone="UTC", price=PICO)
    byte = plan.rates["b"]
    assert (byte.unit, byte.price, byte.per) == (Unit.BYTE, 1, 1)
    assert (byte.increment, byte.first_increment) == (1024, 1024)
    assert (byte.setup_fee, byte.min_charge) == (0, 0)
    (window,) = byte.windows
    assert (window.days, window.start, window.end) == (frozenset(range(7)), 22 * 60, 24 * 60)
    assert catalog.accounts[0] == AccountDef(
        id="a",
        name="A",
        kind="postpaid",
        plan="p",
        balance=0,
        credit_limit=0,
        status="active",
        low_balance_threshold=None,
        parent=None,
    )
    assert catalog.users[0].role == "user"


# --- refusals --------------------------------------------------------------------


def base() -> dict[str, Any]:
    """A valid catalogue that each refusal case breaks in one place."""
    return {
        "currency": "EUR",
        "services": [
            {"id": "voice", "name": "Voice", "unit": "second", "media": "voice"},
            {"id": "video", "name": "Video", "unit": "byte", "media": "video"},
            {"id": "sms", "name": "SMS", "unit": "event", "media": "im"},
        ],
        "plans": [
            {
                "id": "standard",
                "name": "Standard",
                "timezone": "Europe/Berlin",
                "rates": [
                    {"service": "voice", "price": "0.02", "per": 60},
                    {
                        "service": "video",
                        "price": "0.000001",
                        "windows": [
                            {"days": ["sat", "sun"], "start": "20:00", "end": "02:00", "price": "0"}
                        ],
                    },
                ],
            },
            {"id": "basic", "name": "Basic", "rates": [{"service": "sms", "price": "0.1"}]},
        ],
        "accounts": [
            {
                "id": "group",
                "name": "Group",
                "kind": "postpaid",
                "plan": "basic",
                "balance": "-50",
                "credit_limit": "100",
            },
            {
                "id": "acme",
                "name": "ACME",
                "kind": "prepaid",
                "plan": "standard",
                "balance": "10",
                "parent": "group",
            },
        ],
        "users": [
            {"login": "alice", "password": "secret", "account": "acme"},
            {"login": "sam", "password": "secret", "role": "support"},
        ],
        "vouchers": [{"code": "TOPUP-0001", "amount": "5"}],
    }


def test_base_is_valid() -> None:
    catalog = parse_catalog(tomli_w.dumps(base()))
    assert [a.id for a in catalog.accounts] == ["group", "acme"]
    window = catalog.plans[0].rates["video"].windows[0]
    assert (window.days, window.start, window.end) == (frozenset({5, 6}), 20 * 60, 2 * 60)


def errors_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(tomli_w.dumps(document))
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


Edit = Callable[[dict[str, Any]], object]

SERVICE0 = 'services[0] (id "voice")'
RATE0 = 'plans[0] (id "standard").rates[0] (service "voice")'
WINDOW = 'plans[0] (id "standard").rates[1] (service "video").windows[0]'
ACME = 'accounts[1] (id "acme")'
GROUP = 'accounts[0] (id "group")'
DAYS = '"mon", "tue", "wed", "thu", "fri", "sat", "sun"'


def svc(key: str, value: object, row: int = 0) -> Edit:
    return lambda d: d["services"][row].__setitem__(key, value)


def drop(table: str, row: int, key: str) -> Edit:
    return lambda d: d[table][row].pop(key)


def rate(key: str, value: object, row: int = 0) -> Edit:
    return lambda d: d["plans"][0]["rates"][row].__setitem__(key, value)


def window(key: str, value: object) -> Edit:
    return lambda d: d["plans"][0]["rates"][1]["windows"][0].__setitem__(key, value)


def acct(key: str, value: object, row: int = 1) -> Edit:
    return lambda d: d["accounts"][row].__setitem__(key, value)


def user(key: str, value: object, row: int = 0) -> Edit:
    return lambda d: d["users"][row].__setitem__(key, value)


def voucher(key: str, value: object) -> Edit:
    return lambda d: d["vouchers"][0].__setitem__(key, value)


def top(key: str, value: object) -> Edit:
    return lambda d: d.__setitem__(key, value)


REFUSALS: list[tuple[str, Edit, list[str]]] = [
    # top level
    ("currency missing", lambda d: d.pop("currency"), ["currency: is required"]),
    (
        "currency lower case",
        top("currency", "eur"),
        ['currency: must be a three-letter ISO 4217 currency code like "USD", got "eur"'],
    ),
    (
        "currency unknown",
        top("currency", "ABC"),
        ['currency: unknown ISO 4217 currency code "ABC"'],
    ),
    ("unknown top-level key", top("colour", "red"), ["colour: unknown key"]),
    (
        "table not an array",
        top("vouchers", 5),
        ["vouchers: must be an array of tables ([[vouchers]]), got 5"],
    ),
    ("row not a table", top("vouchers", [1]), ["vouchers[0]: must be a table, got 1"]),
    # services
    (
        "grant zero",
        svc("grant", 0, row=2),
        ['services[2] (id "sms"): grant: must be an integer >= 1, got 0'],
    ),
    (
        "grant boolean",
        svc("grant", True),
        [f"{SERVICE0}: grant: must be an integer >= 1, got true"],
    ),
    (
        "grant too large",
        svc("grant", 2**63),
        [f"{SERVICE0}: grant: must be an integer <= 9223372036854775807, got {2**63}"],
    ),
    (
        "update_interval string",
        svc("update_interval", "10"),
        [f'{SERVICE0}: update_interval: must be an integer >= 1, got "10"'],
    ),
    (
        "update_interval float",
        svc("update_interval", 1.5),
        [f"{SERVICE0}: update_interval: must be an integer >= 1, got 1.5"],
    ),
    (
        "unit unknown",
        svc("unit", "minute"),
        [f'{SERVICE0}: unit: must be one of "second", "byte", "event", got "minute"'],
    ),
    (
        "media unknown",
        svc("media", "fax"),
        [
            f'{SERVICE0}: media: must be one of "voice", "video", "im", "web", "download", '
            '"other", got "fax"'
        ],
    ),
    ("media missing", drop("services", 0, "media"), [f"{SERVICE0}: media: is required"]),
    ("name empty", svc("name", ""), [f'{SERVICE0}: name: must be a non-empty string, got ""']),
    ("name missing", drop("services", 0, "name"), [f"{SERVICE0}: name: is required"]),
    ("unknown service key", svc("bit rate", 5), [f'{SERVICE0}: "bit rate": unknown key']),
    (
        "service id pattern (no usable id, dangling rate)",
        svc("id", "SMS", row=2),
        [
            "services[2]: id: must be a string matching "
            '[a-z0-9_-]{1,32}(\\.[a-z0-9_-]{1,31})?, got "SMS"',
            'plans[1] (id "basic").rates[0] (service "sms"): service: unknown service "sms"',
        ],
    ),
    (
        "service id too long",
        svc("id", "x" * 33, row=2),
        [
            "services[2]: id: must be a string matching [a-z0-9_-]{1,32}(\\.[a-z0-9_-]{1,31})?, "
            f'got "{"x" * 33}"',
            'plans[1] (id "basic").rates[0] (service "sms"): service: unknown service "sms"',
        ],
    ),
    (
        "duplicate service id",
        lambda d: d["services"].append(
            {"id": "voice", "name": "V", "unit": "event", "media": "other"}
        ),
        ['services[3] (id "voice"): id: duplicate id "voice", first used by services[0]'],
    ),
    # plans
    (
        "timezone unknown",
        lambda d: d["plans"][0].__setitem__("timezone", "Europe/Berln"),
        ['plans[0] (id "standard"): timezone: unknown IANA time zone "Europe/Berln"'],
    ),
    (
        "duplicate plan id",
        lambda d: d["plans"][1].__setitem__("id", "standard"),
        [
            'plans[1] (id "standard"): id: duplicate id "standard", first used by plans[0]',
            f'{GROUP}: plan: unknown plan "basic"',
        ],
    ),
    (
        "unknown plan key",
        lambda d: d["plans"][1].__setitem__("tax", "0.2"),
        ['plans[1] (id "basic"): tax: unknown key'],
    ),
    (
        "rates not an array",
        lambda d: d["plans"][1].__setitem__("rates", {"service": "sms"}),
        ['plans[1] (id "basic"): rates: must be an array of tables ([[plans.rates]]), got a table'],
    ),
    # rates
    (
        "price float",
        rate("price", 0.02),
        [f'{RATE0}: price: must be a decimal string like "0.02", got 0.02'],
    ),
    (
        "price integer",
        rate("price", 1),
        [f'{RATE0}: price: must be a decimal string like "0.02", got 1'],
    ),
    (
        "price text",
        rate("price", "1e-3"),
        [f'{RATE0}: price: must be a decimal string like "0.02", got "1e-3"'],
    ),
    ("price negative", rate("price", "-0.01"), [f'{RATE0}: price: must be >= 0, got "-0.01"']),
    (
        "price 13 places",
        rate("price", "0.0000000000001"),
        [f'{RATE0}: price: must have at most 12 decimal places, got "0.0000000000001"'],
    ),
    (
        "price too large",
        rate("price", "9223372.036854775808"),
        [
            f"{RATE0}: price: must be at most 9223372.036854775807 in magnitude, "
            'got "9223372.036854775808"'
        ],
    ),
    (
        "price missing",
        lambda d: d["plans"][0]["rates"][0].pop("price"),
        [f"{RATE0}: price: is required"],
    ),
    ("per zero", rate("per", 0), [f"{RATE0}: per: must be an integer >= 1, got 0"]),
    (
        "increment negative",
        rate("increment", -5),
        [f"{RATE0}: increment: must be an integer >= 1, got -5"],
    ),
    (
        "first_increment zero",
        rate("first_increment", 0),
        [f"{RATE0}: first_increment: must be an integer >= 1, got 0"],
    ),
    (
        "setup_fee 7 places",
        rate("setup_fee", "0.0000001"),
        [f'{RATE0}: setup_fee: must have at most 6 decimal places, got "0.0000001"'],
    ),
    (
        "min_charge float",
        rate("min_charge", 0.5),
        [f'{RATE0}: min_charge: must be a decimal string like "0.02", got 0.5'],
    ),
    (
        "min_charge negative",
        rate("min_charge", "-1"),
        [f'{RATE0}: min_charge: must be >= 0, got "-1"'],
    ),
    ("unknown rate key", rate("unit", "second"), [f"{RATE0}: unit: unknown key"]),
    (
        "rate for unknown service",
        lambda d: d["plans"][1]["rates"][0].__setitem__("service", "fax"),
        ['plans[1] (id "basic").rates[0] (service "fax"): service: unknown service "fax"'],
    ),
    (
        "rate service not a string",
        lambda d: d["plans"][1]["rates"][0].__setitem__("service", 7),
        ['plans[1] (id "basic").rates[0]: service: must be a non-empty string, got 7'],
    ),
    (
        "overlapping rates",
        lambda d: d["plans"][0]["rates"].append({"service": "voice", "price": "1"}),
        [
            'plans[0] (id "standard").rates[2] (service "voice"): service: '
            'overlapping rates for service "voice" (also rates[0])'
        ],
    ),
    # windows
    ("window end equals start", window("end", "20:00"), [f"{WINDOW}: end: must differ from start"]),
    (
        "window start format",
        window("start", "8:00"),
        [f'{WINDOW}: start: must be a time "HH:MM" from "00:00" to "23:59", got "8:00"'],
    ),
    (
        "window start 24:00",
        window("start", "24:00"),
        [f'{WINDOW}: start: must be a time "HH:MM" from "00:00" to "23:59", got "24:00"'],
    ),
    (
        "window end 24:01",
        window("end", "24:01"),
        [f'{WINDOW}: end: must be a time "HH:MM" from "00:00" to "24:00", got "24:01"'],
    ),
    (
        "window end 12:60",
        window("end", "12:60"),
        [f'{WINDOW}: end: must be a time "HH:MM" from "00:00" to "24:00", got "12:60"'],
    ),
    (
        "window days empty",
        window("days", []),
        [f"{WINDOW}: days: must list at least one day (leave it out to mean every day)"],
    ),
    (
        "window days repeated",
        window("days", ["sat", "mon", "sat"]),
        [f'{WINDOW}: days[2]: "sat" is listed twice'],
    ),
    (
        "window day unknown",
        window("days", ["sat", "Sunday"]),
        [f'{WINDOW}: days[1]: must be one of {DAYS}, got "Sunday"'],
    ),
    (
        "window days not an array",
        window("days", "sat"),
        [f'{WINDOW}: days: must be an array of days like ["mon", "tue"], got "sat"'],
    ),
    (
        "window price float",
        window("price", 0.0),
        [f'{WINDOW}: price: must be a decimal string like "0.02", got 0.0'],
    ),
    (
        "window missing keys",
        lambda d: d["plans"][0]["rates"][1]["windows"][0].clear(),
        [
            f"{WINDOW}: start: is required",
            f"{WINDOW}: end: is required",
            f"{WINDOW}: price: is required",
        ],
    ),
    ("unknown window key", window("tz", "UTC"), [f"{WINDOW}: tz: unknown key"]),
    # accounts
    ("unknown plan", acct("plan", "gold"), [f'{ACME}: plan: unknown plan "gold"']),
    ("kind missing", drop("accounts", 1, "kind"), [f"{ACME}: kind: is required"]),
    (
        "kind unknown",
        acct("kind", "credit"),
        [f'{ACME}: kind: must be one of "prepaid", "postpaid", got "credit"'],
    ),
    (
        "account id pattern",
        acct("id", "acme ltd"),
        [
            'accounts[1]: id: must be a string matching [A-Za-z0-9_.@-]{1,64}, got "acme ltd"',
            'users[0] (login "alice"): account: unknown account "acme"',
        ],
    ),
    (
        "duplicate account id",
        acct("id", "group"),
        [
            'accounts[1] (id "group"): id: duplicate id "group", first used by accounts[0]',
            'accounts[1] (id "group"): parent: must be another account, not the account itself',
            'users[0] (login "alice"): account: unknown account "acme"',
        ],
    ),
    (
        "balance float",
        acct("balance", 10.0),
        [f'{ACME}: balance: must be a decimal string like "0.02", got 10.0'],
    ),
    (
        "balance 7 places",
        acct("balance", "1.0000001"),
        [f'{ACME}: balance: must have at most 6 decimal places, got "1.0000001"'],
    ),
    (
        "prepaid negative balance",
        acct("balance", "-1"),
        [f'{ACME}: balance: must be >= 0 for a prepaid account, got "-1"'],
    ),
    (
        "prepaid credit limit",
        acct("credit_limit", "5.00"),
        [f'{ACME}: credit_limit: must be "0" for a prepaid account, got "5.00"'],
    ),
    (
        "postpaid below credit limit",
        acct("balance", "-100.01", row=0),
        [
            f"{GROUP}: balance: must be >= -credit_limit (-100) for a postpaid account, "
            'got "-100.01"'
        ],
    ),
    (
        "credit limit negative",
        acct("credit_limit", "-1", row=0),
        [f'{GROUP}: credit_limit: must be >= 0, got "-1"'],
    ),
    (
        "status unknown",
        acct("status", "closed"),
        [f'{ACME}: status: must be one of "active", "inactive", "pending", got "closed"'],
    ),
    (
        "low balance threshold negative",
        acct("low_balance_threshold", "-2"),
        [f'{ACME}: low_balance_threshold: must be >= 0, got "-2"'],
    ),
    ("parent unknown", acct("parent", "nobody"), [f'{ACME}: parent: unknown account "nobody"']),
    (
        "parent itself",
        acct("parent", "acme"),
        [f"{ACME}: parent: must be another account, not the account itself"],
    ),
    (
        "parent cycle",
        acct("parent", "acme", row=0),
        [f'{GROUP}: parent: forms a cycle "group" -> "acme" -> "group"'],
    ),
    ("unknown account key", acct("currency", "EUR"), [f"{ACME}: currency: unknown key"]),
    # users
    (
        "user without account",
        lambda d: d["users"][0].pop("account"),
        ['users[0] (login "alice"): account: is required for role "user"'],
    ),
    (
        "support with account",
        user("account", "acme", row=1),
        ['users[1] (login "sam"): account: must be left out for role "support"'],
    ),
    (
        "user of unknown account",
        user("account", "nobody"),
        ['users[0] (login "alice"): account: unknown account "nobody"'],
    ),
    (
        "role unknown",
        user("role", "admin"),
        [
            'users[0] (login "alice"): role: must be one of "user", "support", "operator", '
            '"service", got "admin"'
        ],
    ),
    (
        "password empty",
        user("password", ""),
        ['users[0] (login "alice"): password: must be a non-empty string'],
    ),
    (
        "password not shown",
        user("password", 1234),
        ['users[0] (login "alice"): password: must be a non-empty string'],
    ),
    (
        "password missing",
        drop("users", 0, "password"),
        ['users[0] (login "alice"): password: is required'],
    ),
    (
        "login pattern",
        user("login", "alice smith"),
        ['users[0]: login: must be a string matching [A-Za-z0-9_.@+-]{1,128}, got "alice smith"'],
    ),
    (
        "duplicate login",
        user("login", "alice", row=1),
        ['users[1] (login "alice"): login: duplicate login "alice", first used by users[0]'],
    ),
    # vouchers
    (
        "voucher amount zero",
        voucher("amount", "0"),
        ['vouchers[0] (code "TOPUP-0001"): amount: must be > 0, got "0"'],
    ),
    (
        "voucher amount integer",
        voucher("amount", 5),
        ['vouchers[0] (code "TOPUP-0001"): amount: must be a decimal string like "0.02", got 5'],
    ),
    (
        "voucher code too short",
        voucher("code", "abc"),
        ['vouchers[0]: code: must be a string matching [A-Za-z0-9_-]{4,64}, got "abc"'],
    ),
    (
        "duplicate voucher code",
        lambda d: d["vouchers"].append({"code": "TOPUP-0001", "amount": "1"}),
        [
            'vouchers[1] (code "TOPUP-0001"): code: duplicate code "TOPUP-0001", '
            "first used by vouchers[0]"
        ],
    ),
    (
        "voucher amount missing",
        lambda d: d["vouchers"][0].pop("amount"),
        ['vouchers[0] (code "TOPUP-0001"): amount: is required'],
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [(e, x) for _, e, x in REFUSALS], ids=[n for n, _, _ in REFUSALS]
)
def test_refusal(edit: Edit, expected: list[str]) -> None:
    document = base()
    edit(document)
    assert errors_of(document) == expected


def test_every_problem_is_reported_in_file_order() -> None:
    document = base()
    document["vouchers"][0]["amount"] = "-1"
    document["accounts"][1]["plan"] = "gold"
    document["accounts"][0]["parent"] = "acme"
    document["services"][2]["grant"] = 0
    document["services"][0]["colour"] = "red"
    document["services"][0]["grant"] = -1
    document["plans"][0]["rates"][1]["windows"][0]["end"] = "20:00"
    document["plans"][0]["rates"][0]["price"] = 0.02
    document["colour"] = "red"
    assert errors_of(document) == [
        "colour: unknown key",
        f"{SERVICE0}: colour: unknown key",
        f"{SERVICE0}: grant: must be an integer >= 1, got -1",
        'services[2] (id "sms"): grant: must be an integer >= 1, got 0',
        f'{RATE0}: price: must be a decimal string like "0.02", got 0.02',
        f"{WINDOW}: end: must differ from start",
        f'{GROUP}: parent: forms a cycle "group" -> "acme" -> "group"',
        f'{ACME}: plan: unknown plan "gold"',
        'vouchers[0] (code "TOPUP-0001"): amount: must be > 0, got "-1"',
    ]


def test_cycle_of_three_reported_once_at_its_first_row() -> None:
    document = base()
    document["accounts"] = [
        {"id": "x", "name": "X", "kind": "postpaid", "plan": "basic", "parent": "c"},
        {"id": "a", "name": "A", "kind": "postpaid", "plan": "basic", "parent": "x"},
        {"id": "c", "name": "C", "kind": "postpaid", "plan": "basic", "parent": "b"},
        {"id": "b", "name": "B", "kind": "postpaid", "plan": "basic", "parent": "a"},
        {"id": "acme", "name": "D", "kind": "postpaid", "plan": "basic", "parent": "a"},
    ]
    assert errors_of(document) == [
        'accounts[0] (id "x"): parent: forms a cycle "x" -> "c" -> "b" -> "a" -> "x"',
    ]


def test_deep_parent_chain_is_fine() -> None:
    document = base()
    chain = [{"id": f"a{i}", "name": "A", "kind": "postpaid", "plan": "basic"} for i in range(2000)]
    for i, row in enumerate(chain[1:]):
        row["parent"] = f"a{i}"
    document["accounts"] = [*document["accounts"], *chain]
    assert len(parse_catalog(tomli_w.dumps(document)).accounts) == 2002


def test_time_literal_hint() -> None:
    text = tomli_w.dumps(base()).replace('start = "20:00"', "start = 20:00:00")
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)
    assert caught.value.errors == [
        f'{WINDOW}: start: must be a time "HH:MM" from "00:00" to "23:59", '
        'got the time 20:00:00 (write times as strings, like "08:00")'
    ]


# --- files and syntax ------------------------------------------------------------


def test_toml_syntax_error_names_source_and_line() -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog('currency = "EUR"\n\n[[services]]\nid = \n', source="cat.toml")
    assert caught.value.errors == ["cat.toml, line 4, column 6: TOML syntax error: Invalid value"]
    assert caught.value.source == "cat.toml"


def test_toml_error_at_end_of_file() -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog('currency = "EUR"\ncurrency = "USD"')
    (message,) = caught.value.errors
    assert message.startswith("catalog, line 2 (end of file): TOML syntax error: ")


def test_load_catalog(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    assert load_catalog(path) == parse_catalog(EXAMPLE)
    assert load_catalog(str(path)) == parse_catalog(EXAMPLE)


def test_load_catalog_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.encode())
    assert load_catalog(path) == parse_catalog(EXAMPLE)


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.errors == [f"{path}: no such file"]
    assert str(caught.value) == f"{path}: no such file"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    assert caught.value.errors == [f"{tmp_path}: is a directory, not a catalogue file"]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('currency = "EUR"\n[[services]]\nname = "Caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.errors == [f"{path}, line 3: not UTF-8 text (byte offset 41)"]


def test_syntax_error_in_file_names_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('currency = "EUR"\n[[services]\n', encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    (message,) = caught.value.errors
    assert message.startswith(f"{path}, line 2, column ")
    assert "TOML syntax error" in message


def test_catalog_error_str_joins_lines() -> None:
    error = CatalogError(["a: one", "b: two"], source="x")
    assert str(error) == "a: one\nb: two"
    assert error.errors == ["a: one", "b: two"]


# --- round trip ------------------------------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
MEDIA = ["voice", "video", "im", "web", "download", "other"]
DEFAULT_GRANT = {"second": 60, "byte": 1_000_000, "event": 1}
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

names = st.text(min_size=1, max_size=20)
counts = st.integers(min_value=1, max_value=2**40)


@st.composite
def decimals(draw: st.DrawFn, places: int, *, negative: bool = False) -> tuple[str, int]:
    """A decimal string and its value in 10**-places units."""
    whole = draw(st.integers(min_value=0, max_value=10**6))
    frac = draw(st.text("0123456789", max_size=places))
    sign = "-" if negative and draw(st.booleans()) else ""
    text = f"{sign}{whole}" + (f".{frac}" if frac else "")
    value = whole * 10**places + int(frac.ljust(places, "0") or "0")
    return text, -value if sign else value


def maybe(draw: st.DrawFn, row: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        row[key] = draw(strategy)


def clock_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def catalogues(draw: st.DrawFn) -> dict[str, Any]:
    """A valid catalogue document (TOML-ready) with a random choice of optional keys."""
    document: dict[str, Any] = {"currency": draw(st.sampled_from(["EUR", "USD", "JPY", "CHF"]))}
    service_ids = draw(
        st.lists(st.from_regex(r"[a-z0-9_-]{1,32}", fullmatch=True), unique=True, max_size=4)
    )
    services = []
    for service_id in service_ids:
        row = {
            "id": service_id,
            "name": draw(names),
            "unit": draw(st.sampled_from(list(DEFAULT_GRANT))),
            "media": draw(st.sampled_from(MEDIA)),
        }
        maybe(draw, row, "grant", counts)
        maybe(draw, row, "update_interval", counts)
        services.append(row)
    document["services"] = services

    plan_ids = draw(
        st.lists(st.from_regex(r"[a-z0-9_-]{1,32}", fullmatch=True), unique=True, max_size=3)
    )
    plans = []
    for plan_id in plan_ids:
        plan: dict[str, Any] = {"id": plan_id, "name": draw(names)}
        maybe(draw, plan, "timezone", st.sampled_from(ZONES))
        rated = draw(st.lists(st.sampled_from(service_ids), unique=True)) if service_ids else []
        rates = []
        for service_id in rated:
            rate_row: dict[str, Any] = {"service": service_id, "price": draw(decimals(12))[0]}
            for key in ("per", "increment", "first_increment"):
                maybe(draw, rate_row, key, counts)
            for key in ("setup_fee", "min_charge"):
                maybe(draw, rate_row, key, decimals(6).map(lambda pair: pair[0]))
            windows = []
            for _ in range(draw(st.integers(min_value=0, max_value=3))):
                start = draw(st.integers(min_value=0, max_value=1439))
                end = draw(
                    st.integers(min_value=0, max_value=1440).filter(lambda m, s=start: m != s)
                )
                window_row: dict[str, Any] = {
                    "start": clock_text(start),
                    "end": clock_text(end),
                    "price": draw(decimals(12))[0],
                }
                maybe(
                    draw,
                    window_row,
                    "days",
                    st.lists(st.sampled_from(DAY_NAMES), min_size=1, unique=True),
                )
                windows.append(window_row)
            if windows or draw(st.booleans()):
                rate_row["windows"] = windows
            rates.append(rate_row)
        if rates or draw(st.booleans()):
            plan["rates"] = rates
        plans.append(plan)
    document["plans"] = plans

    account_ids = (
        draw(
            st.lists(
                st.from_regex(r"[A-Za-z0-9_.@-]{1,64}", fullmatch=True), unique=True, max_size=4
            )
        )
        if plan_ids
        else []
    )
    accounts = []
    for index, account_id in enumerate(account_ids):
        account: dict[str, Any] = {
            "id": account_id,
            "name": draw(names),
            "kind": draw(st.sampled_from(["prepaid", "postpaid"])),
            "plan": draw(st.sampled_from(plan_ids)),
        }
        if account["kind"] == "prepaid":
            maybe(draw, account, "balance", decimals(6).map(lambda pair: pair[0]))
            maybe(draw, account, "credit_limit", st.sampled_from(["0", "0.00"]))
        else:
            limit_text, limit = draw(decimals(6))
            account["credit_limit"] = limit_text
            balance = draw(st.integers(min_value=-limit, max_value=10**12))
            account["balance"] = (
                ("-" if balance < 0 else "")
                + str(abs(balance) // 10**6)
                + (f".{abs(balance) % 10**6:06d}")
            )
        maybe(draw, account, "status", st.sampled_from(["active", "inactive", "pending"]))
        maybe(draw, account, "low_balance_threshold", decimals(6).map(lambda pair: pair[0]))
        if index:
            maybe(draw, account, "parent", st.sampled_from(account_ids[:index]))
        accounts.append(account)
    document["accounts"] = accounts

    logins = draw(
        st.lists(st.from_regex(r"[A-Za-z0-9_.@+-]{1,128}", fullmatch=True), unique=True, max_size=4)
    )
    users = []
    for login in logins:
        roles = ["user", "support", "operator"] if account_ids else ["support", "operator"]
        user_row: dict[str, Any] = {"login": login, "password": draw(names)}
        role = draw(st.sampled_from(roles))
        if role != "user" or draw(st.booleans()):
            user_row["role"] = role
        if role == "user":
            user_row["account"] = draw(st.sampled_from(account_ids))
        users.append(user_row)
    document["users"] = users

    codes = draw(
        st.lists(st.from_regex(r"[A-Za-z0-9_-]{4,64}", fullmatch=True), unique=True, max_size=3)
    )
    document["vouchers"] = [
        {"code": code, "amount": draw(decimals(6).filter(lambda pair: pair[1] > 0))[0]}
        for code in codes
    ]
    for key in ("services", "plans", "accounts", "users", "vouchers"):
        if not document[key] and draw(st.booleans()):
            del document[key]
    return document


def decimal_value(text: str, places: int) -> int:
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-").partition(".")
    return sign * (int(whole) * 10**places + int(frac.ljust(places, "0") or "0"))


def minutes(text: str) -> int:
    hours, _, mins = text.partition(":")
    return int(hours) * 60 + int(mins)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues())
def test_valid_catalogues_round_trip(document: dict[str, Any]) -> None:
    catalog = parse_catalog(tomli_w.dumps(document))
    assert catalog.currency == document["currency"]

    services = document.get("services", [])
    assert [
        (s.id, s.name, s.unit, s.media, s.grant, s.update_interval) for s in catalog.services
    ] == [
        (
            row["id"],
            row["name"],
            Unit(row["unit"]),
            row["media"],
            row.get("grant", DEFAULT_GRANT[row["unit"]]),
            row.get("update_interval", 10),
        )
        for row in services
    ]
    units = {row["id"]: Unit(row["unit"]) for row in services}

    plans = document.get("plans", [])
    assert [(p.id, p.name, p.timezone) for p in catalog.plans] == [
        (row["id"], row["name"], row.get("timezone", "UTC")) for row in plans
    ]
    for plan, row in zip(catalog.plans, plans, strict=True):
        rate_rows = row.get("rates", [])
        assert list(plan.rates) == [r["service"] for r in rate_rows]
        for rate_row in rate_rows:
            got = plan.rates[rate_row["service"]]
            increment = rate_row.get("increment", 1)
            assert got.unit is units[rate_row["service"]]
            assert got.timezone == row.get("timezone", "UTC")
            assert got.price == decimal_value(rate_row["price"], 12)
            assert got.per == rate_row.get("per", 1)
            assert got.increment == increment
            assert got.first_increment == rate_row.get("first_increment", increment)
            assert got.setup_fee == decimal_value(rate_row.get("setup_fee", "0"), 6)
            assert got.min_charge == decimal_value(rate_row.get("min_charge", "0"), 6)
            window_rows = rate_row.get("windows", [])
            assert [(w.days, w.start, w.end, w.price) for w in got.windows] == [
                (
                    frozenset(DAY_NAMES.index(day) for day in w.get("days", DAY_NAMES)),
                    minutes(w["start"]),
                    minutes(w["end"]),
                    decimal_value(w["price"], 12),
                )
                for w in window_rows
            ]

    assert catalog.accounts == tuple(
        AccountDef(
            id=row["id"],
            name=row["name"],
            kind=row["kind"],
            plan=row["plan"],
            balance=decimal_value(row.get("balance", "0"), 6),
            credit_limit=decimal_value(row.get("credit_limit", "0"), 6),
            status=row.get("status", "active"),
            low_balance_threshold=(
                decimal_value(row["low_balance_threshold"], 6)
                if "low_balance_threshold" in row
                else None
            ),
            parent=row.get("parent"),
        )
        for row in document.get("accounts", [])
    )
    assert catalog.users == tuple(
        UserDef(
            login=row["login"],
            password=row["password"],
            role=row.get("role", "user"),
            account=row.get("account"),
        )
        for row in document.get("users", [])
    )
    assert catalog.vouchers == tuple(
        VoucherDef(code=row["code"], amount=decimal_value(row["amount"], 6))
        for row in document.get("vouchers", [])
    )


@settings(max_examples=60, deadline=None)
@given(catalogues(), st.data())
def test_an_unknown_key_anywhere_is_refused(document: dict[str, Any], data: st.DataObject) -> None:
    rows: list[tuple[str, dict[str, Any]]] = [("", document)]
    for table in ("services", "plans", "accounts", "users", "vouchers"):
        for index, row in enumerate(document.get(table, [])):
            rows.append((f"{table}[{index}]", row))
    for p, plan in enumerate(document.get("plans", [])):
        for r, rate_row in enumerate(plan.get("rates", [])):
            rows.append((f"plans[{p}].rates[{r}]", rate_row))
            for w, window_row in enumerate(rate_row.get("windows", [])):
                rows.append((f"plans[{p}].rates[{r}].windows[{w}]", window_row))
    path, row = data.draw(st.sampled_from(rows))
    broken = copy.deepcopy(document)
    # Find the same row in the copy by walking the same path.
    target = broken
    for part in filter(None, path.replace("]", "").split(".")):
        name, _, index = part.partition("[")
        target = target[name][int(index)]
    target["extra_key"] = 1
    (message,) = errors_of(broken)
    assert message.endswith("extra_key: unknown key")
    assert message.startswith(path.split("[")[0] if path else "extra_key")


def test_catalog_error_pickles() -> None:
    error = CatalogError(["a: one", "b: two"], source="x")
    copied = pickle.loads(pickle.dumps(error))
    assert (copied.errors, copied.source, str(copied)) == (error.errors, "x", str(error))
