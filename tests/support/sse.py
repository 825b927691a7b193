"""Reading ``GET /v1/events`` in tests: a small Server-Sent Events parser over httpx."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["Event", "Stream", "open_event_stream"]


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    data: dict[str, Any]


@dataclass
class Stream:
    """One open ``GET /v1/events`` response, parsed as Server-Sent Events."""

    response: httpx.Response
    close: Callable[[], None]
    heartbeats: int = 0
    comments: list[str] = field(default_factory=list)
    """Comments other than heartbeats (such as the one a closing stream ends with)."""
    ended: bool = False
    """Whether the server ended the stream."""
    _lines: Iterator[str] = field(init=False)

    def __post_init__(self) -> None:
        self._lines = self.response.iter_lines()

    def next(self, timeout: float = 10.0) -> Event | None:
        """The next event; None when the stream ended or ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        fields: dict[str, list[str]] = {}
        while time.monotonic() < deadline:
            line = next(self._lines, None)
            if line is None:
                self.ended = True
                return None
            if line.startswith(":"):
                if line.strip() == ": heartbeat":
                    self.heartbeats += 1
                else:
                    self.comments.append(line[1:].strip())
            elif line:
                name, _, value = line.partition(":")
                fields.setdefault(name, []).append(value.removeprefix(" "))
            elif fields:
                return Event(
                    int(fields["id"][-1]),
                    fields["event"][-1],
                    json.loads("\n".join(fields["data"])),
                )
        return None

    def until(self, match: Callable[[Event], bool], timeout: float = 10.0) -> list[Event]:
        """Events up to and including the first that matches (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        seen: list[Event] = []
        while (left := deadline - time.monotonic()) > 0:
            event = self.next(left)
            if event is None:
                break
            seen.append(event)
            if match(event):
                return seen
        raise AssertionError(f"no matching event within {timeout} s; got {seen}")

    def quiet(self, seconds: float) -> list[Event]:
        """Every event that arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            event = self.next(left)
            if event is None:
                break
            seen.append(event)
        return seen

    def rest(self, timeout: float) -> list[Event]:
        """Every event until the server ends the stream (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        seen = []
        while not self.ended:
            assert time.monotonic() < deadline, f"the stream did not end within {timeout} s"
            event = self.next(deadline - time.monotonic())
            if event is not None:
                seen.append(event)
        return seen


def open_event_stream(
    url: str,
    access_token: str,
    *,
    last_event_id: int | None = None,
    query: int | None = None,
    read_timeout: float = 5.0,
) -> tuple[httpx.Response, Callable[[], None]]:
    """Open ``GET /v1/events`` (not yet checked); the response and how to close it."""
    client = httpx.Client(timeout=httpx.Timeout(10, read=read_timeout))
    headers = {"Authorization": f"Bearer {access_token}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    params = {} if query is None else {"last_event_id": str(query)}
    manager = client.stream("GET", url + "/v1/events", headers=headers, params=params)
    response = manager.__enter__()

    def close() -> None:
        manager.__exit__(None, None, None)
        client.close()

    return response, close
