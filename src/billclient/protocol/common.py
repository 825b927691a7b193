"""Building blocks shared by the wire models."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator

__all__ = ["ListOrder", "Request", "Response", "Timestamp"]

Timestamp = AwareDatetime
"""An RFC 3339 instant with an offset; naive times are refused."""


class Request(BaseModel):
    """Base of request bodies: unknown members are refused (422), and so is text with NUL.

    No database keeps a NUL character in text, so one is refused here rather than
    failing deep inside a store.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list | tuple) else (value,)
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("text must not contain NUL characters")
        return value


class Response(BaseModel):
    """Base of answers: members added by a newer server are ignored by older clients."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ListOrder(StrEnum):
    """``?order=`` of the record lists (charge records, statement): ``asc`` (oldest
    first, the default) or ``desc`` (newest first)."""

    ASC = "asc"
    DESC = "desc"
