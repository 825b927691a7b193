"""Building blocks shared by the wire models."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

__all__ = ["Request", "Response", "Timestamp"]

Timestamp = AwareDatetime
"""An RFC 3339 instant with an offset; naive times are refused."""


class Request(BaseModel):
    """Base of request bodies: unknown members are refused (422)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Response(BaseModel):
    """Base of answers: members added by a newer server are ignored by older clients."""

    model_config = ConfigDict(extra="ignore", frozen=True)
