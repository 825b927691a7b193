"""The real entry point: ``billclient`` with no command runs the GUI on a qasync loop."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from billclient.__main__ import run
from billclient.gui.views.signin import SignInDialog


def test_no_command_starts_the_gui_and_cancel_quits(qapp: QApplication, home: Path) -> None:
    seen: list[str] = []

    def cancel_the_sign_in() -> None:
        dialogs = [w for w in qapp.topLevelWidgets() if isinstance(w, SignInDialog)]
        visible = [dialog for dialog in dialogs if dialog.isVisible()]
        if not visible:
            QTimer.singleShot(50, cancel_the_sign_in)
            return
        seen.append(visible[0].windowTitle())
        visible[0].reject()

    QTimer.singleShot(50, cancel_the_sign_in)
    assert run([]) == 0  # not signed in: the sign-in dialog first; Cancel ends the app
    assert seen == ["Sign in"]
