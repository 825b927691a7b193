"""How commands print: rich on a terminal, plain text in a pipe, JSON with ``--json``."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from billclient.core.words.formats import minor_units
from billclient.protocol.money import format_money

__all__ = ["Output", "exact_money", "money", "to_json", "when"]


def money(micro: int, currency: str | None = None) -> str:
    """Money for people: in the currency's minor units (``14.79 EUR`` for 14.7935),
    rounded half up as the GUI does, and the currency. JSON output keeps the exact figure."""
    text = str(minor_units(micro, currency))
    return f"{text} {currency}" if currency else text


def exact_money(micro: int, currency: str | None = None) -> str:
    """Money to the micro-unit (at least two places): a running session's live meter."""
    text = format_money(micro)
    whole, _, frac = text.partition(".")
    text = f"{whole}.{frac.ljust(2, '0')}"
    return f"{text} {currency}" if currency else text


def when(moment: datetime) -> str:
    """A time for people: local, to the second (``2026-11-20 14:05:09``)."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def to_json(value: Any) -> Any:
    """A JSON-ready copy of ``value`` (models as their wire form: money as strings)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


class Output:
    """One command's output channel."""

    def __init__(
        self, *, as_json: bool, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.as_json = as_json
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.tty = self.stdout.isatty()
        self.console = Console(file=self.stdout, highlight=False) if self.tty else None
        self._live_width = 0

    def json(self, value: Any) -> None:
        """One JSON document on one line."""
        self.stdout.write(json.dumps(to_json(value), sort_keys=True) + "\n")
        self.stdout.flush()

    def text(self, line: str, style: str | None = None) -> None:
        """A line of text (styled on a terminal)."""
        self.end_live()
        if self.console is not None:
            self.console.print(line, style=style, markup=False)
        else:
            self.stdout.write(line + "\n")
            self.stdout.flush()

    def note(self, line: str) -> None:
        """A remark for the person, on stderr (never mixed into JSON output)."""
        self.end_live()
        self.stderr.write(f"billclient: {line}\n")
        self.stderr.flush()

    def fields(self, rows: Sequence[tuple[str, str]], title: str | None = None) -> None:
        """Label/value pairs."""
        if self.console is not None:
            table = Table(show_header=False, box=None, title=title, title_justify="left")
            table.add_column(style="bold")
            table.add_column()
            for label, value in rows:
                table.add_row(label, value)
            self.console.print(table)
            return
        if title:
            self.text(title)
        width = max((len(label) for label, _ in rows), default=0)
        for label, value in rows:
            self.text(f"{label.ljust(width)}  {value}")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A table (tab-separated in a pipe)."""
        if self.console is not None:
            table = Table(*headers, header_style="bold")
            for row in rows:
                table.add_row(*row)
            self.console.print(table)
            return
        self.text("\t".join(headers))
        for row in rows:
            self.text("\t".join(row))

    def live(self, line: str) -> None:
        """A one-line meter: rewritten in place on a terminal, else printed."""
        if not self.tty:
            self.text(line)
            return
        pad = max(0, self._live_width - len(line))
        self.stdout.write("\r" + line + " " * pad)
        self.stdout.flush()
        self._live_width = len(line)

    def end_live(self) -> None:
        """Finish the live line, if one is showing."""
        if self._live_width:
            self.stdout.write("\n")
            self.stdout.flush()
            self._live_width = 0
