"""GUI test helpers: a qasync loop on pytest-qt's QApplication, a profile home with the
keyrings.alt file backend chosen explicitly, and a way to wait for the widgets."""

from __future__ import annotations

import asyncio
import copy
import gc
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop
from PySide6.QtWidgets import QApplication

from billclient.core.client import BillingClient
from billclient.core.settings import ClientSettings, ProfilePaths
from billclient.gui.app import configure
from billclient.gui.bridge import Bridge
from billclient.gui.context import GuiContext
from tests.support.catalogs import BASE, PASSWORD, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

T = TypeVar("T")

KEYRING = "keyrings.alt.file.PlaintextKeyring"
ATSPI_VOUCHER = "ATSPI-FIVE-EUR"
TEN_CENTS = "TEN-CENTS"


def _catalog_changes() -> dict[str, Any]:
    """BASE plus "meter": per second, updated every 5 s, so the local estimate runs ahead;
    and "trickle" (0.0015 EUR a second, its own plan "fine"), whose charges are fractions
    of a cent, for the money-shown tests."""
    services = [
        *BASE["services"],
        {
            "id": "meter",
            "name": "Metered line",
            "unit": "second",
            "media": "voice",
            "grant": 30,
            "update_interval": 5,
        },
        {
            "id": "trickle",
            "name": "Trickle line",
            "unit": "second",
            "media": "voice",
            "grant": 30,
            "update_interval": 5,
        },
    ]
    plans = copy.deepcopy(BASE["plans"])
    plans[0]["rates"].append({"service": "meter", "price": "0.6", "per": 60})
    plans.append(
        {
            "id": "fine",
            "name": "Fine-grained",
            "timezone": "UTC",
            "rates": [{"service": "trickle", "price": "0.0015", "per": 1}],
        }
    )
    plans.append(  # the invoice tests' postpaid plan, with tax
        {
            "id": "business",
            "name": "Business",
            "timezone": "UTC",
            "tax_rate": "0.19",
            "rates": [
                {"service": "sms", "price": "0.05"},
                {"service": "dl", "price": "0.01", "per": 1000000},
            ],
        }
    )
    return {"services": services, "plans": plans}


ACCOUNTS: list[dict[str, Any]] = [
    account("ann", "12.5"),
    account("ina", "3", status="inactive"),
    account("sam", "10"),
    account("adj", "10"),
    account("fay", "10"),
    account("quick", "7.25"),
    {**account("low", "2.04"), "low_balance_threshold": "2.00"},
    account("tiny", "0.05"),
    account("ivy", "100"),  # the insight tests' month of records
    account("ada", "10"),  # driven through AT-SPI (test_atspi)
    account("keep", "4"),
    account("cent", "14.901", plan="fine"),  # test_money_shown
    account("pia", "0", kind="postpaid", plan="business", credit_limit="100"),
    account("hand", "10"),  # test_window: the handheld layout
    account("tray", "10"),  # test_window: closing without a tray
    account("late", "7.4"),  # test_live: the first account read lost
    account("calm", "3"),  # test_live: ... while the stream stays live
]
"""The accounts of the package's one deployment. Each belongs to ONE test file
(test_shared_deployment checks it): xdist hands whole files to its workers in no fixed
order, so an account whose money one file spends would show another file a balance
that depends on which of them ran first on that worker."""


@pytest.fixture(scope="package")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """One SQLite database for every GUI test, with a primary server running; the
    server tests cover PostgreSQL."""
    factory = ServerFactory(tmp_path_factory.mktemp("gui-billing"))
    try:
        factory.import_catalog(
            ACCOUNTS,
            users=[{"login": "ops", "password": PASSWORD, "role": "operator"}],
            vouchers=[
                {"code": ATSPI_VOUCHER, "amount": "5.00"},
                {"code": TEN_CENTS, "amount": "0.10"},
            ],
            **_catalog_changes(),
        )
        # the shared primary, and a spare that the failover test makes its primary and
        # kills; started side by side (each start mostly waits for imports and migrations).
        # No scheduled invoice runs: test_invoices runs the months it needs itself.
        starting = [
            ServerProcess(
                factory.db_url,
                server_id=name,
                log_dir=factory.directory,
                extra=("--no-invoice-schedule",),
            )
            for name in ("primary", "spare")
        ]
        factory.servers.extend(starting)
        with ThreadPoolExecutor(len(starting)) as pool:
            list(pool.map(ServerProcess.start, starting))
        yield factory
    finally:
        factory.close()


@pytest.fixture
def spare(deployment: ServerFactory) -> ServerProcess:
    """A second server on the same database, for the one test that kills a server."""
    return deployment.servers[1]


@pytest.fixture
def server(deployment: ServerFactory) -> str:
    """The primary server's URL."""
    return deployment.servers[0].url


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BILLCLIENT_HOME in tmp_path; the profile's settings pick the keyrings.alt file
    backend, whose file lives under tmp_path too."""
    root = tmp_path / "home"
    monkeypatch.setenv("BILLCLIENT_HOME", str(root))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    paths = ProfilePaths.for_profile("default", root)
    ClientSettings(keyring_backend=KEYRING).save(paths)
    return root


class Gui:
    """A qasync loop over the test's QApplication, "running" for the whole test (as in the
    application, where Qt's event loop is always the asyncio loop): background tasks such
    as the live event stream never run outside it."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(self.loop)
        # The loop's callbacks are Qt timers: they run whenever Qt processes events. Marking
        # the loop as the running one for the whole test lets coroutines find it then.
        asyncio.events._set_running_loop(self.loop)
        self.contexts: list[GuiContext] = []

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run ``coro`` to the end in a local Qt event loop (widgets and tasks run too)."""
        task = self.loop.create_task(asyncio.wait_for(coro, timeout))
        if not task.done():
            local = QEventLoop()
            task.add_done_callback(lambda _task: local.quit())
            local.exec()
        return task.result()

    def context(self, home: Path) -> GuiContext:
        """A GuiContext on the default profile under ``home`` (closed at teardown)."""
        client = BillingClient.open("default", home=home)
        ctx = GuiContext(client, Bridge(client.bus))
        self.contexts.append(ctx)
        return ctx

    def close(self) -> None:
        async def shutdown() -> None:
            for ctx in self.contexts:
                await ctx.cancel_tasks()
                ctx.close_runner()
                await ctx.client.aclose()
                ctx.bridge.close()

        try:
            self.run(shutdown())
        finally:
            asyncio.events._set_running_loop(None)
            self.loop.close()
            asyncio.set_event_loop(None)


@pytest.fixture
def gui(qapp: QApplication) -> Iterator[Gui]:
    """The qasync loop for one test; closes every context it made."""
    configure(qapp)
    runner = Gui(qapp)
    try:
        yield runner
    finally:
        runner.close()
        _dispose_windows(qapp)


def _dispose_windows(qapp: QApplication) -> None:
    """Close and delete the top-level widgets a test left, and collect its garbage, here
    rather than inside a later test's event processing: a window (with its timers)
    deleted by the garbage collector in the middle of another test's ``processEvents``
    crashed a worker once."""
    for widget in qapp.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


async def until(predicate: Callable[[], object], timeout: float = 15, message: str = "") -> None:
    """Wait (letting Qt and asyncio run) until ``predicate()`` is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message or predicate}")
        await asyncio.sleep(0.02)


async def signed_in(ctx: GuiContext, servers: list[str], login: str) -> None:
    """Sign ``ctx``'s client in (the dialog itself is tested in test_signin)."""
    await ctx.client.sign_in(servers, login, PASSWORD)
    ctx.client.live.start()
