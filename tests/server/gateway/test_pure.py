"""Pure pieces of the gateway: byte coverage, Range headers, tokens, the mismatch flag."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billclient.protocol.gateway import SessionStatus
from billserver.catalog import CatalogError, parse_catalog
from billserver.gateway.billing_side.access import Tolerance, mismatch
from billserver.gateway.meter import Metered, Verdict
from billserver.gateway.ranges import Coverage, RangeNotSatisfiable, parse_range
from billserver.gateway.tokens import session_of, session_token

spans = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 60)), max_size=30)


@given(spans, st.integers(0, 400))
def test_coverage_counts_each_byte_once(adds: list[tuple[int, int]], probe: int) -> None:
    cover, model = Coverage(), set[int]()
    for start, length in adds:
        fresh = cover.add(start, start + length)
        new = set(range(start, start + length))
        assert fresh == len(new - model)
        model |= new
        assert cover.total == len(model)
    ranges = cover.ranges()
    assert all(a < b for a, b in ranges)
    assert all(b1 < a2 for (_, b1), (a2, _) in itertools.pairwise(ranges))
    run = cover.run_from(probe)
    assert all(probe + i in model for i in range(run))
    assert probe + run not in model


@given(st.integers(1, 10_000), st.integers(0, 12_000), st.integers(0, 12_000))
def test_range_header_is_inside_the_file(size: int, first: int, last: int) -> None:
    for header in (f"bytes={first}-{last}", f"bytes={first}-", f"bytes=-{last}"):
        try:
            wanted = parse_range(header, size)
        except RangeNotSatisfiable:
            assert first >= size or header == "bytes=-0"
            continue
        if wanted is not None:
            start, end = wanted
            assert 0 <= start < end <= size


def test_range_header_forms() -> None:
    assert parse_range(None, 100) is None
    assert parse_range("bytes=10-", 100) == (10, 100)
    assert parse_range("bytes=10-19", 100) == (10, 20)
    assert parse_range("bytes=-30", 100) == (70, 100)
    assert parse_range("bytes=90-500", 100) == (90, 100)
    assert parse_range("bytes=0-1,5-6", 100) is None  # several ranges: the whole file
    assert parse_range("items=1-2", 100) is None
    assert parse_range("bytes=5-2", 100) is None
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=100-", 100)


@given(st.uuids().map(str))
def test_tokens_name_their_session_and_cannot_be_forged(session_id: str) -> None:
    secret = "s" * 20
    token = session_token(secret, session_id)
    assert session_of(secret, token) == session_id
    assert session_of("t" * 20, token) is None  # another deployment's secret
    assert session_of(secret, token[:-1]) is None
    other = session_id[:-1] + ("0" if session_id[-1] != "0" else "1")
    assert session_of(secret, token.replace(session_id, other)) is None  # another session


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_mismatch_only_on_ended_sessions_beyond_the_tolerance(served: int, used: int) -> None:
    tolerance = Tolerance(0.02, 2)
    assert mismatch(served, used, "active", tolerance) is None
    assert mismatch(None, used, "ended", tolerance) is None
    flagged = mismatch(served, used, "ended", tolerance)
    assert flagged == (abs(served - used) > max(2, 0.02 * max(served, used)))
    assert mismatch(served, served, "ended", tolerance) is False


def test_catalogue_bitrate_is_an_optional_count() -> None:
    head = 'currency = "EUR"\n[[services]]\nid = "tv"\nname = "TV"\nunit = "second"\n'
    catalog = parse_catalog(head + 'media = "video"\nbitrate = 800000\n')
    assert catalog.services[0].bitrate == 800_000
    assert parse_catalog(head + 'media = "voice"\n').services[0].bitrate is None
    with pytest.raises(CatalogError, match="bitrate: must be an integer >= 1"):
        parse_catalog(head + 'media = "video"\nbitrate = 0\n')


def _metered(kind: str = "stream", unit: str = "second", **status: Any) -> Metered:
    fields: dict[str, Any] = {
        "session_id": "s",
        "service_id": "tv",
        "kind": kind,
        "unit": unit,
        "bitrate": 80_000 if kind == "stream" else None,
        "state": "active",
        "started_at": "2026-01-01T00:00:00Z",
        "granted_units": 3,
        "used_units": 0,
        "final": False,
        "update_interval": 10,
        "idle_seconds": 0.0,
        "cause": None,
        "gateway_units": None,
    }
    fields.update(status)
    return Metered(
        status=SessionStatus.model_validate(fields),
        fetched=time.monotonic(),
        base=0,
        stall_after=2.0,
    )


def test_verdict_serves_pauses_and_stops() -> None:
    stream = _metered()
    assert stream.verdict() is Verdict.SERVE
    stream.stream_bytes = 20_001  # into the third second: it counts, and may be finished
    assert stream.served == 3 and stream.verdict() is Verdict.SERVE
    stream.stream_bytes = 30_000  # the grant's last byte
    assert stream.verdict() is Verdict.PAUSE  # waits for the next grant
    assert _metered(final=True, granted_units=0).verdict() is Verdict.STOP
    assert _metered(state="ended", cause="support").verdict() is Verdict.STOP
    assert _metered(idle_seconds=20.5).verdict() is Verdict.PAUSE  # updates stopped
    assert _metered(idle_seconds=19.5).verdict() is Verdict.SERVE
    bytes_stream = _metered(unit="byte", granted_units=1000)
    bytes_stream.stream_bytes = 999
    assert bytes_stream.served == 999 and bytes_stream.verdict() is Verdict.SERVE
    download = _metered(kind="download", unit="byte", granted_units=100, final=True)
    download.files["f"] = Coverage()
    download.files["f"].add(0, 60)
    download.files["f"].add(30, 100)
    assert download.served == 100 and download.verdict() is Verdict.STOP
    messages = _metered(kind="message", unit="event", granted_units=2)
    messages.events = 1
    assert messages.allowance == 1 and messages.verdict() is Verdict.SERVE
