"""Reading one catalogue row: keys checked against their specs, problems named by
table, row and key (helpers of :mod:`billserver.catalog.parse`)."""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from billclient.protocol.money import format_money

from .keys import Invalid, Key, show

__all__ = [
    "Report",
    "account_extras",
    "key_name",
    "label",
    "money_text",
    "prefix",
    "read_row",
    "syntax_message",
]

Report = Callable[[str], None]
"""Where a reader reports one problem (a line of the CatalogError)."""


_POSITION = re.compile(r"^(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")


_AT_END = " (at end of document)"


def syntax_message(source: str, text: str, error: tomllib.TOMLDecodeError) -> str:
    detail = str(error)
    match = _POSITION.match(detail)
    if match is not None:
        where = f"line {match['line']}, column {match['column']}"
        detail = match["message"]
    else:
        where = f"line {max(1, len(text.splitlines()))}"
        if detail.endswith(_AT_END):
            where += " (end of file)"
            detail = detail.removesuffix(_AT_END)
    return f"{source}, {where}: TOML syntax error: {detail}"


def key_name(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else show(key)


def label(path: str, index: int, row: Any, label_key: str, spec: Mapping[str, Key]) -> str:
    """``services[2] (id "voice")``, or ``services[2]`` when the row has no usable id."""
    base = f"{path}[{index}]"
    if not isinstance(row, dict) or label_key not in row:
        return base
    try:
        spec[label_key].check(row[label_key])
    except Invalid:
        return base
    return f"{base} ({label_key} {show(row[label_key])})"


def prefix(where: str, key: str) -> str:
    return f"{where}: {key}" if where else key


def read_row(
    row: Any, where: str, spec: Mapping[str, Key], report: Report
) -> tuple[dict[str, Any], bool]:
    """Check one row against its key table: (values of the good keys, row is fine).

    Absent keys take their defaults; a key whose value is wrong is left out.
    """
    if not isinstance(row, dict):
        report(f"{where}: must be a table, got {show(row)}")
        return {}, False
    values: dict[str, Any] = {}
    ok = True
    for key, raw in row.items():
        rule = spec.get(key)
        if rule is None:
            report(f"{prefix(where, key_name(key))}: unknown key")
            ok = False
            continue
        try:
            values[key] = rule.check(raw)
        except Invalid as problem:
            report(f"{prefix(where, key + problem.suffix)}: {problem.message}")
            ok = False
    for key, rule in spec.items():
        if key in row:
            continue
        if rule.required:
            report(f"{prefix(where, key)}: is required")
            ok = False
        elif rule.default_from is not None:
            # A KeyError: it depends on a key that is itself wrong (already reported).
            with contextlib.suppress(KeyError):
                values[key] = rule.default_from(values)
        else:
            values[key] = rule.default
    return values, ok


def money_text(row: Mapping[str, Any], key: str, value: int) -> str:
    raw = row.get(key)
    return show(raw) if isinstance(raw, str) else show(format_money(value))


_AUTO_TOPUP = ("auto_topup_threshold", "auto_topup_amount", "auto_topup_card")


def account_extras(values: Mapping[str, Any], where: str, report: Report) -> bool:
    """Keys beyond CATALOG.md: a shared balance needs a parent; auto top-up needs all three
    of its keys or none."""
    ok = True
    if values.get("shared_balance") and values.get("parent") is None:
        report(f"{where}: shared_balance: needs a parent account to share the balance of")
        ok = False
    given = [key for key in _AUTO_TOPUP if values.get(key) is not None]
    if given and len(given) != len(_AUTO_TOPUP):
        missing = next(key for key in _AUTO_TOPUP if values.get(key) is None)
        report(f"{where}: {missing}: is required with {given[0]} (auto top-up needs all three)")
        ok = False
    return ok
