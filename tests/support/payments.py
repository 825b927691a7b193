"""What a billing server's log says about the card payments it made."""

from __future__ import annotations

import json
from pathlib import Path

from billclient.protocol import Role
from billserver.ledger.actor import Actor
from billserver.topups.service import payment_ref

__all__ = ["card_charges"]


def card_charges(log_paths: list[Path], account_id: str, key: str) -> int:
    """How many times the servers logging to ``log_paths`` asked the payment provider to
    charge a card for the top-up of a user of ``account_id`` with Idempotency-Key ``key``
    (each provider call logs one ``card charge`` line with its payment reference)."""
    user = Actor(login=account_id, role=Role.USER, account_id=account_id, device_id=None,
                 server_id="test")  # fmt: skip
    reference = payment_ref(user, key)
    count = 0
    for path in log_paths:
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "card charge" and entry.get("payment_ref") == reference:
                count += 1
    return count
