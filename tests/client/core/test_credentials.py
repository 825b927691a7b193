"""Credentials against a real server whose access tokens live one second, with a real
keyring file backend chosen explicitly: tokens only in the keychain, transparent
refresh (before expiry and after a 401), a reused refresh token locking the device
out, two processes of one profile refreshing at once, profiles, sign-out, and the
refusal of an implicitly chosen insecure keychain.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from billclient.core.client import BillingClient
from billclient.core.credentials import KEYRING_SERVICE, MemoryStore, TokenSet
from billclient.core.errors import CredentialsUnavailable, DeviceRevoked, NotSignedIn
from tests.support.api import Api
from tests.support.catalogs import PASSWORD
from tests.support.servers import ServerProcess

from .conftest import BACKUP, KEYRING_BACKEND, ClientHome


@pytest.fixture
def server(short_ttl_server: ServerProcess) -> ServerProcess:
    """Every test here runs against the server whose access tokens live one second."""
    return short_ttl_server


def _files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _stored(home: ClientHome, client: BillingClient) -> TokenSet:
    account_name = client.credentials.account
    assert account_name is not None
    secret = home.backend().get_password(KEYRING_SERVICE, account_name)
    assert secret is not None
    tokens = TokenSet.from_secret(secret)
    assert tokens is not None
    return tokens


def test_sign_in_keeps_tokens_in_the_keyring_only(
    server: ServerProcess, client_home: ClientHome
) -> None:
    async def scenario() -> tuple[TokenSet, TokenSet]:
        async with BillingClient.open() as client:
            assert not client.signed_in
            assert client.keyring_warning is None
            result = await client.sign_in([server.url], "kc", PASSWORD, device_name="laptop")
            assert client.signed_in
            first = _stored(client_home, client)
            assert first.access_token == result.access_token
            assert first.refresh_token == result.refresh_token
            await asyncio.sleep(1.0)  # the access token expires: the next call refreshes
            account_now = await client.api.account()
            assert account_now.account_id == "kc"
            return first, _stored(client_home, client)

    first, second = asyncio.run(scenario())
    assert second.refresh_token != first.refresh_token  # rotated, and stored again
    assert client_home.keyring_file.is_file()
    secrets = [first.access_token, first.refresh_token, second.access_token, second.refresh_token]
    files = _files_under(client_home.home)
    assert files  # the settings file at least
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, path
    settings = json.loads((client_home.home / "profiles/default/config/settings.json").read_text())
    # the servers given, then those advertised (the plain-http one dropped)
    assert settings["user_servers"] == [server.url]
    assert settings["servers"] == [server.url, BACKUP]
    assert settings["device_id"]
    assert settings["login"] == "kc"


def test_expired_access_token_is_refreshed_transparently(
    server: ServerProcess, client_home: ClientHome
) -> None:
    async def scenario() -> None:
        async with BillingClient.open() as client:
            await client.sign_in([server.url], "ttl", PASSWORD)
            tokens = _stored(client_home, client)
            await asyncio.sleep(1.1)
            assert tokens.expiring()
            # the stale token really is refused by the server
            stale = httpx.get(
                server.url + "/v1/account",
                headers={"Authorization": f"Bearer {tokens.access_token}"},
            )
            assert stale.status_code == 401
            for _ in range(3):
                assert (await client.api.account()).account_id == "ttl"
                await asyncio.sleep(0.5)
            assert _stored(client_home, client).refresh_token != tokens.refresh_token

    asyncio.run(scenario())


def test_a_401_before_the_local_expiry_refreshes_once_and_retries(
    server: ServerProcess, client_home: ClientHome
) -> None:
    """A clock skew: the client thinks its token is good for an hour, the server does not."""

    async def scenario() -> None:
        async with BillingClient.open() as client:
            await client.sign_in([server.url], "skew", PASSWORD)
            issued = _stored(client_home, client)
            skewed = TokenSet(issued.access_token, issued.refresh_token, time.time() + 3600, 3600)
            await client.credentials.set(client.settings.device_id or "", skewed)
        await asyncio.sleep(1.1)
        async with BillingClient.open() as client:
            assert not (await client.credentials.tokens() or skewed).expiring()
            assert (await client.api.account()).account_id == "skew"
            assert _stored(client_home, client).refresh_token != issued.refresh_token

    asyncio.run(scenario())


def test_a_reused_refresh_token_locks_the_device_out(
    server: ServerProcess, client_home: ClientHome
) -> None:
    async def scenario() -> None:
        async with BillingClient.open() as client:
            await client.sign_in([server.url], "reuse", PASSWORD)
            copied = _stored(client_home, client)  # what a thief copied
            await client.credentials.refresh(client.api.refresh_tokens)
            await client.credentials.refresh(client.api.refresh_tokens)  # the copy's child used
            with pytest.raises(DeviceRevoked) as stolen:
                await client.api.refresh_tokens(copied.refresh_token)
            assert "signed out" in str(stolen.value)
            # the rightful client is locked out too: its next call fails, tokens are dropped
            await asyncio.sleep(1.1)
            with pytest.raises(DeviceRevoked):
                await client.api.account()
            assert not client.signed_in
            assert (
                client_home.backend().get_password(
                    KEYRING_SERVICE, client.credentials.account or ""
                )
                is None
            )
            with pytest.raises(NotSignedIn):
                await client.api.account()

    asyncio.run(scenario())


_CHILD = """
import asyncio, sys, time
from pathlib import Path
from billclient.core.client import BillingClient

