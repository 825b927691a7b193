"""The GUI tests share one deployment per xdist worker (the package's ``deployment``
fixture), and xdist hands whole test files to its workers in no fixed order: an account
used by two files would let one file's spending change what the other sees, depending
on which of them a worker ran first. Each account of that deployment belongs to one file."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import ACCOUNTS

HERE = Path(__file__).parent


def _files_using(login: str) -> list[str]:
    quoted = re.compile(rf"""["']{re.escape(login)}["']""")
    return sorted(
        path.name
        for path in HERE.glob("test_*.py")
        if path.name != Path(__file__).name and quoted.search(path.read_text(encoding="utf-8"))
    )


def test_each_account_of_the_shared_deployment_belongs_to_one_file() -> None:
    shared = {
        login: files
        for login in (str(row["id"]) for row in ACCOUNTS)
        if len(files := _files_using(login)) > 1
    }
    assert not shared, f"accounts used by more than one test file: {shared}"


def test_the_check_finds_the_accounts_in_use() -> None:
    # the files name their accounts as string literals: the check above would pass
    # vacuously if it could not find them
    assert _files_using("adj") == ["test_live.py"]
    assert _files_using("ivy") == ["test_insight.py"]
