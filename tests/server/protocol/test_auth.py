"""Health, registration, tokens and devices against real server processes.

One module database; most tests share one server, each with its own account and
login. Servers with other flags (``--advertise``, ``--access-ttl``) run on the same
database so that nothing is imported twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import Api, problem
from tests.support.catalogs import PASSWORD, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

ACCOUNTS = [
    account("reg"),
    account("badpass"),
    account("sleepy", status="inactive"),
    account("advert"),
    account("rotate"),
    account("retry"),
    account("reuse"),
    account("hashes"),
    account("expiry"),
    account("signout"),
    account("devices"),
    account("stranger"),
]

TOKEN_FIELDS = {"access_token", "refresh_token", "expires_in", "servers"}


@pytest.fixture(scope="module")
def server(module_servers: ServerFactory) -> ServerProcess:
    module_servers.import_catalog(ACCOUNTS)
    return module_servers.start("auth-primary")


@pytest.fixture(scope="module")
def advertising(module_servers: ServerFactory, server: ServerProcess) -> ServerProcess:
    """A second process on the same database that advertises two server URLs."""
    return module_servers.start(
        "auth-advertising", "--advertise", "http://a", "--advertise", "http://b"
    )


@pytest.fixture(scope="module")
def short_lived(module_servers: ServerFactory, server: ServerProcess) -> ServerProcess:
    """A process on the same database whose access tokens live one second."""
    return module_servers.start("auth-short", "--access-ttl", "1")


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def register(url: str, login: str, password: str = PASSWORD, name: str = "test") -> httpx.Response:
    return httpx.post(
        url + "/v1/devices",
        json={"login": login, "password": password, "device_name": name, "platform": "pytest"},
        timeout=30,
    )


def refresh(url: str, refresh_token: str) -> httpx.Response:
    return httpx.post(url + "/v1/token", json={"refresh_token": refresh_token}, timeout=30)


def bearer(url: str, access_token: str, path: str = "/v1/account") -> httpx.Response:
    return httpx.get(url + path, headers={"Authorization": f"Bearer {access_token}"}, timeout=30)


def tokens_of(answer: httpx.Response, status: int = 200) -> tuple[str, str]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    return body["access_token"], body["refresh_token"]


def test_health_needs_no_auth(server: ServerProcess, http: httpx.Client) -> None:
    answer = http.get(server.url + "/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "server_id": "auth-primary"}


def test_registration_answers_every_field(server: ServerProcess) -> None:
    answer = register(server.url, "reg", name="laptop")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) >= TOKEN_FIELDS | {"device_id", "account_id", "role", "component"}
    assert body["account_id"] == "reg"
    assert body["role"] == "user"
    assert isinstance(body["device_id"], str) and body["device_id"]
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert isinstance(body["refresh_token"], str) and body["refresh_token"]
    assert body["access_token"] != body["refresh_token"]
    assert body["expires_in"] == 900  # the default access lifetime
    assert body["servers"] == [server.url]  # no --advertise: the URL the client reached
    assert isinstance(body["component"]["version"], str) and body["component"]["version"]
    assert bearer(server.url, body["access_token"]).json()["account_id"] == "reg"
    again = register(server.url, "reg").json()  # a second device of the same login
    assert again["device_id"] != body["device_id"]
    assert again["access_token"] != body["access_token"]


def test_wrong_password_and_unknown_login_look_the_same(server: ServerProcess) -> None:
    wrong = problem(register(server.url, "badpass", "not-the-password"), 401, "unauthorized")
    unknown = problem(register(server.url, "nobody-by-that-name"), 401, "unauthorized")
    assert wrong["detail"] == unknown["detail"]
    assert wrong == unknown
    assert register(server.url, "badpass").status_code == 201


def test_support_login_has_no_account(server: ServerProcess) -> None:
    answer = register(server.url, "support")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["account_id"] is None
    assert body["role"] == "support"
    problem(bearer(server.url, body["access_token"]), 404, "not_found")


def test_inactive_account_registers_and_reads_but_cannot_open_sessions(
    server: ServerProcess,
) -> None:
    api = Api(server.url, "sleepy")
    assert api.registration["account_id"] == "sleepy"
    assert api.account()["status"] == "inactive"
    problem(api.open("sms"), 403, "account_inactive")


def test_advertised_servers_are_answered_on_registration_and_refresh(
    advertising: ServerProcess,
) -> None:
    registered = register(advertising.url, "advert")
    assert registered.status_code == 201, registered.text
    assert registered.json()["servers"] == ["http://a", "http://b"]
    refreshed = refresh(advertising.url, registered.json()["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["servers"] == ["http://a", "http://b"]


def test_rotation_issues_a_new_pair_and_old_access_lives_until_expiry(
    server: ServerProcess,
) -> None:
    access0, refresh0 = tokens_of(register(server.url, "rotate"), 201)
    answer = refresh(server.url, refresh0)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) >= TOKEN_FIELDS
    assert body["expires_in"] == 900
    assert body["servers"] == [server.url]
    access1, refresh1 = body["access_token"], body["refresh_token"]
    assert access1 not in (access0, refresh0)
    assert refresh1 not in (access0, refresh0)
    assert bearer(server.url, access1).status_code == 200
    assert bearer(server.url, access0).status_code == 200  # valid until it expires
    access2, _refresh2 = tokens_of(refresh(server.url, refresh1))  # the new refresh rotates
    assert bearer(server.url, access2).status_code == 200


def test_retry_of_a_used_refresh_token_replaces_the_earlier_pair(server: ServerProcess) -> None:
    access0, refresh0 = tokens_of(register(server.url, "retry"), 201)
    access1, refresh1 = tokens_of(refresh(server.url, refresh0))  # its answer "was lost"
    access2, refresh2 = tokens_of(refresh(server.url, refresh0))  # the retry, within 60 s
    assert len({access0, access1, access2, refresh1, refresh2}) == 5
    assert bearer(server.url, access2).status_code == 200
    assert bearer(server.url, access0).status_code == 200
    # the pair from the earlier rotation is revoked
    problem(bearer(server.url, access1), 401, "unauthorized")
    # ... and presenting its refresh token signs the whole device out
    problem(refresh(server.url, refresh1), 401, "unauthorized")
    problem(bearer(server.url, access2), 401, "unauthorized")
    problem(bearer(server.url, access0), 401, "unauthorized")
    problem(refresh(server.url, refresh2), 401, "unauthorized")


def test_reuse_after_the_child_pair_was_used_revokes_the_device(server: ServerProcess) -> None:
    api = Api(server.url, "reuse")  # another device of the login must survive
    _access0, refresh0 = tokens_of(register(server.url, "reuse"), 201)
    _access1, refresh1 = tokens_of(refresh(server.url, refresh0))
    access2, refresh2 = tokens_of(refresh(server.url, refresh1))  # the child pair was used
    assert bearer(server.url, access2).status_code == 200
    problem(refresh(server.url, refresh0), 401, "unauthorized")  # a replayed old token
    problem(bearer(server.url, access2), 401, "unauthorized")  # the newest access is dead
    problem(refresh(server.url, refresh2), 401, "unauthorized")
    assert api.get("/v1/account").status_code == 200
    assert len(api.get("/v1/devices").json()) == 1


def test_only_hashes_of_tokens_and_passwords_are_stored(
    server: ServerProcess, module_servers: ServerFactory
) -> None:
    registered = register(server.url, "hashes").json()
    rotated = refresh(server.url, registered["refresh_token"]).json()
    secrets = {
        registered["access_token"],
        registered["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
    }
    # the random part of each token too, whatever prefix the server puts on it
    secrets |= {token.split("_", 1)[-1] for token in secrets}
    tables = module_servers.table_names()
    assert {"tokens", "users", "devices"} <= set(tables)
    dump = "\n".join(
        repr(row) for table in tables for row in module_servers.sql(f'SELECT * FROM "{table}"')
    )
    assert "hashes" in dump  # the dump does hold the data
    for secret in secrets:
        assert secret not in dump
    assert PASSWORD not in dump


def test_expired_access_token_is_refused_and_refresh_gives_a_working_one(
    short_lived: ServerProcess,
) -> None:
    registered = register(short_lived.url, "expiry").json()
    assert registered["expires_in"] == 1
    assert bearer(short_lived.url, registered["access_token"]).status_code == 200
    time.sleep(1.5)
    expired = bearer(short_lived.url, registered["access_token"])
    problem(expired, 401, "unauthorized")
    assert expired.headers["www-authenticate"] == "Bearer"
    access, _refresh = tokens_of(refresh(short_lived.url, registered["refresh_token"]))
    assert bearer(short_lived.url, access).status_code == 200


def test_signing_out_stops_the_tokens(server: ServerProcess) -> None:
    api = Api(server.url, "signout")
    device_id = api.registration["device_id"]
    answer = api.request("DELETE", f"/v1/devices/{device_id}")
    assert answer.status_code == 204
    assert answer.content == b""
    problem(api.get("/v1/account"), 401, "unauthorized")
    problem(refresh(server.url, api.registration["refresh_token"]), 401, "unauthorized")


def test_devices_are_listed_and_only_the_callers_can_be_revoked(server: ServerProcess) -> None:
    laptop = Api(server.url, "devices")
    phone = Api(server.url, "devices")
    stranger = Api(server.url, "stranger")
    listed = laptop.get("/v1/devices")
    assert listed.status_code == 200
    rows = {row["device_id"]: row for row in listed.json()}
    assert set(rows) == {laptop.registration["device_id"], phone.registration["device_id"]}
    assert rows[laptop.registration["device_id"]]["current"] is True
    assert rows[phone.registration["device_id"]]["current"] is False
    for row in rows.values():
        assert (row["name"], row["platform"]) == ("test", "pytest")
        assert row["created_at"] and row["last_seen"]
    assert [row["current"] for row in phone.get("/v1/devices").json()].count(True) == 1
    # another login's device is not found, and keeps working
    theirs = stranger.registration["device_id"]
    problem(laptop.request("DELETE", f"/v1/devices/{theirs}"), 404, "not_found")
    problem(laptop.request("DELETE", "/v1/devices/no-such-device"), 404, "not_found")
    assert stranger.get("/v1/account").status_code == 200
    # a lost phone: revoked from the laptop
    gone = laptop.request("DELETE", f"/v1/devices/{phone.registration['device_id']}")
    assert gone.status_code == 204
    problem(phone.get("/v1/account"), 401, "unauthorized")
    remaining = laptop.get("/v1/devices").json()
    assert [row["device_id"] for row in remaining] == [laptop.registration["device_id"]]


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Token abc", "Bearer not-a-token", "bca_x"],
)
def test_missing_or_garbled_authorization_is_401(
    server: ServerProcess, http: httpx.Client, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    for path in ("/v1/account", "/v1/devices", "/v1/services"):
        answer = http.get(server.url + path, headers=headers)
        problem(answer, 401, "unauthorized")
        assert answer.headers["www-authenticate"] == "Bearer"