async def main(go: Path, rounds: int) -> None:
    async with BillingClient.open() as client:
        while not go.exists():
            await asyncio.sleep(0.005)
        for _ in range(rounds):
            await client.api.account()
            await asyncio.sleep(0.25)
    print("ok", rounds)

asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
"""


def _refresh_in_two_processes_at_once(go: Path) -> None:
    """Two client processes of the profile load the same pair, wait until it expired,
    then refresh at once (when ``go`` appears); both must go on working."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(go), "4"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.2)  # both have loaded the same, now expired, pair
    go.touch()  # both refresh at once
    outputs = [child.communicate(timeout=60) for child in children]
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert out.strip() == "ok 4"


def test_two_processes_of_one_profile_refreshing_at_once_do_not_revoke_each_other(
    server: ServerProcess, client_home: ClientHome, tmp_path: Path
) -> None:
    async def sign_in() -> str:
        async with BillingClient.open() as client:
            await client.sign_in([server.url], "race", PASSWORD)
            return _stored(client_home, client).refresh_token

    first_refresh = asyncio.run(sign_in())
    _refresh_in_two_processes_at_once(tmp_path / "go")

    async def still_signed_in() -> None:
        async with BillingClient.open() as client:
            assert _stored(client_home, client).refresh_token != first_refresh
            devices = await client.api.devices()
            assert [device.current for device in devices] == [True]

    asyncio.run(still_signed_in())


def test_the_token_file_is_refreshed_under_the_lock_by_two_processes_at_once(
    server: ServerProcess, client_home: ClientHome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No keychain, the person chose the file: the same rotation rules hold for it."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")

    async def sign_in() -> tuple[str, Path]:
        async with BillingClient.open() as client:
            assert not client.tokens_persist and client.keyring_warning
            client.use_file_store()
            assert client.tokens_persist and client.keyring_warning is None
            await client.sign_in([server.url], "tokfile", PASSWORD)
            assert client.settings.credential_store == "file"
            token_file = client.paths.token_file
            tokens = await client.credentials.tokens()
            assert tokens is not None
            return tokens.refresh_token, token_file

    first_refresh, token_file = asyncio.run(sign_in())
    assert (token_file.stat().st_mode & 0o777) == 0o600
    _refresh_in_two_processes_at_once(tmp_path / "go")

    async def still_signed_in() -> None:
        async with BillingClient.open() as client:
            tokens = await client.credentials.tokens()
            assert tokens is not None and tokens.refresh_token != first_refresh
            assert [device.current for device in await client.api.devices()] == [True]
            await client.sign_out()
        assert not token_file.exists()

    asyncio.run(still_signed_in())
    assert not client_home.keyring_file.exists()


