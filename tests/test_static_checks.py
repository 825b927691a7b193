"""The repository's own checks run as part of the test suite: lint, types, layering."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECKS = {
    "ruff lint": [sys.executable, "-m", "ruff", "check", "src", "tests", "benchmarks"],
    "ruff format": [
        sys.executable,
        "-m",
        "ruff",
        "format",
        "--check",
        "src",
        "tests",
        "benchmarks",
    ],
    "mypy --strict": [sys.executable, "-m", "mypy", "--strict"],
    "import layering": ["lint-imports"],
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_repository_check(name: str) -> None:
    command = CHECKS[name]
    if command[0] == "lint-imports":
        found = shutil.which("lint-imports")
        assert found, "lint-imports is not installed: pip install -e '.[test]'"
        command = [found, *command[1:]]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
