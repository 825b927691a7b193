"""The live parts against real servers: a session's charge ticking, balance moving,
a support adjustment arriving by live events, failover to the secondary mid-session."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from billclient.core.linkstate import LinkStatus
from billclient.core.sessions import RunState
from billclient.gui.context import GuiContext
from billclient.gui.formatting import format_money, format_money_exact
from billclient.gui.main_window import MainWindow
from billclient.gui.views.advice import AdviceDialog
from billclient.gui.views.dashboard import DashboardView
from billclient.gui.views.services import ServicesView
from billclient.gui.views.session_card import SessionCard
from tests.support.api import adjust
from tests.support.catalogs import PASSWORD
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess, free_port

from .conftest import Gui, signed_in, until


def _pages(window: MainWindow) -> tuple[DashboardView, ServicesView]:
    dashboard, services = window.page("dashboard"), window.page("services")
    assert isinstance(dashboard, DashboardView)
    assert isinstance(services, ServicesView)
    return dashboard, services


async def _start(services: ServicesView, service_id: str) -> SessionCard:
    """Press Start, read the advice of charge, accept it; the new card."""
    await until(lambda: service_id in services.start_buttons, message="the catalogue")
    before = len(services.cards)
    services.start_buttons[service_id].click()
    dialog = services.dialog
    assert isinstance(dialog, AdviceDialog)
    await until(lambda: dialog.quote is not None, message="the quote")
    dialog.start_button.click()
    await until(lambda: len(services.cards) > before, message="the session card")
    return services.cards[-1]


def test_session_ticks_and_stops(gui: Gui, home: Path, server: str) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [server], "sam")
        window = MainWindow(ctx)
        window.show()
        dashboard, services = _pages(window)
        await until(lambda: dashboard.balance_label.text() == "€10.00", message="the balance")
        await until(lambda: dashboard.connection.live, message="live events")
        window.show_page(window.page_index("services"))

        await until(lambda: "meter" in services.start_buttons, message="the catalogue")
        services.start_buttons["meter"].click()
        dialog = services.dialog
        assert isinstance(dialog, AdviceDialog)
        assert "0.60 EUR/min, billed per second" in dialog.price.text()
        await until(lambda: dialog.quote is not None, message="the quote")
        assert dialog.sample.text() == "€0.60"  # a minute costs 0.60 now
        assert dialog.buys.text().startswith("about 16 min 40 s")  # 10.00 / 0.01 per second
        dialog.start_button.click()
        await until(lambda: len(services.cards) == 1, message="the session card")
        card = services.cards[0]
        assert len(ctx.runner.running()) == 1

        # the charge follows the local estimate, redrawn at least 4 times a second
        await until(lambda: card.progress.used_units >= 2, message="usage")
        ticks, started = card.ticks, time.monotonic()
        await until(lambda: time.monotonic() - started >= 2.0)
        assert (card.ticks - ticks) / (time.monotonic() - started) >= 4
        await until(lambda: card.progress.estimate > card.progress.charged, message="estimate")
        assert card.charge.text() == format_money_exact(card.progress.estimate, "EUR")

        # the balance on the dashboard moves as the server charges (update every 5 s)
        await until(lambda: card.progress.charged > 0, 12, message="a server charge")
        await until(lambda: dashboard.figures is not None and dashboard.figures.balance < 10**7)
        assert dashboard.balance_label.text() != "€10.00"
        await until(lambda: dashboard.seconds_left() is not None, message="time to empty")
        assert "lasts about" in dashboard.time_left.text()
        # at 0.01 EUR a second (what the next second costs), not the average so far
        assert 950 <= (dashboard.seconds_left() or 0) <= 1000

        # a second service at the same time, in a card of its own
        other = await _start(services, "voice")
        assert len(ctx.runner.running()) == 2
        assert other is not card
        await until(lambda: other.progress.used_units >= 1, message="the second session")
        other.stop_button.click()
        await until(lambda: other.ended, 15, message="the second end")
        assert not card.ended

        card.stop_button.click()
        await until(lambda: card.ended, 15, message="the end")
        progress = card.progress
        assert progress.state == RunState.ENDED
        assert progress.cause == "user"
        assert card.note.text().startswith("You stopped it.")
        assert format_money(progress.charged, "EUR") in card.note.text()
        assert progress.charged == progress.used_units * 10_000  # 0.01 EUR per second
        expected = 10_000_000 - progress.charged - other.progress.charged
        await until(
            lambda: (
                dashboard.figures is not None
                and (
                    dashboard.figures.balance,
                    dashboard.figures.reserved,
                    dashboard.figures.available,
                )
                == (expected, 0, expected)
            ),
            message="the final balance, nothing reserved",
        )
        assert dashboard.balance_label.text() == format_money(expected, "EUR")
        for ended in (card, other):
            ended.dismiss_button.click()
        await until(lambda: not services.cards)
        assert services.empty.isVisibleTo(services)
        window.close()

    gui.run(scenario(), 60)


def test_support_adjustment_arrives_live(gui: Gui, home: Path, server: str) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [server], "adj")
        window = MainWindow(ctx)
        dashboard, _services = _pages(window)
        await until(lambda: dashboard.balance_label.text() == "€10.00", message="the balance")
        await until(lambda: dashboard.connection.live, message="live events")
        await asyncio.to_thread(adjust, server, "adj", "2.5")
        await until(lambda: dashboard.balance_label.text() == "€12.50", 10, message="live")
        assert dashboard.caption.text() == "Available"
        assert dashboard.balance_label.property("stale") is False

        # without live events the figure stays, but it no longer passes for current
        await ctx.client.live.stop()
        await until(lambda: not dashboard.connection.live, message="offline")
        assert dashboard.balance_label.text() == "€12.50"
        assert dashboard.caption.text().startswith("Last known balance, as of ")
        assert dashboard.caption.text().endswith("(not current)")
        assert dashboard.balance_label.property("stale") is True
        assert dashboard.connection.text().startswith("Offline · last synced at ")
        window.close()

    gui.run(scenario())


async def _first_read_lost(ctx: GuiContext) -> tuple[DashboardView, list[str]]:
    """The main window opened while no server answers requests: its dashboard's first
    account read fails (and is reported) and it knows no account. The dashboard, and the
    messages reported (from now on)."""
    reported: list[str] = []
    ctx.errors.reported.connect(reported.append)
    ctx.client.pool.set_servers([f"http://127.0.0.1:{free_port()}"])  # nobody listens there
    window = MainWindow(ctx)
    dashboard = window.page("dashboard")
    assert isinstance(dashboard, DashboardView)
    await until(lambda: reported, message="the failed first read")
    assert "no billing server answered" in reported[0]
    assert dashboard.account is None
    return dashboard, reported


def test_a_lost_first_account_read_is_made_again_once_the_server_answers(
    gui: Gui, home: Path, server: str
) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        client = ctx.client
        await client.sign_in([server], "late", PASSWORD)
        dashboard, reported = await _first_read_lost(ctx)
        client.live.start()  # no server answers it either
        assert dashboard.balance_label.text() == "—"

        # the server answers again: the stream connects (within its longest backoff)
        # and the account is read again: the balance in its currency, the name, at once
        client.pool.set_servers([server])
        reconnect = client.live.policy.reconnect_max + client.settings.timeout
        await until(lambda: dashboard.connection.live, reconnect, message="live again")
        await until(lambda: dashboard.balance_label.text() == "€7.40", message="the balance")
        assert dashboard.name.text() == "Account late"
        assert len(reported) == 1  # the read made again was not said a second time
        dashboard.window().close()

    gui.run(scenario(), 90)


def test_a_lost_first_account_read_is_made_again_on_the_next_balance_event(
    gui: Gui, home: Path, server: str
) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        client = ctx.client
        await signed_in(ctx, [server], "calm")
        await until(lambda: client.live.state.status is LinkStatus.LIVE, message="live events")
        dashboard, reported = await _first_read_lost(ctx)  # the stream stays connected
        assert dashboard.connection.live

        # requests reach the server again; the next change of the balance, sent on the
        # live stream, has the account read again
        client.pool.set_servers([server])
        await asyncio.to_thread(adjust, server, "calm", "1")
        await until(lambda: dashboard.balance_label.text() == "€4.00", message="the balance")
        assert dashboard.name.text() == "Account calm"
        assert len(reported) == 1
        dashboard.window().close()

    gui.run(scenario(), 60)


def test_primary_killed_mid_session(
    gui: Gui, home: Path, deployment: ServerFactory, spare: ServerProcess
) -> None:
    # the spare server is this test's primary, killed below; the shared one its secondary
    primary, secondary = spare, deployment.servers[0]
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [primary.url, secondary.url], "fay")
        window = MainWindow(ctx)
        dashboard, services = _pages(window)
        indicator = dashboard.connection
        await until(lambda: indicator.text() == "Live on primary", message="live on primary")
        card = await _start(services, "fast")
        await until(lambda: card.progress.charged > 0, 10, message="a first charge")

        primary.kill()
        await until(lambda: indicator.text() == "Live on secondary", 20, message="secondary")
        assert indicator.level == "warn"
        assert window.connection.text() == "Live on secondary"
        charged = card.progress.charged
        await until(lambda: card.progress.charged > charged, 15, message="charges continue")
        assert card.progress.state == RunState.RUNNING
        assert not card.ended

        await ctx.runner.stop_all()
        await until(lambda: card.ended, 15)
        assert card.progress.state == RunState.ENDED
        assert card.progress.cause == "user"
        window.close()

    gui.run(scenario(), 60)


def test_final_grant_and_running_out_explained(gui: Gui, home: Path, server: str) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [server], "tiny")  # 0.05 EUR: five seconds of "fast"
        window = MainWindow(ctx)
        _dashboard, services = _pages(window)
        card = await _start(services, "fast")
        await until(lambda: card.progress.final, 10, message="the final grant")
        assert card.note.text() == (
            "Final grant: the balance covers up to 5 s in total; the service stops there."
        )
        await until(lambda: card.ended, 20, message="credit exhausted")
        assert card.progress.cause == "credit_exhausted"
        assert card.progress.used_units == 5
        assert card.note.text() == (
            "The balance ran out: the last units it could pay for were used, so it stopped. "
            "Used 5 s; charged €0.05."
        )
        window.close()

    gui.run(scenario(), 40)
