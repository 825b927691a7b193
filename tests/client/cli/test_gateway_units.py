"""``billclient use`` through the metering gateway with ``--units N``: exactly N events,
N bytes or N seconds, or one clear line; a use that never started is explained in the
history; the gateway's address given as the server is named as such."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.catalogs import PASSWORD
from tests.support.gateway_site import FILES, GatewaySite

from .helpers import Cli

DATA = FILES["data.bin"]


@pytest.fixture
def run(gateway_site: GatewaySite, cli: Cli) -> Any:
    """``billclient`` under a home of its own, the gateway site running."""
    return cli.run


def _login(run: Any, site: GatewaySite, user: str) -> None:
    login = run(
        "login", "--server", site.server.url, "--user", user, "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert login.returncode == 0, login.stderr


def _final(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    final: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    assert final["final"] is True
    return final


def test_units_are_consumed_through_the_gateway_exactly(
    run: Any, gateway_site: GatewaySite, tmp_path: Path
) -> None:
    _login(run, gateway_site, "units")
    sms = run("use", "sms", "--units", "3", "--yes", "--json")
    assert sms.returncode == 0, sms.stderr
    assert _final(sms)["used_units"] == 3 and _final(sms)["cause"] == "service_done"
    assert sms.stderr.count("sent: billclient message ") == 3  # the gateway echoed each

    stream = run("use", "tv", "--units", "2", "--yes", "--json")
    assert stream.returncode == 0, stream.stderr
    assert (_final(stream)["used_units"], _final(stream)["cause"]) == (2, "service_done")

    no_file = run("use", "gdl", "--units", "1000", "--yes")
    assert no_file.returncode == 2 and no_file.stderr.count("\n") == 1, no_file.stderr
    assert "name the gateway's file (--file NAME)" in no_file.stderr
    both = run("use", "sms", "--units", "2", "--message", "hi", "--yes")
    assert both.returncode == 2 and "not both" in both.stderr

    target = tmp_path / "data.bin"
    part = run(
        "use", "gdl", "--file", "data.bin", "--units", "1000", "--output", str(target),
        "--yes", "--json",
    )  # fmt: skip
    assert part.returncode == 0, part.stderr
    assert _final(part)["used_units"] == 1000
    partial = tmp_path / "data.bin.part"
    assert partial.read_bytes() == DATA[:1000] and not target.exists()
    assert f"saved 1 kB in {partial} (a later download resumes it)" in part.stderr
    rest = run("use", "gdl", "--file", "data.bin", "--output", str(target), "--yes", "--json")
    assert rest.returncode == 0, rest.stderr
    assert _final(rest)["used_units"] == len(DATA) - 1000  # resumed: no byte twice
    assert target.read_bytes() == DATA

    records = [json.loads(line) for line in run("history", "--json").stdout.splitlines()]
    assert [r["used_units"] for r in records] == [len(DATA) - 1000, 1000, 2, 3]


def test_a_use_that_never_started_is_one_line_and_explained(
    run: Any, gateway_site: GatewaySite
) -> None:
    _login(run, gateway_site, "gwmiss")
    missing = run("use", "gdl", "--file", "nosuch.bin", "--yes")
    assert missing.returncode == 2, missing.stderr
    assert missing.stderr == "billclient: the gateway refused: no file 'nosuch.bin'\n"
    assert "Nothing was used" not in missing.stdout and "charged 0.00 EUR" in missing.stdout
    (record,) = [json.loads(line) for line in run("history", "--json").stdout.splitlines()]
    assert (record["used_units"], record["charged"], record["cause"]) == (0, "0", "gateway_closed")
    table = run("history")
    assert "nothing" in table.stdout and "gateway closed it" in table.stdout
    shown = run("history", "show", record["cdr_id"])
    assert "Nothing was used, so nothing was charged. The metering gateway closed or " in (
        shown.stdout
    )


def test_the_gateway_given_as_the_server_is_named(run: Any, gateway_site: GatewaySite) -> None:
    wrong = run(
        "login", "--server", gateway_site.gateway.url, "--user", "gwdl", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert wrong.returncode == 2, wrong.stderr
    assert wrong.stderr.count("\n") == 1
    assert "is a metering gateway, not a billing server" in wrong.stderr
