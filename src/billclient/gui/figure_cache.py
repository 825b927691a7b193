"""The last account figures seen, kept on disk so that the next start shows them at
once (marked as not current until live figures arrive). No secrets: the same figures
the window shows."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billclient.protocol.account import Account
    from billclient.protocol.events import BalanceEvent

__all__ = ["FigureCache"]

_log = logging.getLogger(__name__)


class FigureCache:
    """``path`` holds ``{"account": <Account>, "at": <ISO time>}``; writes are atomic and
    at most every ``min_interval`` seconds unless forced (:meth:`flush`)."""

    def __init__(self, path: Path, min_interval: float = 10.0) -> None:
        self.path = path
        self.min_interval = min_interval
        self._account: Account | None = None
        self._at: datetime | None = None
        self._saved = 0.0
        self._dirty = False

    def load(self) -> tuple[Account, datetime] | None:
        """The cached account and when its figures were current, or None.

        Needs the protocol models (pydantic): the first window reads the file with
        :func:`billclient.gui.cached.read_cached` instead."""
        from pydantic import ValidationError

        from billclient.protocol.account import Account

        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            account = Account.model_validate(data["account"])
            at = datetime.fromisoformat(data["at"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as error:
            _log.warning("ignored the figure cache %s: %s", self.path, error)
            return None
        self._account, self._at = account, at
        return account, at

    def account(self, account: Account) -> None:
        """A fresh account read."""
        self._account = account
        self._changed()

    def balance(self, figures: BalanceEvent) -> None:
        """New figures for the account already known."""
        if self._account is None:
            return
        self._account = self._account.model_copy(
            update={
                "balance": figures.balance,
                "reserved": figures.reserved,
                "available": figures.available,
            }
        )
        self._changed()

    def _changed(self) -> None:
        self._at = datetime.now().astimezone()
        self._dirty = True
        if time.monotonic() - self._saved >= self.min_interval:
            self.flush()

    def flush(self) -> None:
        """Write what changed since the last write."""
        if not self._dirty or self._account is None or self._at is None:
            return
        data = {"account": self._account.model_dump(mode="json"), "at": self._at.isoformat()}
        temporary = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(data), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:
            _log.warning("cannot write the figure cache %s: %s", self.path, error)
            return
        self._saved = time.monotonic()
        self._dirty = False

    def clear(self) -> None:
        """Forget the figures (sign-out: the next person must not see them)."""
        self._account, self._at, self._dirty = None, None, False
        self.path.unlink(missing_ok=True)
