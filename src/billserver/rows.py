"""A type for database rows of any shape."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import Row

__all__ = ["AnyRow"]

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
"""A result row whose columns are read by name."""
