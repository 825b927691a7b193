"""The update path's answer and event data, built without the models, are exactly the
models' JSON dumps, for any values; money formatting is exact both ways."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from billclient.protocol import (
    Action,
    BalanceEvent,
    EndCause,
    LimitPeriod,
    SessionEvent,
    SessionState,
    UpdateResult,
    balance_data,
    format_money,
    parse_money,
    session_data,
    update_result_data,
)
from billclient.protocol.money import format_decimal

money = st.integers(-(2**62), 2**62)
counts = st.integers(0, 2**62)


@given(money)
def test_money_is_formatted_exactly_and_parsed_back(micro: int) -> None:
    text = format_money(micro)
    assert text == format_decimal(micro, 6)
    assert parse_money(text) == micro


@given(
    st.fixed_dictionaries(
        {
            "session_id": st.text(min_size=1, max_size=40),
            "seq": counts,
            "used_units": counts,
            "charged": money,
            "granted_units": counts,
            "reserved": money,
            "available": money,
            "balance": money,
            "final": st.booleans(),
            "action": st.sampled_from(Action),
            "reason": st.none() | st.sampled_from(["credit_exhausted", "spending_limit"]),
            "limit": st.none() | st.sampled_from(LimitPeriod),
        }
    )
)
def test_the_update_answer_is_the_models_dump(fields: dict[str, Any]) -> None:
    built = update_result_data(**fields)
    assert built == UpdateResult(**fields).model_dump(mode="json")
    assert list(built) == list(UpdateResult.model_fields)  # the same order on the wire


@given(
    session_id=st.text(min_size=1, max_size=40),
    state=st.sampled_from(SessionState),
    used=counts,
    charged=money,
    cause=st.none() | st.sampled_from(EndCause),
    figures=st.tuples(money, money, money),
)
def test_the_event_data_is_the_models_dump(
    session_id: str,
    state: SessionState,
    used: int,
    charged: int,
    cause: EndCause | None,
    figures: tuple[int, int, int],
) -> None:
    built = session_data(session_id, state, used, charged, cause)
    model = SessionEvent(
        session_id=session_id, state=state, used_units=used, charged=charged, cause=cause
    )
    assert built == model.model_dump(mode="json")
    assert list(built) == list(SessionEvent.model_fields)
    balance, reserved, available = figures
    event = BalanceEvent(balance=balance, reserved=reserved, available=available)
    assert balance_data(*figures) == event.model_dump(mode="json")
