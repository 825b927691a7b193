"""Keep PySide6 from reading, and keeping, the source of every module imported after it.

PySide6 (6.12) replaces ``__import__`` to support its opt-in "features"
(``from __feature__ import snake_case``). After every import it asks whether the new
module uses PySide6 by reading the module's whole source with ``inspect.getsource``,
which leaves that text in :mod:`linecache` for the life of the process. For the
client that is every module of the core and its libraries (pydantic, httpx, keyring,
babel, ...): about 400 files and 9 MB of resident memory that nothing ever reads.

The answer PySide6 records for a module that does not use Qt is "ignore this module"
(-1 in its feature table). :func:`skip_source_scan` records that answer before such a
module is imported, so PySide6 finds it already known and reads nothing. Modules that
may use Qt (this package, qasync, PySide6 itself, pytest-qt) are left to PySide6's own
scan. The client never selects a feature, so the recorded answer changes no behaviour.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

__all__ = ["QT_USERS", "skip_source_scan"]

QT_USERS = ("billclient.gui", "qasync", "PySide6", "shiboken6", "shibokensupport", "pytestqt")
"""Packages whose modules may use PySide6: PySide6 still reads these (the import-linter
contracts keep every other part of billclient free of Qt)."""

_FEATURE_MODULE = "shibokensupport.feature"
_IGNORE = -1
"""PySide6's feature value for a module that does not use it."""


def _uses_qt(name: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in QT_USERS)


class _KnownWithoutQt:
    """A meta path finder that finds nothing: it only tells PySide6's feature table,
    before a module is loaded, that the module does not use Qt.

    PySide6 also scans a module imported earlier whenever a later ``import`` names it
    again, so when the table first appears every module loaded by then is entered too.
    """

    def __init__(self) -> None:
        self._seeded = False

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        feature = sys.modules.get(_FEATURE_MODULE)
        table = getattr(feature, "pyside_feature_dict", None)
        if not isinstance(table, dict):
            return None
        if not self._seeded:
            self._seeded = True
            for loaded in list(sys.modules):
                if not _uses_qt(loaded):
                    table.setdefault(loaded, _IGNORE)
        if not _uses_qt(name):
            table.setdefault(name, _IGNORE)
        return None


def skip_source_scan() -> bool:
    """Install the finder (once; it does nothing until PySide6 is imported, and nothing
    when a PySide6 version has no such table). True when it was installed now."""
    if any(isinstance(finder, _KnownWithoutQt) for finder in sys.meta_path):
        return False
    sys.meta_path.insert(0, _KnownWithoutQt())
    return True
