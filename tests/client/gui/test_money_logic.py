"""Pure parts of funding and history: idempotency keys per intended top-up, CSV text,
and the explanation of a charge record (hypothesis)."""

from __future__ import annotations

import csv
import io
import itertools
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import PySide6
from hypothesis import given, settings
from hypothesis import strategies as st

import billclient.gui
from billclient.core.words.rating import explain_cdr, rate_of
from billclient.gui.models.columns import Column, csv_text
from billclient.gui.topup_intent import TopUpIntent, card_amount_error
from billclient.protocol import Cdr, Service
from billclient.rating import billed_units, charge

VIEWS = ("adjust", "cdr_detail", "funding", "history", "settings", "support", "support_account")
CONTEXTS = (
    "records", "support", "RecordTable", "AdjustDialog", "CdrDetailDialog", "TopUpDialog",
    "HistoryView", "SettingsView", "SupportView", "AccountPanel",
)  # fmt: skip

requests = st.one_of(
    st.tuples(st.just("voucher"), st.sampled_from(["A", "B"]), st.just(0)),
    st.tuples(st.just("card"), st.sampled_from(["tok_visa", "tok_timeout"]), st.integers(1, 3)),
)
# each step: send a request (kept unsettled: a retry), or an outcome settles it
steps = st.lists(st.one_of(requests, st.just("settled")), max_size=30)


@given(steps)
def test_one_key_per_intended_topup(script: list[object]) -> None:
    counter = itertools.count()
    intent = TopUpIntent(new_key=lambda: f"k{next(counter)}")
    previous: tuple[object, str] | None = None
    for step in script:
        if step == "settled":
            intent.settled()
            previous = None
            continue
        assert isinstance(step, tuple)
        key = intent.key_for(step)
        if previous is not None and previous[0] == step:
            assert key == previous[1]  # a retry or double click: the same key
        else:
            assert previous is None or key != previous[1]  # a new top-up: a new key
            assert intent.keys_issued.count(key) == 1
        previous = (step, key)


def test_card_amounts() -> None:
    assert card_amount_error(None) == "missing"
    assert card_amount_error(990_000) == "range"
    assert card_amount_error(999_999) == "cents"
    assert card_amount_error(1_000_000) is None
    assert card_amount_error(12_345_000) == "cents"
    assert card_amount_error(1000_000_000) is None
    assert card_amount_error(1000_010_000) == "range"


def test_csv_text_quotes_and_orders() -> None:
    columns = [Column.plain("Name", lambda r: r[0]), Column.plain("Amount", lambda r: r[1])]
    text = csv_text(columns, [('Say "hi", ok', "-0.5"), ("plain", None)])
    assert list(csv.reader(io.StringIO(text))) == [
        ["Name", "Amount"],
        ['Say "hi", ok', "-0.5"],
        ["plain", ""],
    ]


def _service(**rate: object) -> Service:
    base = {
        "timezone": "Europe/Berlin",
        "price": "0.09",
        "per": 60,
        "increment": 1,
        "first_increment": 60,
        "setup_fee": "0.05",
        "min_charge": "0",
        "windows": [
            {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "08:00",
                "end": "18:00",
                "price": "0.15",
            }
        ],
    }
    base.update(rate)
    return Service.model_validate(
        {
            "service_id": "voice",
            "name": "Voice",
            "unit": "second",
            "media": "voice",
            "update_interval": 10,
            "grant": 60,
            "rate": base,
        }
    )


def _cdr(start: datetime, used: int, unbilled: int, charged: int) -> Cdr:
    return Cdr(
        cdr_id="c1",
        session_id="s1",
        account_id="a",
        service_id="voice",
        plan_id="std",
        plan_version=1,
        started_at=start,
        ended_at=start + timedelta(seconds=used),
        used_units=used,
        unbilled_units=unbilled,
        billed_units=0,
        charged=charged,
        cause="user",
        servers=["primary"],
        supersedes=None,
    )


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
    used=st.integers(0, 3 * 86400),
    unbilled=st.integers(0, 100),
    min_charge=st.sampled_from(["0", "0.10", "5"]),
)
def test_explanation_adds_up(start: datetime, used: int, unbilled: int, min_charge: str) -> None:
    service = _service(min_charge=min_charge)
    rate = rate_of(service)
    rated = max(used - unbilled, 0)
    expected = charge(rate, start, rated)
    explanation = explain_cdr(_cdr(start, used, unbilled, expected), service)
    assert explanation.matches and explanation.charge == expected
    assert explanation.billed_units == billed_units(rate, rated)
    assert sum(line.count for line in explanation.segments) == explanation.billed_units
    # consecutive segments: adjacent ranges, and a change of price or window between them
    for left, right in itertools.pairwise(explanation.segments):
        assert left.first_unit + left.count == right.first_unit
        assert (left.price, left.window) != (right.price, right.window)
    subtotal = explanation.setup_fee + explanation.usage * 1_000_000 if rated else 0
    if explanation.minimum_applied:
        assert explanation.min_charge > subtotal and expected == explanation.min_charge
    elif rated:
        assert abs(expected - subtotal) <= 1  # rounded once, half up


def test_explanation_says_when_the_plan_changed() -> None:
    start = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # a Saturday: base price
    explanation = explain_cdr(_cdr(start, 90, 0, 1), _service())
    assert not explanation.matches
    assert explanation.billed_units == 90
    assert [line.window for line in explanation.segments] == [None]


def test_strings_of_these_views_are_extractable(tmp_path: Path) -> None:
    root = Path(billclient.gui.__file__).parent
    sources = [
        *sorted(str(path) for path in (root / "models").glob("*.py")),
        *(str(root / "views" / f"{name}.py") for name in VIEWS),
        str(root / "widgets" / "record_table.py"),
    ]
    catalogue = tmp_path / "money.ts"
    lupdate = Path(PySide6.__file__).parent / "lupdate"
    result = subprocess.run(
        [str(lupdate), *sources, "-ts", str(catalogue)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    messages = {
        context.findtext("name"): {m.findtext("source") for m in context.iter("message")}
        for context in ET.parse(catalogue).getroot().iter("context")
    }
    for name in CONTEXTS:
        assert messages.get(name), f"no strings extracted for {name}"
    assert "Balance ran out" in messages["records"]
    assert "Suspended" in messages["support"]
    assert "Test card that is declined" in messages["TopUpDialog"]
    assert "Last seen" in messages["SettingsView"]
    assert "%n account(s)" in messages["SupportView"]
