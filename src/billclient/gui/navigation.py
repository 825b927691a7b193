"""The main window's navigation: a sidebar on the desktop, a bottom bar on a handheld."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QBoxLayout, QButtonGroup, QSizePolicy, QToolButton, QWidget

from .resources import icon

__all__ = ["NavBar"]


class NavBar(QWidget):
    """Exclusive, checkable page buttons; :meth:`set_compact` turns the sidebar into a
    bottom bar with touch-sized buttons (text under the icon)."""

    selected = Signal(int)
    """The index of the page the person chose."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NavBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAccessibleName(self.tr("Navigation"))
        self._layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._layout.setSpacing(4)
        self._layout.addStretch(1)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._group.idClicked.connect(self.selected)
        self._group.idToggled.connect(lambda _id, _on: self._fix_tab_stop())
        self._buttons: list[QToolButton] = []
        self._icons: list[str] = []
        self._compact = False

    def add_item(self, text: str, icon_name: str, shortcut: str | None = None) -> int:
        """Append a page button; returns its index."""
        button = QToolButton(self)
        button.setText(text)
        button.setIcon(icon(icon_name))
        button.setCheckable(True)
        button.setAutoRaise(True)
        button.setAccessibleName(text)
        tip = text if shortcut is None else f"{text} ({shortcut})"
        button.setToolTip(tip)
        button.setAccessibleDescription(self.tr("Show the %1 page").replace("%1", text))
        index = len(self._buttons)
        self._group.addButton(button, index)
        self._buttons.append(button)
        self._icons.append(icon_name)
        self._layout.insertWidget(index, button)
        self._style_button(button)
        if index == 0:
            button.setChecked(True)
        return index

    def buttons(self) -> list[QToolButton]:
        """The page buttons, in order."""
        return list(self._buttons)

    def set_current(self, index: int) -> None:
        """Check the button of page ``index`` (without emitting :attr:`selected`)."""
        if 0 <= index < len(self._buttons):
            self._buttons[index].setChecked(True)
            self._fix_tab_stop()

    def _fix_tab_stop(self) -> None:
        """The navigation is one tab stop, the current page's button (arrows move within
        the group, as Qt does for exclusive groups); keep the stop on the checked one."""
        current = self._group.checkedButton()
        for button in self._buttons:
            policy = Qt.FocusPolicy.StrongFocus
            if button is not current:
                policy = Qt.FocusPolicy.ClickFocus
            button.setFocusPolicy(policy)

    def current(self) -> int:
        """The index of the checked button."""
        return self._group.checkedId()

    def set_item_visible(self, index: int, visible: bool) -> None:
        """Show or hide one page's button (pages a role may not use)."""
        self._buttons[index].setVisible(visible)

    def is_compact(self) -> bool:
        """Whether the bar is laid out as a bottom bar."""
        return self._compact

    def set_compact(self, compact: bool) -> None:
        """Bottom bar (``True``) or sidebar (``False``)."""
        self._compact = compact
        self.setProperty("compact", compact)
        direction = (
            QBoxLayout.Direction.LeftToRight if compact else QBoxLayout.Direction.TopToBottom
        )
        self._layout.setDirection(direction)
        stretch = self._layout.itemAt(self._layout.count() - 1)
        if stretch is not None and stretch.spacerItem() is not None:
            self._layout.removeItem(stretch)
        if not compact:
            self._layout.addStretch(1)
        for button in self._buttons:
            self._style_button(button)
        self.style().unpolish(self)
        self.style().polish(self)

    def changeEvent(self, event: QEvent) -> None:
        """Redraw the icons in the new text colour when the palette changes (light/dark)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for button, name in zip(self._buttons, self._icons, strict=True):
                button.setIcon(icon(name))

    def _style_button(self, button: QToolButton) -> None:
        if self._compact:
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        else:
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.style().unpolish(button)
        button.style().polish(button)
        self._fix_tab_stop()
