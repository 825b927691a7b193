"""The main window: navigation (sidebar or bottom bar), the pages, a banner, a status bar.

Below :data:`COMPACT_WIDTH` pixels the window becomes one column: the sidebar turns into
a bottom bar, controls grow to touch size, and every page is told through
``set_compact(True)`` (when it has that method) to stack its content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .navigation import NavBar
from .resources import icon
from .views.dashboard import DashboardView
from .widgets.connection import ConnectionIndicator

if TYPE_CHECKING:
    from billclient.protocol import LimitEvent

    from .context import GuiContext

translate = QCoreApplication.translate
"""Qt's translation, under the name pyside6-lupdate looks for."""

__all__ = ["COMPACT_WIDTH", "MainWindow", "Page"]

COMPACT_WIDTH = 500
"""Narrower than this (pixels) the layout is the handheld one."""
ALL_ROLES = ("user", "support", "operator")


@dataclass(frozen=True)
class Page:
    """One navigation entry: ``factory(ctx)`` builds its widget; ``roles`` may see it;
    ``early`` pages can be built before the core client is loaded (see :class:`MainWindow`)."""

    key: str
    title: str
    icon: str
    factory: Callable[[GuiContext], QWidget]
    roles: tuple[str, ...] = ("user",)
    early: bool = False


# The pages other than the dashboard need the core, which loads after the window is
# shown: each is imported when its factory is first called.


def _services(ctx: GuiContext) -> QWidget:
    from .views.services import ServicesView

    return ServicesView(ctx)


def _history(ctx: GuiContext) -> QWidget:
    from .views.history import HistoryView

    return HistoryView(ctx)


def _insight(ctx: GuiContext) -> QWidget:
    from .views.insight import InsightView

    return InsightView(ctx)


def _invoices(ctx: GuiContext) -> QWidget:
    from .views.invoices import InvoicesView

    return InvoicesView(ctx)


def _support(ctx: GuiContext) -> QWidget:
    from .views.support import SupportView

    return SupportView(ctx)


def _settings(ctx: GuiContext) -> QWidget:
    from .views.settings import SettingsView

    return SettingsView(ctx)


def pages(ctx: GuiContext) -> list[Page]:
    """The pages of the main window, in navigation order, for every role."""
    return [
        Page(
            "dashboard",
            translate("MainWindow", "Dashboard"),
            "dashboard",
            DashboardView,
            early=True,
        ),
        Page(
            "services",
            translate("MainWindow", "Services"),
            "services",
            _services,
        ),
        Page(
            "history",
            translate("MainWindow", "History"),
            "history",
            _history,
        ),
        Page(
            "invoices",
            translate("MainWindow", "Invoices"),
            "invoice",
            _invoices,
        ),
        Page(
            "insight",
            translate("MainWindow", "Spending"),
            "insight",
            _insight,
        ),
        Page(
            "support",
            translate("MainWindow", "Support"),
            "support",
            _support,
            ("support",),
        ),
        Page(
            "settings",
            translate("MainWindow", "Settings"),
            "settings",
            _settings,
            ALL_ROLES,
        ),
    ]


