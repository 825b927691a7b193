"""Catalogue files for tests, built as data and written with tomli_w."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import tomli_w

__all__ = ["BASE", "account", "user", "write_catalog"]

PASSWORD = "test-password-1"

# Prices chosen so charges are easy to check by hand: UTC, no windows unless added.
BASE: dict[str, Any] = {
    "currency": "EUR",
    "services": [
        {
            "id": "voice",
            "name": "Voice",
            "unit": "second",
            "media": "voice",
            "grant": 60,
            "update_interval": 10,
        },
        {
            "id": "fast",
            "name": "Fast-updating call",
            "unit": "second",
            "media": "voice",
            "grant": 5,
            "update_interval": 1,
        },
        {"id": "dl", "name": "Download", "unit": "byte", "media": "download", "grant": 1000000},
        {"id": "sms", "name": "Message", "unit": "event", "media": "im", "grant": 1},
    ],
    "plans": [
        {
            "id": "std",
            "name": "Standard",
            "timezone": "UTC",
            "rates": [
                {
                    "service": "voice",
                    "price": "0.06",
                    "per": 60,
                    "first_increment": 60,
                    "increment": 1,
                    "setup_fee": "0.01",
                },
                {"service": "fast", "price": "0.01", "per": 1},
                {"service": "dl", "price": "0.01", "per": 1000000},
                {"service": "sms", "price": "0.05"},
            ],
        },
        {
            "id": "mini",
            "name": "Voice only",
            "timezone": "Europe/Berlin",
            "rates": [{"service": "voice", "price": "0.12", "per": 60}],
        },
    ],
    "accounts": [],
    "users": [
        {"login": "support", "password": PASSWORD, "role": "support"},
    ],
    "vouchers": [],
}


def account(
    account_id: str,
    balance: str = "10",
    *,
    kind: str = "prepaid",
    plan: str = "std",
    credit_limit: str = "0",
    status: str = "active",
) -> dict[str, Any]:
    """An account row."""
    return {
        "id": account_id,
        "name": f"Account {account_id}",
        "kind": kind,
        "plan": plan,
        "balance": balance,
        "credit_limit": credit_limit,
        "status": status,
    }


def user(login: str, account_id: str) -> dict[str, Any]:
    """A user row of role user (password PASSWORD)."""
    return {"login": login, "password": PASSWORD, "account": account_id}


def write_catalog(
    path: Path,
    accounts: list[dict[str, Any]],
    *,
    base: dict[str, Any] | None = None,
    users: list[dict[str, Any]] | None = None,
    **changes: Any,
) -> Path:
    """Write BASE (or ``base``) with ``accounts``, one user per account named like it."""
    data = copy.deepcopy(base or BASE)
    data["accounts"] = accounts
    data["users"] = data["users"] + [user(a["id"], a["id"]) for a in accounts] + (users or [])
    data.update(changes)
    path.write_text(tomli_w.dumps(data))
    return path
