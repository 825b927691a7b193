"""The paying account: whose balance an account spends, and the lock order around it.

An account with ``shared_balance`` spends from its parent's balance; when the parent
shares its own parent's balance too, the chain goes on: the *paying account* is the
first account up the chain that does not share. Sessions and application charges of
a member reserve on, and are charged to, the paying account; their records (session
rows, CDRs) stay the member's.

Lock order on PostgreSQL: a paying account's row is locked before the rows of the
accounts spending from it (the parent, then the member). :func:`lock_key` ranks an
account that way for the group commit's batches, so every transaction takes account
rows in one global order: by paying account, the paying account itself first.

A process remembers each account's paying account once read (:class:`LockOrder`,
one per application on ``app.state``): the hot update path needs it before it may
lock anything, and reading it there would cost a statement per update. Only the lock
order relies on it; money always goes to the account a hold was created on, read under
lock, so a stale entry (the catalogue changed the hierarchy) is corrected at the next
lock, never charges the wrong account.
"""

from __future__ import annotations

from collections.abc import Mapping

from cachetools import LRUCache
from sqlalchemy import Connection, select

from ..db import AnyRow
from ..tables import accounts
from .figures import lock_account

__all__ = [
    "LockOrder",
    "lock_with_payer",
    "payer_id",
    "payer_in",
    "ranked",
    "read_payer",
]

_CACHE_SIZE = 100_000
_MAX_DEPTH = 32  # an imported hierarchy has no cycles; this only stops a corrupt one


class LockOrder:
    """What this process knows of the lock order: each account's paying account, and
    the account of each access token (by its hash) as last authenticated here. Used
    only to order locks (the group commit's batches too), never for who pays or who
    the caller is."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._payers: LRUCache[str, str] = LRUCache(size)
        self._tokens: LRUCache[str, str] = LRUCache(size)

    def payer(self, conn: Connection, account_id: str) -> str:
        """The paying account of ``account_id`` as this process last saw it (read once)."""
        found = self._payers.get(account_id)
        if found is not None:
            return found
        row = conn.execute(
            select(accounts.c.account_id, accounts.c.parent_id, accounts.c.shared_balance).where(
                accounts.c.account_id == account_id
            )
        ).one_or_none()
        return account_id if row is None else payer_id(conn, row, order=self)

    def remember(self, account_id: str, payer: str) -> None:
        """Note that ``account_id`` spends from ``payer``'s balance."""
        self._payers[account_id] = payer

    def key(self, account_id: str) -> str:
        """The group-commit sort key of an operation on ``account_id`` (see the module)."""
        return ranked(account_id, self._payers.get(account_id, account_id))

    def remember_token(self, digest: str, account_id: str) -> None:
        """Note the account of the access token with hash ``digest``."""
        key = self.key(account_id)
        if self._tokens.get(digest) != key:
            self._tokens[digest] = key

    def token_key(self, digest: str) -> str:
        """The lock key of the token's account as last seen, ``""`` when unknown."""
        return self._tokens.get(digest, "")

    def knows_token(self, digest: str) -> bool:
        """Whether the access token with hash ``digest`` was authenticated here and not
        refused since (see :meth:`forget_token`)."""
        return digest in self._tokens

    def forget_token(self, digest: str) -> None:
        """Forget a token that was refused (revoked or expired since it was remembered)."""
        self._tokens.pop(digest, None)


def payer_id(
    conn: Connection,
    account: AnyRow,
    *,
    known: AnyRow | None = None,
    order: LockOrder | None = None,
) -> str:
    """The paying account of ``account`` (its own id unless it shares a balance).

    Reads one row per level of sharing; none for an account that does not share.
    ``known`` is a row already read (the expected payer) that saves its read.
    """
    row, seen = account, {str(account.account_id)}
    while row.shared_balance and row.parent_id is not None and len(seen) < _MAX_DEPTH:
        parent_id = str(row.parent_id)
        if parent_id in seen:
            break
        parent = known if known is not None and str(known.account_id) == parent_id else None
        if parent is None:
            parent = conn.execute(
                select(
                    accounts.c.account_id, accounts.c.parent_id, accounts.c.shared_balance
                ).where(accounts.c.account_id == parent_id)
            ).one_or_none()
        if parent is None:
            break
        row = parent
        seen.add(parent_id)
    result = str(row.account_id)
    if order is not None:
        order.remember(str(account.account_id), result)
    return result


def ranked(account_id: str, payer: str) -> str:
    """The place of ``account_id`` (paying account ``payer``) in the lock order, as a
    sort key: by paying account, the paying account itself before its members."""
    return account_id if payer == account_id else f"{payer}\x01{account_id}"


def payer_in(rows: Mapping[str, AnyRow], account_id: str) -> str:
    """:func:`payer_id` from rows already read (``account_id``, ``parent_id``,
    ``shared_balance`` of every account concerned)."""
    current, seen = account_id, {account_id}
    while len(seen) < _MAX_DEPTH:
        row = rows.get(current)
        if row is None or not row.shared_balance or row.parent_id is None:
            break
        parent = str(row.parent_id)
        if parent in seen or parent not in rows:
            break
        current = parent
        seen.add(parent)
    return current


def lock_with_payer(
    conn: Connection, account_id: str, order: LockOrder | None = None
) -> tuple[AnyRow, AnyRow] | None:
    """Lock the account's paying account, then the account; returns both rows (the same
    row twice for an account that does not share). None when there is no such account.

    ``order`` saves reading the hierarchy before locking (and learns from this call)."""
    guess = (order or LockOrder(1)).payer(conn, account_id)
    payer = lock_account(conn, guess) if guess != account_id else None
    account = lock_account(conn, account_id)
    if account is None:
        return None
    actual = payer_id(conn, account, known=payer, order=order)
    if actual == account_id:
        return account, account
    if payer is None or actual != guess:  # the hierarchy changed since it was cached
        payer = lock_account(conn, actual)
    return (account, payer) if payer is not None else (account, account)


def read_payer(conn: Connection, account: AnyRow) -> AnyRow:
    """The paying account's row, unlocked (``account`` itself when it does not share)."""
    found = payer_id(conn, account)
    if found == account.account_id:
        return account
    row = conn.execute(select(accounts).where(accounts.c.account_id == found)).one_or_none()
    return account if row is None else row
