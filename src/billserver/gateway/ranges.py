"""Byte ranges: HTTP ``Range`` headers and the set of bytes a session was served.

Pure logic (no I/O): the download meter counts each byte of a file once per
session, however often an interrupted download asks for it again.
"""

from __future__ import annotations

import bisect
import re

__all__ = ["Coverage", "RangeNotSatisfiable", "parse_range"]

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class RangeNotSatisfiable(ValueError):
    """The ``Range`` asks only for bytes past the end of the file (HTTP 416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The half-open byte range ``[start, end)`` a ``Range`` header asks of a ``size``-byte file.

    None means "the whole file" (no header, or one this server ignores as RFC 9110
    allows: malformed, another unit, several ranges). Raises
    :class:`RangeNotSatisfiable` for a range that starts at or past the end.
    """
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)  # the last N bytes
        if suffix == 0:
            raise RangeNotSatisfiable("an empty suffix range")
        return (max(0, size - suffix), size)
    start = int(first)
    end = size if not last else int(last) + 1
    if last and end <= start:
        return None  # last < first: invalid, ignored
    if start >= size:
        raise RangeNotSatisfiable(f"byte {start} is past the end ({size} bytes)")
    return (start, min(end, size))


class Coverage:
    """A set of bytes as disjoint, non-adjacent half-open ranges; ``total`` counts them."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self.total = 0

    def add(self, start: int, end: int) -> int:
        """Cover ``[start, end)``; returns how many of its bytes were not covered before."""
        if end <= start:
            return 0
        lo = bisect.bisect_left(self._ends, start)  # first range ending at or after start
        hi = bisect.bisect_right(self._starts, end)  # ranges starting at or before end
        overlap = sum(
            max(0, min(e, end) - max(s, start))
            for s, e in zip(self._starts[lo:hi], self._ends[lo:hi], strict=True)
        )
        merged_start = min(start, self._starts[lo]) if lo < hi else start
        merged_end = max(end, self._ends[hi - 1]) if lo < hi else end
        self._starts[lo:hi] = [merged_start]
        self._ends[lo:hi] = [merged_end]
        fresh = (end - start) - overlap
        self.total += fresh
        return fresh

    def run_from(self, position: int) -> int:
        """How many bytes from ``position`` on are covered without a gap (0 if it is not)."""
        index = bisect.bisect_right(self._starts, position) - 1
        if index >= 0 and self._ends[index] > position:
            return self._ends[index] - position
        return 0

    def ranges(self) -> list[tuple[int, int]]:
        """The covered ranges, in order."""
        return list(zip(self._starts, self._ends, strict=True))
