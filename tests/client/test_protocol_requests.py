"""Request bodies refuse text with NUL, also inside lists and nested items."""

from __future__ import annotations

from collections.abc import Callable

import pydantic
import pytest

from billclient.protocol.gateway import ServedCounts, SessionQuery


@pytest.mark.parametrize(
    "make",
    [
        lambda: ServedCounts(gateway_id="g", counts=[{"session_id": "s\x00", "served_units": 1}]),
        lambda: SessionQuery(session_ids=["ok", "s\x00"]),
    ],
)
def test_nul_in_nested_text_is_refused(make: Callable[[], object]) -> None:
    with pytest.raises(pydantic.ValidationError, match="NUL"):
        make()


def test_clean_text_is_accepted() -> None:
    assert SessionQuery(session_ids=["a", "b"]).session_ids == ["a", "b"]
    counts = ServedCounts(gateway_id="g", counts=[{"session_id": "s", "served_units": 2}])
    assert counts.counts[0].served_units == 2
