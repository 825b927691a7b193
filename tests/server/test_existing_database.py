"""Operator commands and missing databases: only import and serve create one.

``sqlite:///srv/billing.db`` (one slash too few) names a path under the current
directory; the reading commands refuse it in one line and create nothing.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.catalogs import account, write_catalog


def billserver(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "billserver", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    "command",
    [
        ["verify"],
        ["invoice", "run", "--period", "2026-01"],
        ["backup", "copy.db"],
    ],
)
def test_reading_commands_refuse_a_missing_database(tmp_path: Path, command: list[str]) -> None:
    result = billserver(tmp_path, *command, "--db", "sqlite:///srv/billing.db")
    assert result.returncode == 1, result.stdout
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert f"no database at {tmp_path / 'srv' / 'billing.db'}" in line
    assert "sqlite:////srv/billing.db" in line  # what was probably meant
    assert list(tmp_path.iterdir()) == []  # no folder, no file


def test_a_directory_or_an_empty_file_is_no_database(tmp_path: Path) -> None:
    (tmp_path / "folder.db").mkdir()
    result = billserver(tmp_path, "verify", "--db", f"sqlite:///{tmp_path / 'folder.db'}")
    assert result.returncode == 1 and "is a directory" in result.stderr
    empty = tmp_path / "empty.db"
    empty.touch()
    result = billserver(tmp_path, "verify", "--db", f"sqlite:///{empty}")
    assert result.returncode == 1, result.stdout
    assert result.stderr.count("\n") == 1 and "holds no billing database" in result.stderr
    assert empty.stat().st_size == 0  # not migrated behind the operator's back


def test_a_catalogue_with_errors_creates_no_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('currency = "EUR"\n[[plans]]\nid = "p"\nname = "P"\ncolour = "red"\n')
    result = billserver(tmp_path, "import", str(bad), "--db", "sqlite:///books.db")
    assert result.returncode == 1 and 'plans[0] (id "p"): colour: unknown key' in result.stderr
    assert "creating" not in result.stderr
    assert not (tmp_path / "books.db").exists()


def test_import_says_it_creates_a_database_then_the_others_read_it(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog.toml", [account("alice")])
    url = "sqlite:///data/books.db"  # relative, as typed
    made = billserver(tmp_path, "import", str(catalog), "--db", url)
    assert made.returncode == 0, made.stderr
    assert f"creating a new database at {tmp_path / 'data' / 'books.db'}" in made.stderr
    again = billserver(tmp_path, "import", str(catalog), "--db", url)
    assert again.returncode == 0 and "creating" not in again.stderr
    verified = billserver(tmp_path, "verify", "--db", url)
    assert verified.returncode == 0, verified.stderr
    folder = tmp_path / "backups"
    folder.mkdir()
    copied = billserver(tmp_path, "backup", str(folder), "--db", url)
    assert copied.returncode == 0, copied.stderr
    (copy,) = folder.iterdir()  # named billing-<UTC time>.db, whatever the source is called
    stamp = copy.name.removeprefix("billing-").removesuffix(".db")
    assert copy.name.startswith("billing-") and copy.suffix == ".db"
    assert datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    past = billserver(tmp_path, "invoice", "run", "--period", "2020-01", "--db", url)
    assert past.returncode == 0, past.stderr
    assert past.stdout.startswith("period 2020-01: ") and "not ended" not in past.stdout
    now = datetime.now(UTC).strftime("%Y-%m")
    current = billserver(tmp_path, "invoice", "run", "--period", now, "--db", url)
    assert "(the month has not ended yet; issued once it has)" in current.stdout
