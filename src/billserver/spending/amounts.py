"""What a limit may be: a positive amount in whole minor units of the account's
currency (the money rules of top-ups), at most :data:`MAXIMUM`."""

from __future__ import annotations

from babel.numbers import get_currency_precision

from billclient.protocol import ErrorCode, format_money

from ..web import ApiError

__all__ = ["MAXIMUM", "check_limit"]

MAXIMUM = 1_000_000_000 * 1_000_000
"""The largest limit, micro-units (a billion of the currency: no limit in practice)."""


def check_limit(name: str, amount: int, currency: str) -> None:
    """Refuse (422) a limit that is not positive, not whole minor units, or too large."""
    places = get_currency_precision(currency)
    if amount <= 0:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"{name}: a limit is a positive amount, not {format_money(amount)}; "
            "send null for no limit",
        )
    if amount % 10 ** (6 - places):
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"{name}: limits are whole minor units of {currency} ({places} decimal places); "
            f"{format_money(amount)} has more",
        )
    if amount > MAXIMUM:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"{name}: a limit is at most {format_money(MAXIMUM)} {currency}",
        )
