"""Settings: spending limits, servers, signed-in devices (revoke), password, sign out,
component version."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from billclient import __version__
from billclient.core.errors import BillingError
from billclient.protocol import DeviceInfo

from ..confirm import Confirm, ask
from ..context import GuiContext, describe_error
from ..formatting import format_datetime
from ..language import LANGUAGES
from ..models.columns import Column
from ..models.table import ListTableModel
from ..operations.account import (
    change_password as change_account_password,
)
from ..operations.account import (
    check_component_update,
    component_version,
    devices,
    revoke_device,
)
from ..widgets.record_table import RecordTable
from .limits import LimitsPanel

__all__ = ["SettingsView"]

MIN_PASSWORD = 8
translate = QCoreApplication.translate


def _device_columns() -> list[Column]:

    return [
        Column.plain(
            translate("SettingsView", "Device"),
            lambda d: d.name + (translate("SettingsView", " (this one)") if d.current else ""),
        ),
        Column.plain(translate("SettingsView", "Platform"), lambda d: d.platform),
        Column(
            translate("SettingsView", "Signed in"),
            lambda d: format_datetime(d.created_at),
            lambda d: d.created_at.timestamp(),
            lambda d: d.created_at.isoformat(),
        ),
        Column(
            translate("SettingsView", "Last seen"),
            lambda d: format_datetime(d.last_seen) if d.last_seen else "—",
            lambda d: d.last_seen.timestamp() if d.last_seen else 0.0,
            lambda d: d.last_seen.isoformat() if d.last_seen else "",
        ),
    ]


class SettingsView(QWidget):
    """What this profile is signed in to and with which devices; account security."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.confirm: Confirm = ask
        self._loaded = False
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        body = QWidget(scroll)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        column = QVBoxLayout(body)
        column.setContentsMargins(16, 16, 16, 16)
        heading = QLabel(self.tr("Settings"), body)
        heading.setObjectName("Heading")
        column.addWidget(heading)
        self.limits_panel: LimitsPanel | None = None
        if ctx.role == "user":  # support and operator logins have no account to limit
            self.limits_panel = LimitsPanel(ctx, body)
            column.addWidget(self.limits_panel)
        column.addWidget(self._servers_box(body))
        column.addWidget(self._devices_box(body), 1)
        column.addWidget(self._password_box(body))
        column.addWidget(self._language_box(body))
        column.addWidget(self._about_box(body))
        ctx.bridge.pool.connect(lambda _state: self._show_servers())

    # -- parts ------------------------------------------------------------------------------

    def _servers_box(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox(self.tr("Billing servers"), parent)
        layout = QVBoxLayout(box)
        self.servers = QListWidget(box)
        self.servers.setAccessibleName(self.tr("Billing servers, primary first"))
        self.servers.setMaximumHeight(110)
        layout.addWidget(self.servers)
        note = QLabel(
            self.tr("The first is the primary; the others take over when it cannot be reached."),
            box,
        )
        note.setObjectName("Muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        self._show_servers()
        return box

    def _devices_box(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox(self.tr("Signed-in devices"), parent)
        layout = QVBoxLayout(box)
        self.devices_model = ListTableModel(_device_columns(), self)
        self.devices = RecordTable(self.devices_model, self.tr("Signed-in devices"), box)
        self.devices.filter.hide()
        self.devices.setMinimumHeight(140)
        layout.addWidget(self.devices, 1)
        row = QHBoxLayout()
        self.revoke_button = QPushButton(self.tr("Sign &device out…"), box)
        self.revoke_button.setAccessibleName(self.tr("Sign the selected device out"))
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.sign_out_button = QPushButton(self.tr("Sign &out here"), box)
        self.sign_out_button.setAccessibleName(self.tr("Sign this device out"))
        self.sign_out_button.clicked.connect(self.ctx.requests.sign_out)
        row.addWidget(self.revoke_button)
        row.addStretch(1)
        row.addWidget(self.sign_out_button)
        layout.addLayout(row)
        self.devices_message = QLabel(box)
        self.devices_message.setWordWrap(True)
        self.devices_message.setAccessibleDescription(self.tr("Devices status"))
        layout.addWidget(self.devices_message)
        return box

    def _password_box(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox(self.tr("Password"), parent)
        form = QFormLayout(box)
        self.old_password = QLineEdit(box)
        self.new_password = QLineEdit(box)
        self.repeat_password = QLineEdit(box)
        for field, title in (
            (self.old_password, self.tr("C&urrent password")),
            (self.new_password, self.tr("&New password")),
            (self.repeat_password, self.tr("&Repeat new password")),
        ):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setAccessibleName(title.replace("&", ""))
            label = QLabel(title, box)
            label.setBuddy(field)
            form.addRow(label, field)
        self.password_button = QPushButton(self.tr("&Change password"), box)
        self.password_button.setAccessibleName(self.tr("Change password"))
        self.password_button.clicked.connect(self.change_password)
        form.addRow(self.password_button)
        self.password_message = QLabel(box)
        self.password_message.setWordWrap(True)
        self.password_message.setAccessibleDescription(self.tr("Password status"))
        form.addRow(self.password_message)
        return box

    def _language_box(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox(self.tr("Language"), parent)
        layout = QVBoxLayout(box)
        self.language = QComboBox(box)
        self.language.setAccessibleName(self.tr("Language of the application"))
        self.language.addItem(self.tr("As the system"), None)
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        chosen = self.ctx.client.settings.language
        self.language.setCurrentIndex(max(self.language.findData(chosen), 0))
        self.language.currentIndexChanged.connect(self._language_chosen)
        layout.addWidget(self.language)
        self.language_note = QLabel(self.tr("A new language applies at the next start."), box)
        self.language_note.setObjectName("Muted")
        self.language_note.setWordWrap(True)
        layout.addWidget(self.language_note)
        return box

    def _language_chosen(self, index: int) -> None:
        code = self.language.itemData(index)
        try:
            self.ctx.client.set_language(code if isinstance(code, str) else None)
        except BillingError as error:
            self.language_note.setText(describe_error(error))

    def _about_box(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox(self.tr("Versions"), parent)
        layout = QVBoxLayout(box)
        self.versions = QLabel(box)
        self.versions.setWordWrap(True)
        self.versions.setAccessibleDescription(self.tr("Versions"))
        layout.addWidget(self.versions)
        self.update_button = QPushButton(self.tr("Check for a component &update"), box)
        self.update_button.setAccessibleName(self.tr("Check for a billing component update"))
        self.update_button.clicked.connect(lambda: self.ctx.run_task(self.check_update()))
        layout.addWidget(self.update_button)
        self._show_versions(None, None)
        return box

    # -- data -------------------------------------------------------------------------------

    def _show_servers(self) -> None:
        current = self.ctx.client.pool.state.server
        self.servers.clear()
        for number, url in enumerate(self.ctx.client.settings.servers):
            role = self.tr("primary") if number == 0 else self.tr("secondary")
            text = f"{url} ({role})"
            if url == current:
                text += self.tr(" — in use")
            self.servers.addItem(text)

    def _show_versions(self, component: str | None, message: str | None) -> None:
        text = self.tr("Client %1; billing component %2.").replace("%1", __version__)
        text = text.replace("%2", component or self.tr("(reading…)"))
        self.versions.setText(text + (f"\n{message}" if message else ""))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.ctx.run_task(self.load())

    async def load(self) -> None:
        """Read the limits, the devices and the installed component version."""
        if self.limits_panel is not None:
            await self.limits_panel.load()
        self._show_versions(await component_version(self.ctx.client), None)
        await self.load_devices()

    async def load_devices(self) -> None:
        """Read the account's signed-in devices."""
        try:
            signed_in = await devices(self.ctx.client)
        except BillingError as error:
            self.devices_message.setText(describe_error(error))
            return
        self.devices_model.set_items(signed_in, lambda d: d.device_id)
        self.devices.fit_columns()

    async def check_update(self) -> None:
        """Ask the servers whether a newer signed component exists (installs nothing)."""
        self.update_button.setEnabled(False)
        try:
            result = await check_component_update(self.ctx.client)
        finally:
            self.update_button.setEnabled(True)
        self._show_versions(result.current, result.message)

    # -- actions ----------------------------------------------------------------------------

    def revoke_selected(self) -> bool:
        """Confirm, then sign the selected device out."""
        device: DeviceInfo | None = self.devices.selected_item()
        if device is None:
            self.devices_message.setText(self.tr("Choose a device first."))
            return False
        if device.current:
            self.devices_message.setText(self.tr("This is the device in use: use Sign out here."))
            return False
        if not self.confirm(
            self,
            self.tr("Sign a device out"),
            self.tr("Sign %1 out? It must sign in again with the password.").replace(
                "%1", device.name
            ),
        ):
            return False
        self.ctx.run_task(self._revoke(device))
        return True

    async def _revoke(self, device: DeviceInfo) -> None:
        try:
            await revoke_device(self.ctx.client, device_id=device.device_id)
        except BillingError as error:
            self.devices_message.setText(describe_error(error))
            return
        self.devices_message.setText(self.tr("%1 is signed out.").replace("%1", device.name))
        await self.load_devices()

    def change_password(self) -> bool:
        """Check the fields, then change the password (other devices are signed out)."""
        old, new = self.old_password.text(), self.new_password.text()
        if not old:
            problem = self.tr("Enter the current password.")
        elif len(new) < MIN_PASSWORD:
            problem = self.tr("The new password needs at least %1 characters.").replace(
                "%1", str(MIN_PASSWORD)
            )
        elif new != self.repeat_password.text():
            problem = self.tr("The new passwords differ.")
        else:
            self.password_button.setEnabled(False)
            self.ctx.run_task(self._change_password(old, new))
            return True
        self.password_message.setText(problem)
        return False

    async def _change_password(self, old: str, new: str) -> None:
        try:
            await change_account_password(self.ctx.client, old=old, new=new)
        except BillingError as error:
            self.password_message.setText(describe_error(error))
            return
        finally:
            self.password_button.setEnabled(True)
        for field in (self.old_password, self.new_password, self.repeat_password):
            field.clear()
        self.password_message.setText(
            self.tr("Password changed; every other device was signed out.")
        )
        await self.load_devices()
