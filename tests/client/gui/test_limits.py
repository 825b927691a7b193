"""Spending limits in the GUI, driven through the real widgets offscreen against a real
billing server: Settings > Spending limits (bars and words, setting, bad input, a
parent's limit), the nearest limit on the dashboard, the banner and tray notice, and
the support console reading and clearing an account's limits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from billclient.core.settings import ClientSettings, ProfilePaths
from billclient.gui.context import GuiContext
from billclient.gui.main_window import MainWindow
from billclient.gui.tray import Tray
from billclient.gui.views.dashboard import DashboardView
from billclient.gui.views.settings import SettingsView
from billclient.gui.views.support_account import AccountPanel
from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory

from .conftest import KEYRING, Gui, signed_in, until


@pytest.fixture(scope="module")
def limits_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for this module: a user, a family (a member spending its parent's
    balance) and support."""
    factory = ServerFactory(tmp_path_factory.mktemp("gui-limits"))
    try:
        factory.import_catalog(
            [
                account("lim", "10"),
                account("boss", "10"),
                account("kid", "0") | {"parent": "boss", "shared_balance": True},
            ]
        )
        yield factory.start("limits").url
    finally:
        factory.close()


def _context(gui: Gui, root: Path) -> GuiContext:
    ClientSettings(keyring_backend=KEYRING).save(ProfilePaths.for_profile("default", root))
    return gui.context(root)


async def _send_messages(ctx: GuiContext, count: int) -> None:
    """``count`` messages (0.05 each) through the real session API."""
    api = ctx.client.api
    for _ in range(count):
        opened = await api.open_session("sms", idempotency_key=str(uuid.uuid4()))
        await api.end_session(opened.session_id, seq=1, used_units=1, cause="service_done")


def test_settings_shows_sets_and_enforces_limits(
    gui: Gui, home: Path, limits_server: str, qtbot: QtBot
) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [limits_server], "lim")
        await ctx.client.refresh_account()
        view = SettingsView(ctx)
        qtbot.addWidget(view)
        view.resize(900, 900)
        view.show()
        panel = view.limits_panel
        assert panel is not None
        await until(lambda: panel.limits is not None, message="the limits")
        assert panel.rows["daily"].words.text() == "No limit set."
        assert not panel.rows["daily"].bar.isEnabled()

        panel.fields["daily"].setText("abc")
        assert not panel.save()
        assert "abc is not an amount" in panel.message.text()
        panel.fields["daily"].setText("0.10")
        panel.fields["monthly"].setText("5")
        assert panel.save()
        await until(lambda: panel.message.text() == "Spending limits saved.", message="saved")
        daily = panel.rows["daily"]
        assert daily.words.text().startswith("0.00 EUR of 0.10 today, resets ")
        assert daily.bar.value() == 0 and daily.bar.accessibleDescription() == daily.words.text()
        assert panel.rows["monthly"].words.text().startswith("0.00 EUR of 5.00 this month")

        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.show()
        tray = Tray(ctx, window.show_banner, available=True)  # offscreen has none: say it has
        dashboard = window.pages["dashboard"]
        assert isinstance(dashboard, DashboardView)
        await until(dashboard.limit_label.isVisible, message="the nearest limit")
        assert dashboard.limit_label.text().startswith("Daily limit: 0.00 EUR of 0.10 today")

        await _send_messages(ctx, 1)  # 0.05: half of the daily limit
        panel.reload()
        await until(lambda: daily.bar.value() == 50, message="half spent")
        await _send_messages(ctx, 1)  # 0.10: the limit is reached, told in banner and tray
        await until(
            lambda: "spending limit of 0.10 EUR is reached" in window.banner.text(),
            message="the banner",
        )
        assert tray.last_message is not None and tray.last_message[0] == "Spending limit"
        await until(lambda: daily.bar.value() == 100, message="all spent")
        await until(
            lambda: dashboard.limit_label.text().startswith("Daily limit: 0.10 EUR of 0.10"),
            message="the dashboard",
        )
        refused = await ctx.client.api.quote("sms", 1)
        assert refused.max_units == 0  # the quote knows the limit too

        panel.clear_button.click()
        await until(lambda: panel.limits is not None and panel.limits.daily is None)
        assert panel.fields["daily"].text() == ""

    gui.run(scenario(), timeout=90)


def test_a_members_limit_set_by_its_parent(
    gui: Gui, home: Path, limits_server: str, qtbot: QtBot
) -> None:
    parent = Api(limits_server, "boss")
    answer = parent.request(
        "PUT", "/v1/account/children/kid/limits", json={"daily": "2", "monthly": None}
    )
    assert answer.status_code == 200, answer.text
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [limits_server], "kid")
        await ctx.client.refresh_account()
        view = SettingsView(ctx)
        qtbot.addWidget(view)
        view.show()
        panel = view.limits_panel
        assert panel is not None
        await until(lambda: panel.limits is not None, message="the limits")
        assert "(set by your parent account: you can lower it)" in panel.rows["daily"].words.text()
        assert panel.fields["daily"].text() == "2.00"
        panel.fields["daily"].setText("3")
        assert panel.save()
        await until(lambda: "parent account set" in panel.message.text(), message="refused")
        panel.fields["daily"].setText("1.50")
        assert panel.save()
        await until(lambda: panel.message.text() == "Spending limits saved.")
        assert "(set by" not in panel.rows["daily"].words.text()

    gui.run(scenario(), timeout=60)


def test_support_reads_and_clears_an_accounts_limits(
    gui: Gui, home: Path, limits_server: str, qtbot: QtBot, tmp_path: Path
) -> None:
    Api(limits_server, "boss").request(
        "PUT", "/v1/account/limits", json={"daily": "4", "monthly": "40"}
    )
    support = _context(gui, tmp_path / "support-home")
    asked: list[str] = []

    def confirm(_parent: object, title: str, _text: str) -> bool:
        asked.append(title)
        return True

    async def scenario() -> None:
        await support.client.sign_in([limits_server], "support", "test-password-1")
        panel = AccountPanel(support)
        qtbot.addWidget(panel)
        panel.confirm = confirm
        panel.show()
        panel.show_account("boss")
        await until(lambda: panel.account_limits is not None, message="the limits")
        text = panel.limits.text()
        assert (
            "Daily limit: 0.00 EUR of 4.00 today" in text and "(set by the account's user)" in text
        )
        assert "Monthly limit: 0.00 EUR of 40.00 this month" in text
        assert panel.clear_limits()
        assert asked == ["Clear the spending limits"]
        await until(lambda: "cleared" in panel.message.text(), message="cleared")
        assert panel.limits.text() == "Daily limit: none · Monthly limit: none"

    gui.run(scenario(), timeout=60)
