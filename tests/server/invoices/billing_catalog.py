"""The catalogue the billing tests share: a postpaid organisation with a member, a
prepaid account with a shared-balance member, a service login and an operator."""

from __future__ import annotations

import copy
from typing import Any

from tests.support.catalogs import BASE, PASSWORD, account

MESSAGE = {"id": "message.submit", "name": "Message submission", "unit": "event", "media": "im"}


def billing_base() -> dict[str, Any]:
    """BASE with ``message.submit`` (0.013 per event) and a 19 % tax on plan ``std``."""
    base = copy.deepcopy(BASE)
    base["services"].append(MESSAGE)
    for plan in base["plans"]:
        if plan["id"] == "std":
            plan["tax_rate"] = "0.19"
            plan["rates"].append({"service": "message.submit", "price": "0.013"})
    return base


def accounts() -> list[dict[str, Any]]:
    """``org`` (postpaid) with member ``org-kid``, ``pre`` (prepaid) with ``pre-kid``
    spending from its balance, ``auto`` with auto top-up, and ``outside``."""
    kid = account("org-kid", "0", kind="postpaid", credit_limit="50")
    kid["parent"] = "org"
    shared = account("pre-kid", "0")
    shared |= {"parent": "pre", "shared_balance": True}
    auto = account("auto", "1")
    auto |= {
        "auto_topup_threshold": "0.50",
        "auto_topup_amount": "5.00",
        "auto_topup_card": "tok_visa",
    }
    return [
        account("org", "0", kind="postpaid", credit_limit="100"),
        kid,
        account("pre", "2"),
        shared,
        auto,
        account("outside", "10"),
    ]


USERS = [
    {"login": "relay", "password": PASSWORD, "role": "service", "may_charge": ["org", "pre"]},
    {"login": "ops", "password": PASSWORD, "role": "operator"},
]
