"""Pure parts of the client's gateway use: Content-Range sizes, Retry-After, orders."""

from __future__ import annotations

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from billclient.core.gateway_client import _retry_after, _total
from billclient.core.gateway_run import GatewayOrder
from billclient.protocol.catalog import Service

SIZES = st.integers(min_value=1, max_value=2**50)


@given(SIZES, st.data())
def test_the_size_comes_from_content_range(size: int, data: st.DataObject) -> None:
    first = data.draw(st.integers(0, size - 1))
    last = data.draw(st.integers(first, size - 1))
    served = httpx.Response(206, headers={"Content-Range": f"bytes {first}-{last}/{size}"})
    refused = httpx.Response(416, headers={"Content-Range": f"bytes */{size}"})
    assert _total(served) == _total(refused) == size


@given(st.text(max_size=30))
@example(" 5")  # a space (or a CR) before the digits is no complete-length (RFC 9110)
@example("\r0")
@example("5 ")  # after them it ends the header's value, which may be padded
def test_a_content_range_gives_a_size_only_when_it_names_one(text: str) -> None:
    try:
        response = httpx.Response(206, headers={"Content-Range": f"bytes 0-1/{text}"})
    except (UnicodeEncodeError, ValueError):
        return  # not a header value at all
    size = text.rstrip()  # the end of the header's value: padding around it is not part
    names_one = size != "" and all(c in "0123456789" for c in size)
    assert _total(response) == (int(size) if names_one else None)


@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8)))
def test_retry_after_is_bounded(value: float | str) -> None:
    try:
        response = httpx.Response(429, headers={"Retry-After": str(value)})
    except (UnicodeEncodeError, ValueError):
        return
    assert 0.1 <= _retry_after(response) <= 10.0


def _service(media: str) -> Service:
    # only the id and the media matter to an order (the rate is not looked at)
    return Service.model_construct(service_id=media, name=media, media=media)


@given(
    st.sampled_from(["download", "im", "web", "voice"]),
    st.one_of(st.none(), st.text(min_size=1, max_size=5)),
    st.lists(st.text(min_size=1, max_size=5), max_size=3),
)
def test_an_order_fits_its_service_or_says_why(
    media: str, file: str | None, messages: list[str]
) -> None:
    problem = GatewayOrder(file, None, messages).problem(_service(media))
    fits = (
        (media == "download" and file and not messages)
        or (media == "im" and messages and not file)
        or (media in ("web", "voice") and not file and not messages)
    )
    assert (problem is None) == bool(fits), problem
    if problem is not None:
        assert "\n" not in problem and media in problem
