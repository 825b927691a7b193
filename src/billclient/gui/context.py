"""What every view and dialog is given: the core client, the bridge, and a task runner."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

from .bridge import Bridge

if TYPE_CHECKING:
    from billclient.core.client import BillingClient
    from billclient.core.sessions import SessionRunner

# The core (httpx, pydantic, keyring) is imported where it is used, not here: the main
# window is built and painted on a context before the core is loaded (see AppShell).

__all__ = ["AppRequests", "ErrorReporter", "GuiContext", "describe_error"]

_log = logging.getLogger(__name__)
T = TypeVar("T")


def describe_error(error: BaseException) -> str:
    """One line a person can read: the core's own message, or what kind of failure it was."""
    from billclient.core.errors import BillingError

    if isinstance(error, BillingError):
        return str(error)
    text = str(error) or type(error).__name__
    return QCoreApplication.translate("GuiContext", "Unexpected error: %1").replace("%1", text)


class ErrorReporter(QObject):
    """Where failures of background tasks go; the main window shows them."""

    reported = Signal(str)
    """A one-line message for a person."""
    signed_out = Signal(str)
    """This device's sign-in is gone (revoked elsewhere, tokens missing): sign in again."""

    def report(self, error: BaseException) -> None:
        """Log ``error`` and emit its one-line description."""
        from billclient.core.errors import BillingError, DeviceRevoked, NotSignedIn

        if not isinstance(error, BillingError):
            _log.error("a GUI task failed", exc_info=error)
        if isinstance(error, NotSignedIn | DeviceRevoked):
            self.signed_out.emit(describe_error(error))
            return
        self.reported.emit(describe_error(error))


class AppRequests(QObject):
    """What a view may ask of the application as a whole (the shell answers)."""

    sign_out = Signal()
    """Sign out of this device (asks first when sessions run), then show the sign-in."""


class GuiContext:
    """Shared by the views: ``client`` (core), ``bridge`` (its events as signals) and
    :meth:`run_task`, the one way a slot awaits a core operation.

    ``client`` may be given later (:meth:`attach`): the application shows its window
    with the cached figures first, and loads the core after that first paint. Until
    then only ``bridge``, ``profile``, ``role``, ``errors`` and ``requests`` may be used.
    """

    def __init__(
        self,
        client: BillingClient | None,
        bridge: Bridge,
        profile: str = "default",
        *,
        role: str | None = None,
    ) -> None:
        self.bridge = bridge
        self.profile = profile
        self.errors = ErrorReporter()
        self.requests = AppRequests()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.early_role = role
        """The role read from the settings before the client is attached."""
        self._client: BillingClient | None = None
        if client is not None:
            self.attach(client)

    def attach(self, client: BillingClient) -> None:
        """Give the context its core client (and the bridge the client's bus)."""
        self._client = client
        self.bridge.attach(client.bus)

    @property
    def attached(self) -> bool:
        """Whether the core client is there yet."""
        return self._client is not None

    @property
    def client(self) -> BillingClient:
        """The profile's core client (only once :attr:`attached`)."""
        if self._client is None:
            raise RuntimeError("the client core is not loaded yet")
        return self._client

    @property
    def role(self) -> str:
        """The signed-in role (``user``, ``support``, ``operator``)."""
        if self._client is not None:
            return self._client.settings.role or "user"
        return self.early_role or "user"

    @property
    def runner(self) -> SessionRunner:
        """The profile's one session runner: the client's (only once :attr:`attached`)."""
        return self.client.runner

    def close_runner(self) -> None:
        """Close the runner's journal (at shutdown or sign-out)."""
        if self._client is not None:
            self._client.close_runner()

    def run_task(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Schedule ``coro`` on the running (qasync) loop; keep it alive until done.

        An exception the coroutine does not handle itself is reported through
        :attr:`errors` (a status line / message box), never lost or raised into Qt.
        """
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self.errors.report(error)

    async def cancel_tasks(self) -> None:
        """Cancel the tasks still running and wait for them (at shutdown)."""
        pending = [task for task in self.tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
