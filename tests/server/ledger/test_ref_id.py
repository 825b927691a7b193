"""Row ids from idempotency references: exactly the version-5 UUIDs they always were."""

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