class MainWindow(QMainWindow):
    """Pages for the signed-in role, navigation, banner, connection status.

    Only the ``early`` pages (the dashboard, which can show cached figures) are built
    with the window; every other page stands as an empty placeholder until it is first
    shown (or asked for with :meth:`page`) on a context whose core client is attached.
    A person who only watches the balance never pays for the other pages' widgets,
    modules and server reads.
    """

    compact_changed = Signal(bool)
    """The layout switched between desktop (False) and handheld (True)."""
    close_requested = Signal(QCloseEvent)
    """The window is about to close; a handler may ``ignore()`` the event (tray, sessions)."""

    @staticmethod
    def tr_static(text: str) -> str:
        """Translate in the ``MainWindow`` context outside an instance (prefer literal
        ``translate("MainWindow", "...")`` calls: those are what pyside6-lupdate extracts)."""
        return translate("MainWindow", text)

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Billing"))
        self.setWindowIcon(icon("app"))
        self.setMinimumSize(320, 480)
        self._compact: bool | None = None

        central = QWidget(self)
        self._central = central
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.banner = QLabel(central)
        self.banner.setObjectName("Banner")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleDescription(self.tr("Message"))
        self.banner.hide()
        outer.addWidget(self.banner)
        self._body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._body.setSpacing(0)
        outer.addLayout(self._body, 1)
        self.nav = NavBar(central)
        self.stack = QStackedWidget(central)
        self._body.addWidget(self.nav)
        self._body.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.pages: dict[str, QWidget] = {}
        """The pages built so far, by key (see :meth:`page`)."""
        self._entries = [p for p in pages(ctx) if ctx.role in p.roles]
        self._pending: dict[int, Page] = {}
        for number, page in enumerate(self._entries):
            if page.early:
                self._add_page(page)
            else:
                self._pending[self.stack.addWidget(QWidget(self.stack))] = page
            shortcut = QKeySequence(f"Ctrl+{number + 1}") if number < 9 else None
            self.nav.add_item(page.title, page.icon, shortcut.toString() if shortcut else None)
            if shortcut is not None:
                action = QAction(page.title, self)
                action.setShortcut(shortcut)
                action.triggered.connect(lambda _=False, n=number: self.show_page(n))
                self.addAction(action)
        self.nav.selected.connect(self.show_page)

        self.connection = ConnectionIndicator(ctx, self)
        self.statusBar().addPermanentWidget(self.connection)
        self._build_menu()
        ctx.errors.reported.connect(self.show_error)
        ctx.bridge.limit.connect(self._on_limit)
        self._banner_timer = QTimer(self)
        self._banner_timer.setSingleShot(True)
        self._banner_timer.timeout.connect(self.banner.hide)
        self.resize(960, 640)

    def _add_page(self, page: Page, index: int | None = None) -> None:
        widget = page.factory(self.ctx)
        widget.setAccessibleName(page.title)
        if index is None:
            self.stack.addWidget(widget)
        else:
            placeholder = self.stack.widget(index)
            current = self.stack.currentIndex()
            self.stack.insertWidget(index, widget)
            if placeholder is not None:
                self.stack.removeWidget(placeholder)
                placeholder.deleteLater()
            self.stack.setCurrentIndex(current)
        self.pages[page.key] = widget
        setter = getattr(widget, "set_compact", None)
        if self._compact is not None and callable(setter):
            setter(self._compact)

    def _build(self, index: int) -> None:
        page = self._pending.get(index)
        if page is not None and self.ctx.attached:
            del self._pending[index]
            self._add_page(page, index)

    def client_attached(self) -> None:
        """The core client is attached: build the page on screen if it waited for it
        (the person chose it early); the others are built when first shown."""
        self._build(self.stack.currentIndex())

    def page(self, key: str) -> QWidget:
        """The page named ``key``, built now if it was not yet (this needs the core
        client: before it is attached an unbuilt page raises LookupError)."""
        self._build(self.page_index(key))
        try:
            return self.pages[key]
        except KeyError:
            raise LookupError(f"the {key} page waits for the core client") from None

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&Account"))
        sign_out = menu.addAction(icon("signout"), self.tr("Sign &out"))
        sign_out.triggered.connect(self.ctx.requests.sign_out)
        menu.addSeparator()
        quit_action = menu.addAction(self.tr("&Quit"))
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.sign_out_action = sign_out

    def show_page(self, index: int) -> None:
        """Show page ``index`` and check its navigation button."""
        if 0 <= index < self.stack.count():
            self._build(index)
            self.stack.setCurrentIndex(index)
            self.nav.set_current(index)

    def page_index(self, key: str) -> int:
        """The index of the page named ``key`` (``"dashboard"``, ``"services"``, ...);
        KeyError when the role has no such page."""
        for index, page in enumerate(self._entries):
            if page.key == key:
                return index
        raise KeyError(key)

    def show_error(self, message: str) -> None:
        """Tell the person what went wrong, in the banner and the status bar."""
        self.show_banner(message, seconds=12)
        self.statusBar().showMessage(message, 12000)

    def show_banner(self, message: str, *, seconds: float = 8) -> None:
        """A message above the pages for a while."""
        self.banner.setText(message)
        self.banner.show()
        self._banner_timer.start(int(seconds * 1000))

    def _on_limit(self, event: LimitEvent) -> None:
        """A spending limit 80 % or fully spent: said in the banner (the tray, where there
        is one, tells it too)."""
        from billclient.core.spending import limit_event_text  # loaded with the core

        account = self.ctx.bridge.account.last
        currency = account.currency if account is not None else ""
        self.show_banner(limit_event_text(event, currency), seconds=20)

    def is_compact(self) -> bool:
        """Whether the handheld layout is in use."""
        return bool(self._compact)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_compact(event.size().width() < COMPACT_WIDTH)

    def _apply_compact(self, compact: bool) -> None:
        if compact == self._compact:
            return
        self._compact = compact
        self.nav.set_compact(compact)
        # BottomToTop puts the first item (the navigation) under the pages.
        direction = (
            QBoxLayout.Direction.BottomToTop if compact else QBoxLayout.Direction.LeftToRight
        )
        self._body.setDirection(direction)
        self.menuBar().setVisible(not compact)
        self.statusBar().setVisible(not compact)  # the bottom bar is the last thing on a phone
        self._central.setProperty("compact", compact)
        # A (no-op) style sheet on the central widget makes Qt re-polish every child,
        # so the [compact="true"] touch sizes of the application style sheet apply.
        self._central.setStyleSheet(f"/* compact={compact} */")
        for index in range(self.stack.count()):
            page = self.stack.widget(index)
            setter = getattr(page, "set_compact", None)
            if callable(setter):
                setter(compact)
        self.compact_changed.emit(compact)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.accept()
        self.close_requested.emit(event)
        if event.isAccepted():
            super().closeEvent(event)
