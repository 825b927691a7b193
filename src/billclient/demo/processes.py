"""The demo's child processes: started in their own process groups, stopped in order.

Children do not share the demo's process group, so a Ctrl+C on the terminal reaches
only the demo, which then ends the scripted session while the servers still run and
stops the children itself, last started first. On Linux each child also asks the
kernel to send it SIGTERM should the demo die without cleaning up.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["Child", "StartFailed", "Supervisor"]

_PR_SET_PDEATHSIG = 1


class StartFailed(Exception):
    """A child exited or did not become healthy; ``str()`` says which and why."""


@dataclass
class Child:
    """One started process."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path | None

    def tail(self, lines: int = 5) -> str:
        """The last lines the process logged (for an error message)."""
        if self.log is None or not self.log.exists():
            return ""
        text = self.log.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(libc_name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Supervisor:
    """Starts children and stops every one of them (``stop_all``)."""

    env: dict[str, str]
    children: list[Child] = field(default_factory=list)

    def start(
        self, name: str, command: Sequence[str], *, log: Path | None, extra_env: dict[str, str]
    ) -> Child:
        """Start ``command``; its output goes to ``log`` (None: the demo's own output)."""
        out = open(log, "ab") if log is not None else None  # noqa: SIM115 - handed to the child
        try:
            proc = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT if out is not None else None,
                env={**self.env, **extra_env},
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        finally:
            if out is not None:
                out.close()
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def wait_healthy(
        self, child: Child, url: str, *, timeout: float, cancelled: Callable[[], bool]
    ) -> None:
        """Wait until ``url`` answers 200; StartFailed if the child exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not cancelled():
            if child.proc.poll() is not None:
                raise StartFailed(
                    f"the {child.name} exited with status {child.proc.returncode}: {child.tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            time.sleep(0.1)
        if not cancelled():
            raise StartFailed(f"the {child.name} did not answer within {timeout:.0f} s")

    def stop_all(self, *, grace: float = 10.0) -> list[str]:
        """SIGTERM every running child, last started first; SIGKILL after ``grace`` s.

        Returns a line per child that had to be killed or exited with a failure.
        """
        problems: list[str] = []
        for child in reversed(self.children):
            proc = child.proc
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
                    problems.append(f"the {child.name} did not stop within {grace:.0f} s: killed")
                    continue
            if proc.returncode not in (0, -signal.SIGTERM):
                problems.append(f"the {child.name} exited with status {proc.returncode}")
        self.children.clear()
        return problems
