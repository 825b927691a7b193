"""Icons and style sheets from ``resources/`` (importlib.resources).

Installed, the files live in the package as ``billclient/resources`` (the wheel's
force-include); run from a source checkout, the repository's top-level ``resources/``
is used. Icons are monochrome SVGs drawn in ``currentColor``, painted in the
palette's text colour so they suit light and dark themes alike.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

__all__ = ["icon", "resource_root", "resource_text", "style_sheet"]


@cache
def resource_root() -> Traversable:
    """The resources directory, installed or in the source tree."""
    packaged = resources.files("billclient").joinpath("resources")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "resources"


def resource_text(*parts: str) -> str:
    """A text resource such as ``resource_text("styles", "app.qss")``."""
    node = resource_root()
    for part in parts:
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def style_sheet() -> str:
    """The application style sheet (palette roles only, so light and dark both work)."""
    return resource_text("styles", "app.qss")


def _palette_color(role: QPalette.ColorRole, fallback: str) -> QColor:
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app.palette().color(role)
    return QColor(fallback)


def _pixmap(name: str, color: QColor, size: int) -> QPixmap:
    svg = resource_text("icons", f"{name}.svg").replace("currentColor", color.name())
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


def icon(name: str, color: QColor | None = None, size: int = 48) -> QIcon:
    """The SVG icon ``resources/icons/<name>.svg`` in ``color`` (default: the palette's
    text colour; checked buttons get the highlighted-text colour)."""
    normal = color or _palette_color(QPalette.ColorRole.WindowText, "black")
    result = QIcon(_pixmap(name, normal, size))
    if color is None:
        checked = _palette_color(QPalette.ColorRole.HighlightedText, "white")
        result.addPixmap(_pixmap(name, checked, size), QIcon.Mode.Normal, QIcon.State.On)
    return result
