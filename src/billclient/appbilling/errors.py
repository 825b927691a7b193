"""Errors of application billing (the tree is drawn in the package docstring)."""

from __future__ import annotations

__all__ = ["BillingError", "BillingUnavailable", "ChargeRefused"]


class BillingError(Exception):
    """Anything application billing raises."""


class ChargeRefused(BillingError):
    """The billing server refused the charge; ``code`` is the problem's code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class BillingUnavailable(BillingError):
    """No billing server answered and the offline allowance is used up."""
