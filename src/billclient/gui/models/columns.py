"""Table columns as data: how one item shows, sorts and exports (pure, no widgets)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt

__all__ = ["Column", "csv_text"]


@dataclass(frozen=True)
class Column:
    """One column: ``title`` (translated), ``text(item)`` for people, ``key(item)`` to sort
    by, ``raw(item)`` for CSV (machine-readable: ISO times, decimal money), alignment."""

    title: str
    text: Callable[[Any], str]
    key: Callable[[Any], Any]
    raw: Callable[[Any], str]
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft

    @classmethod
    def plain(
        cls, title: str, value: Callable[[Any], Any], align: Qt.AlignmentFlag | None = None
    ) -> Column:
        """A column whose text, sort key and CSV value are all ``value(item)``."""
        return cls(
            title,
            lambda item: _str(value(item)),
            lambda item: _sortable(value(item)),
            lambda item: _str(value(item)),
            align or Qt.AlignmentFlag.AlignLeft,
        )


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _sortable(value: Any) -> Any:
    return "" if value is None else value


def csv_text(columns: Sequence[Column], items: Iterable[Any]) -> str:
    """A CSV document (header row, then one row per item) of the columns' raw values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.title for column in columns])
    for item in items:
        writer.writerow([column.raw(item) for column in columns])
    return buffer.getvalue()