def test_profiles_keep_separate_servers_tokens_and_data(
    server: ServerProcess, client_home: ClientHome
) -> None:
    async def scenario() -> None:
        async with BillingClient.open("p1") as one, BillingClient.open("work") as two:
            await one.sign_in([server.url], "p1", PASSWORD)
            await two.sign_in([server.url.replace("127.0.0.1", "localhost")], "p2", PASSWORD)
            assert one.paths.config_dir != two.paths.config_dir
            assert one.paths.data_dir != two.paths.data_dir
            assert one.settings.device_id != two.settings.device_id
            assert one.settings.servers != two.settings.servers
            assert _stored(client_home, one) != _stored(client_home, two)
            assert (await one.api.account()).account_id == "p1"
            assert (await two.api.account()).account_id == "p2"
            await one.sign_out()
            assert (await two.api.account()).account_id == "p2"
        async with BillingClient.open("work") as again:
            assert again.settings.login == "p2"
            assert (await again.api.account()).account_id == "p2"

    asyncio.run(scenario())


def test_sign_out_deletes_the_device_on_the_server_and_here(
    server: ServerProcess, client_home: ClientHome
) -> None:
    async def scenario() -> None:
        async with BillingClient.open() as client:
            await client.sign_in([server.url], "bye", PASSWORD)
            tokens = _stored(client_home, client)
            keychain_name = client.credentials.account or ""
            await client.sign_out()
            assert not client.signed_in
            assert client.settings.device_id is None
            assert client.settings.servers == [server.url, BACKUP]  # kept for next time
            assert client_home.backend().get_password(KEYRING_SERVICE, keychain_name) is None
            answer = httpx.post(
                server.url + "/v1/token", json={"refresh_token": tokens.refresh_token}
            )
            assert answer.status_code == 401
            with pytest.raises(NotSignedIn):
                await client.api.account()

    asyncio.run(scenario())


def test_an_implicit_insecure_keychain_is_refused_and_tokens_stay_in_memory(
    server: ServerProcess, client_home: ClientHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")

    async def scenario() -> None:
        async with BillingClient.open() as client:
            assert client.keyring_warning is not None
            assert "memory" in client.keyring_warning
            assert isinstance(client.credentials.store, MemoryStore)
            await client.sign_in([server.url], "kc", PASSWORD)
            assert (await client.api.account()).account_id == "kc"
        async with BillingClient.open() as later:  # the next run has no tokens
            with pytest.raises(NotSignedIn):
                await later.api.account()

    asyncio.run(scenario())
    assert not client_home.keyring_file.exists()


def test_the_keyring_backend_setting_is_honoured(
    server: ServerProcess, client_home: ClientHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    first = BillingClient.open()
    first.settings.keyring_backend = KEYRING_BACKEND
    first.settings.save(first.paths)

    async def scenario() -> None:
        await first.aclose()
        async with BillingClient.open() as client:
            assert client.keyring_warning is None
            await client.sign_in([server.url], "kc", PASSWORD)
            assert _stored(client_home, client).access_token

    asyncio.run(scenario())
    assert client_home.keyring_file.is_file()


def test_a_keychain_that_fails_refuses_sign_in_and_leaves_no_device_behind(
    server: ServerProcess, client_home: ClientHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

    async def scenario() -> None:
        async with BillingClient.open() as client:
            with pytest.raises(CredentialsUnavailable) as refused:
                await client.sign_in([server.url], "nokc", PASSWORD)
            assert "keychain" in str(refused.value)
            assert "\n" not in str(refused.value)
            assert not client.signed_in
            assert client.settings.device_id is None

    asyncio.run(scenario())
    other = Api(server.url, "nokc")
    try:
        devices = other.get("/v1/devices").json()
        assert [device["current"] for device in devices] == [True]  # only this one
    finally:
        other.close()


def test_an_unknown_keyring_backend_is_one_clear_error(
    client_home: ClientHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no.such.Backend")
    with pytest.raises(CredentialsUnavailable, match=r"cannot use the keyring backend 'no\.such"):
        BillingClient.open()


def _token_requests(server: ServerProcess) -> int:
    return sum(
        '"path": "/v1/token"' in line and '"method": "POST"' in line
        for line in server.log().splitlines()
    )


def test_concurrent_calls_with_an_expired_token_refresh_it_once(
    server: ServerProcess, client_home: ClientHome
) -> None:
    async def scenario() -> None:
        async with BillingClient.open() as client:
            await client.sign_in([server.url], "crowd", PASSWORD)
            await asyncio.sleep(1.0)
            before = _token_requests(server)
            accounts = await asyncio.gather(*(client.api.account() for _ in range(6)))
            assert {a.account_id for a in accounts} == {"crowd"}
            assert _token_requests(server) - before == 1

    asyncio.run(scenario())
