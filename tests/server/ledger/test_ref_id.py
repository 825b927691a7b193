"""Row ids from idempotency references: exactly the version-5 UUIDs they always were, or,
with the moment a transfer stands for, version-8 UUIDs that start with that moment."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billserver.ledger.operations import _NAMESPACE, ref_id


@given(st.text())
def test_ref_id_is_the_uuid5_of_the_reference(ref: str) -> None:
    try:
        expected = str(uuid.uuid5(_NAMESPACE, ref))
    except UnicodeEncodeError:  # a lone surrogate: no id either way
        with pytest.raises(UnicodeEncodeError):
            ref_id(ref)
        return
    assert ref_id(ref) == expected


def test_a_reference_keeps_the_id_its_rows_were_written_with() -> None:
    # ids already in databases: the namespace and the spelling never change
    assert ref_id("s-1:7:hold") == "27c5508c-a77b-5b0e-a8d4-04f1e9c1009e"


MOMENTS = st.integers(min_value=0, max_value=(2**48 - 1) * 1000)
REFS = st.text(st.characters(exclude_categories=["Cs"]))


@given(REFS, MOMENTS)
def test_an_id_with_a_moment_is_a_version_8_uuid_that_starts_with_it(ref: str, at: int) -> None:
    made = ref_id(ref, at)
    parsed = uuid.UUID(made)
    assert str(parsed) == made
    assert parsed.version == 8 and parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == at // 1000
    # the rest is the name-based id's: the same reference, the same id
    assert parsed.int & ((1 << 80) - 1) & ~(0xF << 76) == (
        uuid.uuid5(_NAMESPACE, ref).int & ((1 << 80) - 1) & ~(0xF << 76)
    )
    assert ref_id(ref, at) == made


@given(REFS, REFS, MOMENTS, MOMENTS)
def test_ids_with_moments_follow_time_and_tell_references_apart(
    first: str, second: str, early: int, late: int
) -> None:
    early, late = sorted((early, late))
    if early // 1000 < late // 1000:
        assert ref_id(first, early) < ref_id(second, late)
    if first != second:
        assert ref_id(first, early) != ref_id(second, early)
