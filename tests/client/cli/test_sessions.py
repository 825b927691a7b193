"""Sessions that survive failures: a killed primary, stopped servers, a killed client.

The scenarios run in background threads (``scenarios.py``); each test checks the
outcome of its own.
"""

from __future__ import annotations

import json

from .scenarios import Scenarios


def _call_charge(seconds: int) -> str:
    """The catalogue's price of a call: 0.05 setup + 0.01 per second."""
    micro = 50_000 + 10_000 * seconds
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}".rstrip("0").rstrip(".")


def _left(seconds: int) -> str:
    """The balance of a 10.00 account after a call of ``seconds``."""
    micro = 10_000_000 - 50_000 - 10_000 * seconds
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}".rstrip("0").rstrip(".")


def test_primary_killed_mid_session_continues_on_the_secondary(
    scenarios: Scenarios,
) -> None:
    outcome = scenarios["failover"]
    assert outcome.extra["status"] == 0, outcome.log.read_text()
    secondary = outcome.extra["secondary"]
    assert f"switched to {secondary}" in outcome.log.read_text()
    *updates, final = outcome.lines()
    assert final["used_units"] == 20 and final["cause"] == "service_done"
    assert final["charged"] == _call_charge(20)
    assert updates[-1]["server"] == secondary
    (cdr,) = outcome.cdrs(final["session_id"])
    assert cdr["used_units"] == 20 and cdr["charged"] == _call_charge(20)
    assert set(cdr["servers"]) == {"primary", "secondary"}
    assert outcome.balance() == _left(20)  # charged once
    outcome.factory.verify()


def test_client_killed_mid_session_is_settled_at_the_next_start(
    scenarios: Scenarios,
) -> None:
    outcome = scenarios["crash"]
    last = outcome.extra["last_journaled"]
    assert last >= 3
    status = outcome.extra["status"]
    assert status.returncode == 0, status.stderr
    (recovered,) = json.loads(status.stdout)["recovered"]
    assert recovered["state"] == "ended" and recovered["used_units"] == last
    assert recovered["charged"] == _call_charge(last)
    cdr = outcome.current_cdr(recovered["session_id"])
    # ended by the client at its next start, or reaped before it came back (the
    # journaled usage then arrives as late usage): either way, what was journaled
    assert cdr["used_units"] == last and cdr["cause"] in ("client_error", "update_timeout")
    assert cdr["charged"] == _call_charge(last)
    again = json.loads(outcome.cli.run("status", "--json").stdout)
    assert again["recovered"] == []  # settled once
    assert again["account"]["balance"] == _left(last)  # charged once
    outcome.factory.verify()


def test_servers_stopped_briefly_the_service_runs_on_and_the_journal_replays(
    scenarios: Scenarios,
) -> None:
    outcome = scenarios["short_stop"]
    assert outcome.extra["status"] == 0, outcome.log.read_text()
    final = outcome.lines()[-1]
    assert final["used_units"] == 12 and final["cause"] == "service_done"
    assert final["charged"] == _call_charge(12)
    ((last_seq, stored),) = outcome.factory.sql(
        "SELECT last_seq, last_report FROM sessions WHERE session_id = :s",
        s=final["session_id"],
    )
    # each seq accepted in turn (the server refuses a gap), the end call last
    report = json.loads(stored) if isinstance(stored, str) else stored
    assert (report["seq"], report["kind"], report["cause"]) == (last_seq, "end", "service_done")
    assert report["used_units"] == 12 and report["answer"]["charged"] == final["charged"]
    (cdr,) = outcome.cdrs(final["session_id"])
    assert cdr["used_units"] == 12 and cdr["charged"] == _call_charge(12)
    assert outcome.balance() == _left(12)
    outcome.factory.verify()


def test_servers_stopped_past_the_update_timeout_late_usage_is_charged_once(
    scenarios: Scenarios,
) -> None:
    outcome = scenarios["long_stop"]
    text = outcome.log.read_text()
    assert outcome.extra["status"] == 6, text  # stopped before the 12 s asked for
    assert "no billing server answers; continuing within" in text
    final = outcome.lines()[-1]
    used = final["used_units"]
    assert final["cause"] == "update_timeout", text
    assert final["charged"] == _call_charge(used)
    assert len(outcome.cdrs(final["session_id"])) >= 2  # the first, and its correction
    current = outcome.current_cdr(final["session_id"])
    assert current["used_units"] == used and current["charged"] == _call_charge(used)
    assert outcome.balance() == _left(used)  # nothing twice
    outcome.factory.verify()
