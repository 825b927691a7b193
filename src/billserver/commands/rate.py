"""``billserver rate``: rate a CSV file of usage records offline (CATALOG.md).

Input columns (header row required): ``id,plan,service,start,units``. Output
columns: ``id,charge,error``, one row per input row, in input order, written as
each row is read, so memory stays flat however long the file is. A row that cannot
be rated gets an empty charge and a one-line reason; the rest go on.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, TextIO

from billclient.protocol.money import format_decimal
from billclient.rating import charge

from .common import load
from .failures import Failure

if TYPE_CHECKING:
    from billserver.catalog import Catalog

__all__ = [
    "INPUT_HEADER",
    "MAX_UNITS",
    "OUTPUT_HEADER",
    "parse_instant",
    "parse_units",
    "rate_usage",
]

INPUT_HEADER = ("id", "plan", "service", "start", "units")
OUTPUT_HEADER = ("id", "charge", "error")
MAX_UNITS = 2**62
"""The largest unit count accepted (as in the wire protocol)."""

_INSTANT = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))$"
)
_UNITS = re.compile(r"^[0-9]+$")


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 timestamp with ``Z`` or a numeric offset into an aware datetime.

    Fractions of any length are allowed; digits beyond microseconds are dropped,
    which never changes a charge (every price boundary falls on a whole second).
    ValueError for anything else, including a timestamp without an offset.
    """
    match = _INSTANT.match(text)
    if match is None:
        raise ValueError(
            f"bad timestamp {text!r}: expected RFC 3339 with Z or an offset, "
            "such as 2026-03-01T08:00:00Z or 2026-03-01T09:00:00+01:00"
        )
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
    if match.group(8):
        tz = UTC
    else:
        hours, minutes = int(match.group(10)), int(match.group(11))
        if hours > 23 or minutes > 59:
            raise ValueError(f"bad timestamp {text!r}: offset out of range")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if match.group(9) == "-" else offset)
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError as exc:
        raise ValueError(f"bad timestamp {text!r}: {exc}") from None


def parse_units(text: str) -> int:
    """Parse a plain non-negative decimal integer (at most :data:`MAX_UNITS`)."""
    if not _UNITS.match(text):
        raise ValueError(f"bad units {text!r}: must be a plain non-negative integer")
    if len(text.lstrip("0")) > 19 or int(text) > MAX_UNITS:
        raise ValueError(f"bad units {text!r}: more than {MAX_UNITS}")
    return int(text)


def _rate_row(catalog: Catalog, row: list[str]) -> int:
    """The charge of one record in micro-units; ValueError with a one-line reason."""
    if len(row) != len(INPUT_HEADER):
        raise ValueError(f"expected {len(INPUT_HEADER)} columns, got {len(row)}")
    _, plan_id, service_id, start_text, units_text = row
    plan = catalog.plan(plan_id)
    if plan is None:
        raise ValueError(f"unknown plan {plan_id!r}")
    rate = plan.rates.get(service_id)
    if rate is None:
        if catalog.service(service_id) is None:
            raise ValueError(f"unknown service {service_id!r}")
        raise ValueError(f"service {service_id!r} is not in plan {plan_id!r}")
    return charge(rate, parse_instant(start_text), parse_units(units_text))


def _check_header(header: list[str] | None) -> None:
    if header is None:
        raise ValueError(f"usage file is empty: expected the header {','.join(INPUT_HEADER)}")
    cleaned = [name.strip() for name in header]
    if cleaned:
        cleaned[0] = cleaned[0].removeprefix("\ufeff")  # a byte-order mark from a spreadsheet
    if tuple(cleaned) != INPUT_HEADER:
        raise ValueError(
            f"usage file header must be {','.join(INPUT_HEADER)}, got {','.join(header)!r}"
        )


def rate_usage(catalog: Catalog, usage: TextIO, output: TextIO) -> int:
    """Rate every record of the CSV ``usage`` against ``catalog`` into CSV ``output``.

    Streams: each output row is written as its input row is read. Blank lines are
    skipped. Returns the exit status: 1 if any row failed, else 0. Raises
    ValueError when the header row is missing or wrong (before writing anything)
    or the file is not CSV at all (a NUL byte, an over-long field); the command
    line reports it as a one-line error on stderr and exits with status 1.
    """
    reader = csv.reader(usage)
    _check_header(next(reader, None))
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(OUTPUT_HEADER)
    status = 0
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise ValueError(f"usage file line {reader.line_num}: {exc}") from None
        if row is None:
            break
        if not row:
            continue
        record_id = row[0]
        try:
            amount = _rate_row(catalog, row)
        except ValueError as exc:
            status = 1
            reason = " ".join(str(exc).split())  # always one line
            writer.writerow((record_id, "", reason))
        else:
            writer.writerow((record_id, format_decimal(amount, 6), ""))
    return status


def cmd_rate(args: argparse.Namespace) -> int:
    from .rate import rate_usage

    catalog = load(args.catalog)
    try:
        with open(args.usage, encoding="utf-8", newline="") as usage:
            if args.output is None:
                return rate_usage(catalog, usage, sys.stdout)
            with open(args.output, "w", encoding="utf-8", newline="") as output:
                return rate_usage(catalog, usage, output)
    except OSError as error:
        raise Failure(f"{error.filename}: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise Failure(f"{args.usage}: {error}") from None
