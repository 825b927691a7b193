"""Signing in where no keychain exists: refused with one line, or kept in a 0600 file.

The client runs as a subprocess under a HOME of its own with no keychain: no
``PYTHON_KEYRING_BACKEND``, no D-Bus session, and keyrings.alt installed, which
keyring would otherwise pick silently (a plain-text file).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.support.api import Api
from tests.support.catalogs import PASSWORD
from tests.support.fixtures import ServerFactory

from .helpers import Cli


def _no_keychain(cli: Cli) -> Cli:
    home = cli.root / "home"
    home.mkdir()
    env = {k: v for k, v in cli.env.items() if k not in ("PYTHON_KEYRING_BACKEND",)}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent",
    )
    cli.env = env
    return cli


def _devices(url: str, login: str) -> list[dict[str, object]]:
    api = Api(url, login)
    try:
        devices: list[dict[str, object]] = api.get("/v1/devices").json()
        return devices
    finally:
        api.close()


def test_without_a_keychain_login_refuses_in_one_line_and_registers_nothing(
    pair: ServerFactory, cli: Cli
) -> None:
    _no_keychain(cli)
    url = pair.servers[0].url
    refused = cli.run(
        "login", "--server", url, "--user", "alice", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert refused.returncode == 3, refused.stderr
    assert refused.stdout == ""
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "--store-in-file" in refused.stderr and "PYTHON_KEYRING_BACKEND" in refused.stderr
    # the server lists only the device this check signed in with
    assert [device["current"] for device in _devices(url, "alice")] == [True]
    status = cli.run("status")
    assert status.returncode == 3 and status.stderr.count("\n") == 1
    assert "--store-in-file" in status.stderr


def test_store_in_file_lasts_across_runs_in_a_private_file(pair: ServerFactory, cli: Cli) -> None:
    _no_keychain(cli)
    url = pair.servers[0].url
    login = cli.run(
        "login",
        "--server",
        url,
        "--user",
        "bob",
        "--password-stdin",
        "--store-in-file",
        stdin=PASSWORD + "\n",
    )
    assert login.returncode == 0, login.stderr
    token_file = cli.home / "profiles" / "default" / "data" / "credentials.json"
    assert f"kept in {token_file}" in login.stderr  # said before the password was read
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) & 0o077 == 0
    content = token_file.read_text()
    assert PASSWORD not in content
    (entry,) = json.loads(content).values()
    assert set(json.loads(entry)) == {"access_token", "refresh_token", "expires_at", "lifetime"}
    settings = json.loads((cli.home / "profiles/default/config/settings.json").read_text())
    assert settings["credential_store"] == "file"
    assert "token" not in json.dumps(settings).replace("credential_store", "")

    status = cli.run("status", "--json")  # a new process reads the file
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["account"]["account_id"] == "bob"
    again = cli.run("history")
    assert again.returncode == 0, again.stderr
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

    out = cli.run("logout")
    assert out.returncode == 0, out.stderr
    assert not token_file.exists()
    assert [device["current"] for device in _devices(url, "bob")] == [True]
    assert cli.run("status").returncode == 3


def test_a_token_file_others_could_read_is_made_private(pair: ServerFactory, cli: Cli) -> None:
    _no_keychain(cli)
    url = pair.servers[0].url
    assert (
        cli.run(
            "login",
            "--server",
            url,
            "--user",
            "carol",
            "--password-stdin",
            "--store-in-file",
            stdin=PASSWORD + "\n",
        ).returncode
        == 0
    )
    token_file: Path = cli.home / "profiles" / "default" / "data" / "credentials.json"
    token_file.chmod(0o644)
    status = cli.run("status")
    assert status.returncode == 0, status.stderr
    assert "made it private" in status.stderr
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
