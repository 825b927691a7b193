"""Signing in through the dialog against a real server; later starts go straight in;
sign out removes the tokens."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import keyring
from PySide6.QtWidgets import QWidget

from billclient.core.credentials import KEYRING_SERVICE
from billclient.core.settings import ClientSettings, ProfilePaths
from billclient.gui.main_window import MainWindow
from billclient.gui.shell import AppShell
from billclient.gui.views.dashboard import DashboardView
from billclient.gui.views.signin import SignInDialog
from tests.client.core.test_tls import _answer, _self_signed
from tests.support.api import Api
from tests.support.catalogs import PASSWORD
from tests.support.servers import free_port

from .conftest import KEYRING, Gui, until


def _stored(entry: str) -> str | None:
    """What the keyrings.alt file backend holds for ``entry`` (read afresh from its file)."""
    secret = keyring.core.load_keyring(KEYRING).get_password(KEYRING_SERVICE, entry)
    return None if secret is None else str(secret)


def _fill(dialog: SignInDialog, servers: str, login: str, password: str) -> None:
    dialog.servers.setText(servers)
    dialog.login.setText(login)
    dialog.password.setText(password)


def test_sign_in_errors_then_straight_in_then_sign_out(
    gui: Gui, home: Path, server: str, tmp_path: Path
) -> None:
    ctx = gui.context(home)
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    answers: list[str] = []
    entries: list[str] = []

    def confirm(_parent: QWidget | None, _title: str, text: str) -> bool:
        answers.append(text)
        return True

    async def scenario() -> None:
        shell = AppShell(ctx, confirm=confirm, tray_available=False)
        await shell.start()
        dialog = shell.dialog
        assert isinstance(dialog, SignInDialog)
        assert shell.window is None

        _fill(dialog, server, "ann", "not the password")
        dialog.sign_in_button.click()
        await until(lambda: dialog.message.isVisible(), message="an error")
        assert dialog.message.text() == "Wrong login or password."
        assert dialog.sign_in_button.isEnabled()

        _fill(dialog, f"http://127.0.0.1:{free_port()}", "ann", PASSWORD)
        dialog.sign_in_button.click()
        await until(lambda: "No server answered" in dialog.message.text(), 20)

        # a server whose certificate this machine does not trust
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*_self_signed(tls_dir))
        listener = await asyncio.start_server(_answer, "127.0.0.1", 0, ssl=context)
        try:
            port = listener.sockets[0].getsockname()[1]
            _fill(dialog, f"https://127.0.0.1:{port}", "ann", PASSWORD)
            dialog.sign_in_button.click()
            await until(lambda: "certificate" in dialog.message.text(), 20, message="TLS")
            assert dialog.message.text().startswith(
                "The server's certificate could not be verified (TLS failure)"
            )
        finally:
            listener.close()
            await listener.wait_closed()

        _fill(dialog, "", "ann", PASSWORD)
        dialog.sign_in_button.click()
        assert "a server address" in dialog.message.text()

        _fill(dialog, server, "ann", PASSWORD)
        dialog.password.setFocus()
        dialog.sign_in_button.click()
        await until(lambda: isinstance(shell.window, MainWindow), message="the main window")
        window = shell.window
        assert window is not None
        dashboard = window.page("dashboard")
        assert isinstance(dashboard, DashboardView)
        await until(lambda: dashboard.name.text() == "Account ann", message="the account")
        assert dashboard.balance_label.text() == "€12.50"
        assert dashboard.status.text() == "Active"
        assert ctx.client.settings.login == "ann"
        device = ctx.client.settings.device_id
        assert device is not None
        entries.append(f"default/{device}")
        assert _stored(entries[0]) is not None
        shell.finish(0)

    gui.run(scenario())

    # a later start: straight in with the tokens in the keychain, no dialog
    later = gui.context(home)

    async def second_start() -> None:
        shell = AppShell(later, confirm=confirm, tray_available=False)
        await shell.start()
        assert shell.dialog is None
        window = shell.window
        assert isinstance(window, MainWindow)
        dashboard = window.page("dashboard")
        assert isinstance(dashboard, DashboardView)
        # at once, from the figure cache, and not passed off as current
        assert dashboard.balance_label.text() == "€12.50"
        assert dashboard.caption.text().startswith("Last known balance, as of ")
        assert dashboard.balance_label.property("stale") is True
        await until(lambda: window.connection.live, message="live events")
        await until(lambda: dashboard.caption.text() == "Available", message="current")
        window.sign_out_action.trigger()
        await until(lambda: isinstance(shell.dialog, SignInDialog), message="sign-in again")
        assert shell.window is None
        assert later.client.settings.device_id is None
        assert not later.client.signed_in
        assert _stored(entries[0]) is None
        assert not shell.cache.path.exists()
        shell.finish(0)

    gui.run(second_start())


def test_inactive_account_is_told_plainly(gui: Gui, home: Path, server: str) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        dialog = SignInDialog(ctx)
        _fill(dialog, server, "ina", PASSWORD)
        assert await dialog.sign_in(["" + server], "ina", PASSWORD)
        assert dialog.inactive_warning
        assert "inactive" in dialog.message.text()
        assert "Contact support" in dialog.message.text()
        assert dialog.sign_in_button.text().replace("&", "") == "Continue"
        dialog.sign_in_button.click()
        assert dialog.result() == SignInDialog.DialogCode.Accepted

    gui.run(scenario())


def test_a_device_revoked_elsewhere_returns_to_sign_in(gui: Gui, home: Path, server: str) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        shell = AppShell(ctx, confirm=lambda *_args: True, tray_available=False)
        await ctx.client.sign_in([server], "ann", PASSWORD)
        await shell.start()
        assert isinstance(shell.window, MainWindow)
        device = ctx.client.settings.device_id
        other = Api(server, "ann")  # the same person on another device revokes this one
        try:
            assert other.request("DELETE", f"/v1/devices/{device}").status_code == 204
        finally:
            other.close()
        ctx.run_task(ctx.client.refresh_account())
        await until(lambda: isinstance(shell.dialog, SignInDialog), message="sign in again")
        dialog = shell.dialog
        assert dialog is not None
        assert dialog.message.isVisibleTo(dialog)
        assert "sign in again" in dialog.message.text()
        assert shell.window is None
        shell.finish(0)

    gui.run(scenario())


def test_without_a_keychain_the_dialog_offers_a_private_file(
    gui: Gui, home: Path, server: str
) -> None:
    paths = ProfilePaths.for_profile("default", home)
    ClientSettings().save(paths)  # no backend chosen, and keyring finds only an insecure one
    ctx = gui.context(home)

    async def scenario() -> None:
        dialog = SignInDialog(ctx)
        box = dialog.store_in_file
        assert box is not None and not box.isChecked()
        assert box.accessibleName() == "Keep the sign-in in a private file"
        assert "no keychain" in box.text()
        box.setChecked(True)
        _fill(dialog, server, "keep", PASSWORD)
        dialog.sign_in_button.click()
        await until(lambda: dialog.result() == SignInDialog.DialogCode.Accepted, message="in")

    gui.run(scenario())
    token_file = paths.token_file
    assert token_file.is_file() and (token_file.stat().st_mode & 0o777) == 0o600
    assert ClientSettings.load(paths).credential_store == "file"
    later = gui.context(home)  # the next start finds the sign-in in the file

    async def second_start() -> None:
        assert later.client.tokens_persist
        assert (await later.client.api.account()).account_id == "keep"
        assert SignInDialog(later).store_in_file is not None  # ticked: the file is in use
        assert SignInDialog(later).store_in_file.isChecked()  # type: ignore[union-attr]

    gui.run(second_start())
