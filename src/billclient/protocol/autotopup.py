"""Auto top-up: the notice an account gets when its saved card was charged."""

from __future__ import annotations

from typing import Literal

from .common import Response
from .funding import TopUpStatus
from .money import Money

__all__ = ["AutoTopUpNotice"]


class AutoTopUpNotice(Response):
    """The ``notice`` event ``{"kind": "auto_topup", ...}``: ``available`` crossed below
    ``threshold``, so ``amount`` was charged to the saved card (once per crossing)."""

    kind: Literal["auto_topup"] = "auto_topup"
    topup_id: str
    amount: Money
    threshold: Money
    status: TopUpStatus
    reason: str | None = None
