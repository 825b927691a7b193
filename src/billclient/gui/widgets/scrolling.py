"""A page's body in a frameless scroll area that scrolls only vertically (pages fit the
width down to 360 px and grow downwards)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

__all__ = ["scrolled_body"]


def scrolled_body(page: QWidget, *, fill: bool = False) -> tuple[QScrollArea, QWidget]:
    """A scroll area (a child of ``page``) and the body widget inside it; with ``fill``
    the scroll area is also laid out to fill ``page`` edge to edge."""
    scroll = QScrollArea(page)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    body = QWidget(scroll)
    scroll.setWidget(body)
    if fill:
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
    return scroll, body
