"""The window as a person meets it: handheld layout at 360x640, keyboard and screen-reader
names, light/dark palettes, closing with sessions running (tray or not), and the
low-balance notification with the time left."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QTabBar,
    QWidget,
)

from billclient.gui.main_window import MainWindow
from billclient.gui.navigation import NavBar
from billclient.gui.resources import icon
from billclient.gui.shell import AppShell
from billclient.gui.views.dashboard import DashboardView
from billclient.protocol.account import Account, AccountKind, AccountStatus

from .conftest import Gui, signed_in, until
from .test_live import _pages, _start

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QProgressBar)


def _unnamed(root: QWidget) -> list[str]:
    return [
        f"{type(widget).__name__} {widget.objectName()!r}"
        for widget in root.findChildren(QWidget)
        if isinstance(widget, CONTROLS) and widget.isVisible() and not widget.accessibleName()
    ]


def _hidden_values(root: QWidget) -> list[str]:
    """Visible labels whose accessible name hides the text they show (Qt's AT-SPI
    bridge exposes a label only by its name: the value must be in it)."""
    hidden = []
    for label in root.findChildren(QLabel):
        text = " ".join(label.text().replace("&", "").split())
        name = " ".join(label.accessibleName().split())
        if label.isVisible() and text and name and text not in name:
            hidden.append(f"{name!r} hides {text!r}")
    return hidden


TOUCH_CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox)


def _small_targets(root: QWidget) -> list[str]:
    """Visible controls (and tabs) smaller than a 44 x 44 px touch target."""
    small = [
        f"{type(w).__name__} {w.accessibleName() or w.objectName()!r} {w.width()}x{w.height()}"
        for w in root.findChildren(QWidget)
        if isinstance(w, TOUCH_CONTROLS) and w.isVisible() and (w.width() < 44 or w.height() < 44)
    ]
    for bar in root.findChildren(QTabBar):
        if bar.isVisible():
            for index in range(bar.count()):
                rect = bar.tabRect(index)
                if rect.width() < 44 or rect.height() < 44:
                    small.append(f"tab {bar.tabText(index)!r} {rect.width()}x{rect.height()}")
    return small


def test_handheld_layout_keyboard_and_names(gui: Gui, home: Path, server: str) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [server], "hand")
        window = MainWindow(ctx)
        window.resize(960, 640)
        window.show()
        dashboard, services = _pages(window)
        await until(lambda: "voice" in services.start_buttons, message="the catalogue")
        await until(lambda: dashboard.figures is not None, message="the balance")
        assert not window.is_compact()
        assert window.nav.geometry().right() <= window.stack.geometry().left()

        window.resize(360, 640)
        await until(lambda: window.is_compact(), message="the handheld layout")
        await until(lambda: window.nav.geometry().top() >= window.stack.geometry().bottom())
        assert window.width() == 360
        for index, item in enumerate(window.nav.page_items()):
            size = window.nav.item_size(index)
            assert size.height() >= 44 and size.width() >= 44, item.text()
        window.show_page(window.page_index("services"))
        await until(lambda: services.start_buttons["voice"].height() >= 44, message="touch")
        start = services.start_buttons["voice"]
        assert start.mapTo(window, start.rect().topRight()).x() <= 360  # nothing cut off
        assert dashboard.balance_label.width() <= 360

        # every control is a touch target, has a name for screen readers and can be
        # reached by keyboard
        for key in ("dashboard", "services", "insight", "history", "settings"):
            window.show_page(window.page_index(key))
            page = window.page(key)
            await until(lambda p=page: p.isVisible() and p.width() <= 360, message=key)
            assert _small_targets(page) == [], key
        for page in (dashboard, services):
            window.show_page(window.stack.indexOf(page))
            assert _unnamed(window) == []
            assert _hidden_values(window) == []
        for button in services.start_buttons.values():
            assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
        # the navigation is one tab stop (a list of pages); arrows move within it
        window.activateWindow()
        await until(lambda: window.isActiveWindow(), message="an active window")
        nav = window.nav
        assert nav.focusPolicy() & Qt.FocusPolicy.TabFocus
        nav.setFocus()
        await until(lambda: nav.hasFocus(), message="focus")
        QTest.keyClick(nav, Qt.Key.Key_Left)  # a bottom bar here
        await until(lambda: window.stack.currentWidget() is dashboard, message="arrow left")
        assert nav.current() == 0 and nav.hasFocus()
        QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: window.stack.currentWidget() is dashboard, message="Ctrl+1")
        QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: window.stack.currentWidget() is services, message="Ctrl+2")
        assert window.nav.current() == window.page_index("services")

        window.resize(900, 640)
        await until(lambda: not window.is_compact(), message="the desktop layout")
        window.close()

    gui.run(scenario())


def test_icons_follow_the_palette(qapp: QApplication) -> None:
    original = qapp.palette()
    nav = NavBar()
    nav.add_item("Dashboard", "dashboard")
    try:
        for text in (QColor("white"), QColor("black")):
            palette = QPalette(original)
            palette.setColor(QPalette.ColorRole.WindowText, text)
            qapp.setPalette(palette)
            image = icon("stop").pixmap(48, 48).toImage()
            drawn = [
                image.pixelColor(x, y)
                for x in range(48)
                for y in range(48)
                if image.pixelColor(x, y).alpha() == 255
            ]
            assert drawn
            assert all(color.name() == text.name() for color in drawn)
            qapp.processEvents()
            button = nav.page_items()[0].icon().pixmap(48, 48, QIcon.Mode.Normal, QIcon.State.Off)
            image = button.toImage()
            assert any(
                image.pixelColor(x, y).name() == text.name()
                for x in range(48)
                for y in range(48)
                if image.pixelColor(x, y).alpha() == 255
            )
    finally:
        qapp.setPalette(original)


def test_closing_with_sessions_and_the_low_balance_notice(
    gui: Gui, home: Path, server: str
) -> None:
    ctx = gui.context(home)
    questions: list[str] = []
    answers: list[bool] = []

    def confirm(_parent: QWidget | None, _title: str, text: str) -> bool:
        questions.append(text)
        return answers.pop(0)

    async def scenario() -> None:
        await signed_in(ctx, [server], "low")
        shell = AppShell(ctx, confirm=confirm, tray_available=True)
        window = shell.show_main()
        tray = shell.tray
        assert tray is not None
        _dashboard, services = _pages(window)
        await until(lambda: "€2.04" in tray.tooltip(), message="the balance in the tray")
        card = await _start(services, "fast")

        # 0.01 a second from 2.04: the threshold of 2.00 is crossed within seconds
        await until(lambda: tray.last_message is not None, 20, message="low balance")
        assert tray.last_message is not None
        title, text = tray.last_message
        assert title == "Low balance"
        assert "left: about" in text
        assert "at the current rate" in text

        # closing with a session running and a tray: asked once, kept running there
        answers.append(True)
        window.close()
        assert len(questions) == 1
        assert "Keep them running in the tray" in questions[0]
        assert not window.isVisible()
        assert not shell.done.done()
        assert not card.ended
        window.show()
        window.close()
        assert len(questions) == 1  # not asked again
        assert not window.isVisible()

        # the tray's Quit ends the sessions (after asking) and the application
        answers.append(True)
        tray.quit_requested.emit()
        assert "End them and quit?" in questions[-1]
        assert await shell.done == 0
        assert card.ended
        assert card.progress.cause == "user"

    gui.run(scenario(), 60)


def test_without_a_tray_closing_asks_to_end_sessions(gui: Gui, home: Path, server: str) -> None:
    ctx = gui.context(home)
    answers = [False, True]
    questions: list[str] = []

    def confirm(_parent: QWidget | None, _title: str, text: str) -> bool:
        questions.append(text)
        return answers.pop(0)

    async def scenario() -> None:
        await signed_in(ctx, [server], "tray")
        shell = AppShell(ctx, confirm=confirm, tray_available=False)
        window = shell.show_main()
        _dashboard, services = _pages(window)
        card = await _start(services, "voice")
        window.close()  # "No": nothing happens
        assert questions == ["1 session(s) are running. End them and quit?"]
        assert window.isVisible()
        assert not card.ended
        window.close()  # "Yes": the session ends, then the application
        assert await shell.done == 0
        assert card.ended
        assert shell.tray is not None
        assert shell.tray.last_message is None

    gui.run(scenario(), 60)


def test_postpaid_credit_and_an_inactive_account_on_the_dashboard(gui: Gui, home: Path) -> None:
    ctx = gui.context(home)  # not signed in: the dashboard is fed plain data here
    dashboard = DashboardView(ctx)
    account = Account(
        account_id="acme",
        name="ACME Ltd",
        status=AccountStatus.INACTIVE,
        kind=AccountKind.POSTPAID,
        currency="EUR",
        plan_id="business",
        balance=-12_000_000,
        reserved=500_000,
        available=37_500_000,
        credit_limit=50_000_000,
        low_balance_threshold=None,
    )
    dashboard.set_account(account)
    assert dashboard.name.text() == "ACME Ltd"
    assert dashboard.kind.text() == "Postpaid"
    assert dashboard.status.text() == "Inactive"
    assert dashboard.status.level == "bad"
    assert dashboard.inactive_note.isVisibleTo(dashboard)
    assert dashboard.balance_label.text() == "€37.50"
    assert dashboard.reserved_label.text() == "Reserved for running services: €0.50"
    assert dashboard.credit_label.text() == "Credit used: €12.00 of €50.00"
    assert dashboard.credit_bar.value() == 240  # of 1000
    # no live event stream in this test: the figure is not passed off as current
    assert dashboard.caption.text().startswith("Last known balance, as of ")
