"""The ledger's operations: typed, immutable requests to move money.

Modelled on TigerBeetle's two-phase transfers: a :class:`Hold` reserves part of an
account's ``available`` (a pending transfer), :class:`Post` charges part of a hold
(customer -> revenue), :class:`Resize` sets what a hold keeps reserved (a session's
grant slides), :class:`Close` releases whatever remains and ends the hold for good,
and :class:`Transfer` moves money between two books at once.

Operations that create a row take an idempotency reference (``ref``): the row's id
derives from it (:func:`ref_id`), so the same operation sent twice can never apply
twice (the database refuses the second row). Resizing to a size and closing are
idempotent in themselves and name their hold by id.

A transfer may also carry the moment it stands for (``at``), fixed by what it is (a
session's charge for report ``seq``: the moment that report is due), so that it is
the same however often the operation is sent: its id then starts with that moment,
and the transfers of a stream of reports are written next to each other in the
ledger's indexes instead of at random places in them.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

__all__ = [
    "Close",
    "Hold",
    "Operation",
    "Post",
    "Resize",
    "Transfer",
    "TransferKind",
    "ref_id",
]

_NAMESPACE = uuid.UUID("6d9f1c52-0c4e-4c1b-9a0e-1b5e0f3d2a77")
_NAMESPACE_BYTES = _NAMESPACE.bytes


def ref_id(ref: str, at: int | None = None) -> str:
    """The id of the row an operation with idempotency reference ``ref`` creates.

    Without ``at``: the name-based UUID (version 5) of ``ref`` in the ledger's
    namespace, as ``str(uuid.uuid5(namespace, ref))`` spells it, built here without the
    ``UUID`` object (a third of the cost; every charge makes one). With ``at`` (µs
    since the epoch, at most 2**48 - 1 ms): a version-8 UUID whose first 48 bits are
    ``at`` in milliseconds and whose other 74 free bits are those of the version-5
    hash of ``ref``: time-ordered, and still the same for the same ``ref`` and ``at``.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + ref.encode()).digest()[:16])
    if at is None:
        digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    else:
        digest[:6] = (at // 1000).to_bytes(6, "big")
        digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class TransferKind(StrEnum):
    """What a transfer is for (``ledger_transfers.kind``, audit action ``money.<kind>``)."""

    CHARGE = "charge"
    TOPUP = "topup"
    ADJUSTMENT = "adjustment"
    OPENING = "opening"
    TAX = "tax"

    @property
    def bounded(self) -> bool:
        """Whether the debited account's floor applies: invoiced tax is owed whatever the
        credit limit, every other debit must stay within ``available``."""
        return self is not TransferKind.TAX


@dataclass(frozen=True, slots=True)
class _Referenced:
    """An operation that creates a row, whose id derives from its reference."""

    ref: str


@dataclass(frozen=True, slots=True)
class _Moving(_Referenced):
    """An operation that may make a transfer; ``at`` (keyword only): the moment the
    transfer stands for, which its id starts with (see the module)."""

    at: int | None = field(default=None, kw_only=True)

    @property
    def transfer_id(self) -> str:
        """The id of the transfer it makes."""
        return ref_id(self.ref, self.at)


@dataclass(frozen=True, slots=True)
class Hold(_Referenced):
    """Reserve ``amount`` (may be 0) of ``account_id``'s available money.

    ``owner`` is the session or charge the hold belongs to (``holds.session_id``);
    ``spender`` the account whose spending limits it counts against (the session's or
    charge's own account, ``account_id`` being its paying account): the hold may take
    no more than is left under them, and what is posted from it counts as spent.
    """

    account_id: str
    amount: int
    owner: str | None = None
    spender: str | None = None

    @property
    def hold_id(self) -> str:
        """The id the new hold gets."""
        return ref_id(self.ref)


@dataclass(frozen=True, slots=True)
class Resize:
    """Make the hold keep ``remaining`` reserved: growing reserves more, shrinking releases."""

    hold_id: str
    remaining: int


@dataclass(frozen=True, slots=True)
class Post(_Moving):
    """Charge ``amount`` out of the hold (customer -> revenue), at most what it has left
    (a post of nothing makes no transfer)."""

    hold_id: str
    amount: int
    memo: str
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class Close:
    """Release whatever the hold has left and close it: it can be neither posted nor
    resized afterwards."""

    hold_id: str


@dataclass(frozen=True, slots=True)
class Transfer(_Moving):
    """Move ``amount`` (> 0) from book ``debit`` to book ``credit``.

    ``owner`` is the session or charge a charge belongs to (``ledger_transfers.session_id``);
    a charge with a ``spender`` counts against that account's spending limits and is
    refused beyond what is left under them.
    """

    kind: TransferKind
    debit: str
    credit: str
    amount: int
    memo: str
    owner: str | None = None
    spender: str | None = None


Operation: TypeAlias = Hold | Resize | Post | Close | Transfer
