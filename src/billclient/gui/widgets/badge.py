"""A small coloured label for a status: ok / warn / bad / info."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["Badge"]


class Badge(QLabel):
    """Text on a status colour (the style sheet maps ``level`` to a colour)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Badge")
        self.level = "info"

    def set_status(self, level: str, text: str, description: str | None = None) -> None:
        """Show ``text`` in the colour of ``level``; the accessible name says it in words."""
        self.level = level
        self.setText(text)
        self.setProperty("level", level)
        self.setAccessibleName(description or text)
        self.style().unpolish(self)
        self.style().polish(self)
