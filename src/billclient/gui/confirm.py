"""Asking the person before a destructive action."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["Confirm", "ask"]

Confirm = Callable[[QWidget | None, str, str], bool]
"""``(parent, title, text) -> yes?``; views keep one in ``.confirm`` (tests swap it)."""


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """A yes/no message box whose default answer is No."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
