"""The sign-in (device registration) dialog: servers, login, password, progress, errors."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import (
    AccountInactive,
    BillingError,
    RateLimited,
    ServerUnreachable,
    TlsFailure,
    Unauthorized,
)
from billclient.protocol.account import AccountStatus

from ..context import GuiContext, describe_error
from ..resources import icon

translate = QCoreApplication.translate
"""Qt's translation, under the name pyside6-lupdate looks for."""

__all__ = ["SignInDialog", "sign_in_error_text", "split_servers"]


def split_servers(text: str) -> list[str]:
    """Server addresses typed by a person: separated by spaces, commas or new lines."""
    return [part for part in re.split(r"[\s,;]+", text.strip()) if part]


def sign_in_error_text(error: BaseException) -> str:
    """What went wrong signing in, and what to do, in one or two sentences."""
    if isinstance(error, TlsFailure):
        return translate(
            "SignInDialog",
            "The server's certificate could not be verified (TLS failure): the address may "
            "be wrong, or the server needs a CA file in the settings. %1",
        ).replace("%1", str(error))
    if isinstance(error, ServerUnreachable):
        return translate(
            "SignInDialog", "No server answered. Check the address and your network. %1"
        ).replace("%1", str(error))
    if isinstance(error, AccountInactive):
        return translate(
            "SignInDialog", "This account is not active. Contact support to activate it."
        )
    if isinstance(error, RateLimited):
        wait = f"{error.retry_after:.0f}" if error.retry_after else "60"
        return translate(
            "SignInDialog", "Too many sign-in attempts. Try again in %1 seconds."
        ).replace("%1", wait)
    if isinstance(error, Unauthorized):
        return translate("SignInDialog", "Wrong login or password.")
    return describe_error(error)


class SignInDialog(QDialog):
    """Registers this device with a login; the tokens go to the keychain (core), or,
    where none exists and the person ticks the box, to the profile's private file."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.inactive_warning = False
        self.setWindowTitle(self.tr("Sign in"))
        self.setWindowIcon(icon("app"))
        self.setAccessibleName(self.tr("Sign in"))
        self.setMinimumWidth(320)
        layout = QVBoxLayout(self)
        heading = QLabel(self.tr("Sign in to your billing account"), self)
        heading.setObjectName("Heading")
        heading.setWordWrap(True)
        layout.addWidget(heading)

        settings = ctx.client.settings
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.servers = QLineEdit(" ".join(settings.user_servers or settings.servers), self)
        self.servers.setPlaceholderText("https://billing.example")
        self.servers.setAccessibleName(self.tr("Server addresses"))
        self.servers.setToolTip(
            self.tr("One or more addresses, the primary first, separated by spaces")
        )
        self.login = QLineEdit(settings.login or "", self)
        self.login.setAccessibleName(self.tr("Login"))
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        form.addRow(self.tr("&Servers:"), self.servers)
        form.addRow(self.tr("&Login:"), self.login)
        form.addRow(self.tr("&Password:"), self.password)
        layout.addLayout(form)
        self.store_in_file = self._store_choice()
        if self.store_in_file is not None:
            layout.addWidget(self.store_in_file)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.setAccessibleName(self.tr("Signing in"))
        self.progress.hide()
        layout.addWidget(self.progress)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("ErrorText")
        self.message.hide()
        layout.addWidget(self.message)

        self.buttons = QDialogButtonBox(self)
        self.sign_in_button = self.buttons.addButton(
            self.tr("Sign &in"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_in_button.setAccessibleName(self.tr("Sign in"))
        self.sign_in_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Cancel"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        first_empty = next(
            (field for field in (self.servers, self.login) if not field.text()), self.password
        )
        first_empty.setFocus()

    def _store_choice(self) -> QCheckBox | None:
        """Where no keychain exists: keep the sign-in in a private file, or for this run."""
        client = self.ctx.client
        in_file = client.settings.credential_store == "file"
        if client.tokens_persist and not in_file:
            return None  # the keychain keeps it
        box = QCheckBox(
            self.tr(
                "&Keep me signed in: no keychain is available here, so keep the sign-in in "
                "a file only you can read (otherwise it lasts until the app closes)"
            ),
            self,
        )
        box.setAccessibleName(self.tr("Keep the sign-in in a private file"))
        box.setChecked(in_file)
        return box

    def submit(self) -> None:
        """Sign in with what was typed (or continue after the inactive-account warning)."""
        if self.inactive_warning:
            self.accept()
            return
        servers = split_servers(self.servers.text())
        missing = [
            name
            for name, value in (
                (self.tr("a server address"), servers),
                (self.tr("your login"), self.login.text().strip()),
                (self.tr("your password"), self.password.text()),
            )
            if not value
        ]
        if missing:
            self.show_error(self.tr("Please enter %1.").replace("%1", ", ".join(missing)))
            return
        self.ctx.run_task(self.sign_in(servers, self.login.text().strip(), self.password.text()))

    def _busy(self, busy: bool) -> None:
        for widget in (self.servers, self.login, self.password, self.sign_in_button):
            widget.setEnabled(not busy)
        if self.store_in_file is not None:
            self.store_in_file.setEnabled(not busy)
        self.progress.setVisible(busy)

    def show_error(self, text: str) -> None:
        """Show ``text`` under the form (screen readers get it as the label's name)."""
        self.message.setObjectName("ErrorText")
        self.message.setText(text)
        self.message.setAccessibleName(text)
        self.message.show()
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    async def sign_in(self, servers: list[str], login: str, password: str) -> bool:
        """Register the device; True when signed in (the dialog is then accepted)."""
        self._busy(True)
        self.message.hide()
        if self.store_in_file is not None and self.store_in_file.isChecked():
            self.ctx.client.use_file_store()
        try:
            result = await self.ctx.client.sign_in(servers, login, password)
            self.password.clear()
            if result.role == "user":
                account = await self.ctx.client.refresh_account()
                if account.status is not AccountStatus.ACTIVE:
                    self.inactive_warning = True
                    self.show_error(
                        self.tr(
                            "Signed in, but this account is %1: you can look at it, but "
                            "services cannot start. Contact support to activate it."
                        ).replace("%1", account.status.value)
                    )
                    self.sign_in_button.setText(self.tr("&Continue"))
                    return True
        except BillingError as error:
            self.show_error(sign_in_error_text(error))
            return False
        finally:
            self._busy(False)
        self.accept()
        return True
