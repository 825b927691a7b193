"""``billserver rate``: offline rating of a usage CSV against a catalogue file."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from billclient.protocol.money import format_decimal
from billclient.rating import charge
from billserver.catalog import Catalog, load_catalog
from billserver.commands.rate import parse_instant, parse_units, rate_usage

CATALOG_TOML = """\
currency = "EUR"

[[services]]
id = "voice"
name = "Voice call"
unit = "second"
media = "voice"

[[services]]
id = "download"
name = "Download"
unit = "byte"
media = "download"

[[services]]
id = "sms"
name = "Text message"
unit = "event"
media = "im"

[[plans]]
id = "standard"
name = "Standard"
timezone = "Europe/Berlin"

  [[plans.rates]]
  service = "voice"
  price = "0.0200"
  per = 60
  first_increment = 60
  setup_fee = "0.05"

    [[plans.rates.windows]]
    days = ["mon", "tue", "wed", "thu", "fri"]
    start = "08:00"
    end = "18:00"
    price = "0.0400"

  [[plans.rates]]
  service = "download"
  price = "0.01"
  per = 1000000

[[plans]]
id = "basic"
name = "Basic"

  [[plans.rates]]
  service = "sms"
  price = "0.09"
  min_charge = "0.10"
"""

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG_TOML, encoding="utf-8")
    return path


@pytest.fixture
def catalog(catalog_file: Path) -> Catalog:
    return load_catalog(catalog_file)


def run(catalog: Catalog, text: str) -> tuple[int, list[list[str]]]:
    output = io.StringIO()
    status = rate_usage(catalog, io.StringIO(text), output)
    return status, list(csv.reader(io.StringIO(output.getvalue())))


def test_good_rows_are_rated_in_order(catalog: Catalog) -> None:
    status, rows = run(
        catalog,
        "id,plan,service,start,units\n"
        "a,standard,voice,2026-03-02T06:00:00Z,61\n"  # Monday 07:00 CET, off-peak
        "b,standard,voice,2026-03-27T17:59:30+01:00,60\n"  # 30 s peak + 30 s off-peak
        "c,standard,download,2026-03-02T12:00:00.123456789Z,2500000\n"
        "d,basic,sms,2026-03-02T12:00:00-05:00,1\n"
        "e,basic,sms,2026-03-02T12:00:00Z,0\n",
    )
    assert status == 0
    assert rows == [
        ["id", "charge", "error"],
        ["a", "0.070333", ""],
        ["b", "0.08", ""],
        ["c", "0.025", ""],
        ["d", "0.1", ""],
        ["e", "0", ""],
    ]


def test_offline_rating_equals_the_engine(catalog: Catalog) -> None:
    plan = catalog.plan("standard")
    assert plan is not None
    start = datetime(2026, 3, 29, 0, 30, 0, 250_000, tzinfo=UTC)  # across spring forward
    status, rows = run(
        catalog, f"id,plan,service,start,units\nx,standard,voice,{start.isoformat()},40000\n"
    )
    assert status == 0
    expected = charge(plan.rates["voice"], start, 40_000)
    assert rows[1] == ["x", format_decimal(expected, 6), ""]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("r,gold,voice,2026-03-02T12:00:00Z,1", "unknown plan"),
        ("r,basic,voice,2026-03-02T12:00:00Z,1", "not in plan"),
        ("r,basic,fax,2026-03-02T12:00:00Z,1", "unknown service"),
        ("r,standard,voice,2026-03-02T12:00:00,1", "bad timestamp"),
        ("r,standard,voice,2026-03-02 12:00:00Z,1", "bad timestamp"),
        ("r,standard,voice,2026-02-30T12:00:00Z,1", "bad timestamp"),
        ("r,standard,voice,2026-03-02T12:00:00+24:00,1", "bad timestamp"),
        ("r,standard,voice,yesterday,1", "bad timestamp"),
        ("r,standard,voice,2026-03-02T12:00:00Z,-1", "bad units"),
        ("r,standard,voice,2026-03-02T12:00:00Z,1.5", "bad units"),
        ("r,standard,voice,2026-03-02T12:00:00Z,1e3", "bad units"),
        ("r,standard,voice,2026-03-02T12:00:00Z,", "bad units"),
        ("r,standard,voice,2026-03-02T12:00:00Z, 5", "bad units"),
        ("r,standard,voice,2026-03-02T12:00:00Z,99999999999999999999999", "bad units"),
        ("r,standard,voice,2026-03-02T12:00:00Z", "expected 5 columns, got 4"),
        ("r,standard,voice,2026-03-02T12:00:00Z,1,extra", "expected 5 columns, got 6"),
    ],
)
def test_bad_rows_get_a_reason(catalog: Catalog, row: str, reason: str) -> None:
    status, rows = run(
        catalog,
        f"id,plan,service,start,units\nok1,basic,sms,2026-03-02T12:00:00Z,2\n{row}\n"
        "ok2,basic,sms,2026-03-02T12:00:00Z,3\n",
    )
    assert status == 1
    assert [r[0] for r in rows] == ["id", "ok1", "r", "ok2"]
    assert rows[1] == ["ok1", "0.18", ""]
    assert rows[3] == ["ok2", "0.27", ""]
    assert rows[2][1] == ""
    assert reason in rows[2][2]
    assert "\n" not in rows[2][2]


def test_quoted_fields_and_blank_lines(catalog: Catalog) -> None:
    status, rows = run(
        catalog,
        'id,plan,service,start,units\n"x,1",basic,sms,2026-03-02T12:00:00Z,1\n\n'
        '"multi\nline",gold,sms,2026-03-02T12:00:00Z,1\n',
    )
    assert status == 1
    assert rows[1] == ["x,1", "0.1", ""]
    assert rows[2][0] == "multi\nline"
    assert "unknown plan 'gold'" in rows[2][2]


@pytest.mark.parametrize(
    "text",
    ["", "plan,id,service,start,units\n", "a,standard,voice,2026-03-02T12:00:00Z,1\n", "id,plan\n"],
)
def test_missing_or_wrong_header_is_refused(catalog: Catalog, text: str) -> None:
    output = io.StringIO()
    with pytest.raises(ValueError, match="header") as caught:
        rate_usage(catalog, io.StringIO(text), output)
    assert "\n" not in str(caught.value)
    assert output.getvalue() == ""


def test_header_with_byte_order_mark_and_only_a_header(catalog: Catalog) -> None:
    status, rows = run(catalog, "\ufeffid,plan,service,start,units\r\n")
    assert status == 0
    assert rows == [["id", "charge", "error"]]


def test_streams_row_by_row(catalog: Catalog) -> None:
    """Each output row is written before the next input row is read."""
    written = io.StringIO()

    class Usage(io.StringIO):
        def __init__(self) -> None:
            super().__init__(
                "id,plan,service,start,units\n" + "r,basic,sms,2026-03-02T12:00:00Z,1\n" * 3
            )
            self.lines_read = 0

        def __next__(self) -> str:  # type: ignore[override]
            # before reading line i, i output lines exist: the header, then one per row
            assert written.getvalue().count("\n") == self.lines_read
            self.lines_read += 1
            return super().__next__()

    usage = Usage()
    assert rate_usage(catalog, usage, written) == 0
    assert usage.lines_read == 5  # four lines, then the end
    assert written.getvalue().count("\n") == 4


def test_parse_instant() -> None:
    assert parse_instant("2026-03-02T12:00:00Z") == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert parse_instant("2026-03-02t13:00:00.5+01:00") == datetime(
        2026, 3, 2, 12, 0, 0, 500_000, tzinfo=UTC
    )
    assert parse_instant("2026-03-02T12:00:00.9999999z").microsecond == 999_999
    for bad in ("2026-03-02T12:00Z", "2026-03-02T12:00:00+0100", "2026-03-02", "20260302T120000Z"):
        with pytest.raises(ValueError, match="bad timestamp"):
            parse_instant(bad)


def test_parse_units() -> None:
    assert parse_units("0") == 0
    assert parse_units("007") == 7
    assert parse_units(str(2**62)) == 2**62
    for bad in ("+1", "-0", "١٢", str(2**62 + 1), "0x10", "1_000"):
        with pytest.raises(ValueError, match="bad units"):
            parse_units(bad)


def test_billserver_rate_command(tmp_path: Path, catalog_file: Path) -> None:
    usage = tmp_path / "usage.csv"
    usage.write_text(
        "id,plan,service,start,units\n"
        "a,standard,voice,2026-03-02T06:00:00Z,61\n"
        "b,gold,voice,2026-03-02T06:00:00Z,61\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "billserver",
            "rate",
            "--catalog",
            str(catalog_file),
            "--usage",
            str(usage),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["id", "charge", "error"]
    assert rows[1] == ["a", "0.070333", ""]
    assert rows[2][0] == "b"
    assert "unknown plan" in rows[2][2]

    usage.write_text("nope\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "billserver",
            "rate",
            "--catalog",
            str(catalog_file),
            "--usage",
            str(usage),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "header" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
