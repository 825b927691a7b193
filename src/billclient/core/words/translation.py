"""The translation hook of the shared words (no Qt here).

The terminal client prints the words as written (English). The graphical client
installs Qt's ``QCoreApplication.translate`` with :func:`set_translator`, so the
same calls use the translation files the GUI loads. Calls are written as
``translate("context", "literal text")`` so that ``pyside6-lupdate`` finds them.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Translator", "fill", "set_translator", "translate"]

Translator = Callable[[str, str], str]
"""``(context, source text) -> translated text``."""

_translator: Translator | None = None


def set_translator(translator: Translator | None) -> None:
    """Use ``translator`` for every shared phrase (None: the text as written)."""
    global _translator
    _translator = translator


def translate(context: str, text: str) -> str:
    """``text`` of ``context`` in the current language."""
    return text if _translator is None else _translator(context, text)


def fill(template: str, *values: str) -> str:
    """Qt-style placeholders: ``fill("%1 of %2", "a", "b")`` -> ``"a of b"``."""
    for index, value in enumerate(values, start=1):
        template = template.replace(f"%{index}", value)
    return template
