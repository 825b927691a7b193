"""The batched call's envelope and per-report checks (pure: no database)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billclient.protocol import MAX_REPORTS
from billserver.sessions.submit import check_reports
from billserver.web import ApiError

ids = st.text(alphabet="abc-\x00", min_size=0, max_size=4) | st.just("x" * 201)
fields = st.fixed_dictionaries(
    {"seq": st.integers(-1, 3), "used_units": st.integers(-1, 3) | st.text(max_size=1)},
    optional={"measured_at": st.just("2026-01-01T00:00:00Z"), "extra": st.just(1)},
)


@given(st.lists(st.tuples(ids, fields), max_size=8))
def test_the_envelope_is_refused_whole_or_every_report_is_checked_alone(
    reports: list[tuple[str, dict[str, Any]]],
) -> None:
    body = {"reports": [{"session_id": sid, **more} for sid, more in reports]}
    names = [sid for sid, _more in reports]
    if not names or len(set(names)) < len(names):  # nothing, or a session twice
        with pytest.raises(ApiError) as refused:
            check_reports(json.dumps(body).encode())
        assert refused.value.code.status == 422
        return
    checked = check_reports(json.dumps(body).encode())
    assert [item.session_id for item in checked] == names
    assert len(set(names)) == len(names) >= 1
    for item, (sid, more) in zip(checked, reports, strict=True):
        valid = (
            "\x00" not in sid
            and len(sid) <= 200
            and more["seq"] >= 1
            and isinstance(more["used_units"], int)
            and more["used_units"] >= 0
            and "measured_at" in more
            and "extra" not in more
        )
        assert (item.report is not None) == valid
        assert (item.refusal is None) == valid
        if item.report is not None:
            assert (item.report.seq, item.report.used_units) == (more["seq"], more["used_units"])


@pytest.mark.parametrize("count", [MAX_REPORTS, MAX_REPORTS + 1])
def test_at_most_max_reports(count: int) -> None:
    report = {"seq": 1, "used_units": 1, "measured_at": "2026-01-01T00:00:00Z"}
    body = {"reports": [{"session_id": f"s{n}", **report} for n in range(count)]}
    if count > MAX_REPORTS:
        with pytest.raises(ApiError):
            check_reports(json.dumps(body).encode())
    else:
        assert len(check_reports(json.dumps(body).encode())) == count
