"""The demo's servers on loopback: a primary and a secondary billing server on one
SQLite database, and a metering gateway serving demo files.

They are ``python -m billserver`` child processes: the client package never imports
the server.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .environment import DemoPaths
from .processes import Supervisor

__all__ = [
    "DemoStack",
    "catalog_path",
    "make_demo_files",
    "missing_server_modules",
    "start_stack",
]

# what ``pip install 'billclient[server]'`` brings, by import name
_SERVER_MODULES = ("billserver", "fastapi", "uvicorn", "sqlalchemy", "alembic", "argon2")

DEMO_FILES = {"demo-10MB.bin": 10_000_000, "demo-1MB.bin": 1_000_000}
"""The download files the gateway serves (names and sizes in bytes)."""


def missing_server_modules() -> list[str]:
    """The server extra's modules that cannot be imported here (empty: all present)."""
    missing = []
    for name in _SERVER_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # ValueError: blocked in sys.modules
            found = False
        if not found:
            missing.append(name)
    return missing


def catalog_path() -> Path:
    """``demo-catalog.toml``: packaged under ``billclient/resources``, or the checkout's."""
    packaged = resources.files("billclient").joinpath("resources", "demo-catalog.toml")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "resources" / "demo-catalog.toml"


def make_demo_files(directory: Path) -> dict[str, int]:
    """Write the demo's download files (random bytes, so nothing compresses them)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, size in DEMO_FILES.items():
        path = directory / name
        if not path.exists() or path.stat().st_size != size:
            chunk = os.urandom(1_000_000)
            with path.open("wb") as out:
                for start in range(0, size, len(chunk)):
                    out.write(chunk[: size - start])
    (directory / "welcome.txt").write_text("Served by the billclient demo gateway.\n")
    return {path.name: path.stat().st_size for path in sorted(directory.iterdir())}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class DemoStack:
    """What is running: the billing servers (primary first) and the gateway."""

    primary: str
    secondary: str
    gateway: str

    @property
    def servers(self) -> list[str]:
        """The billing servers, primary first."""
        return [self.primary, self.secondary]


def start_stack(
    paths: DemoPaths, supervisor: Supervisor, *, cancelled: Callable[[], bool]
) -> DemoStack | None:
    """Start the servers and the gateway; None when cancelled meanwhile.

    The primary starts first (it creates the database and loads the catalogue), then
    the secondary and the gateway. Raises ``StartFailed`` when one does not come up.
    """
    ports = [_free_port() for _ in range(3)]
    primary, secondary, gateway = (f"http://127.0.0.1:{port}" for port in ports)
    db_url = f"sqlite:///{paths.database}"
    secret = {"BILLSERVER_GATEWAY_SECRET": secrets.token_urlsafe(32)}
    python = [sys.executable, "-m", "billserver"]

    def serve(name: str, port: int, *extra: str) -> list[str]:
        return [
            *python,
            "serve",
            "--port",
            str(port),
            "--db",
            db_url,
            "--server-id",
            name,
            "--advertise",
            primary,
            "--advertise",
            secondary,
            "--gateway-url",
            gateway,
            *extra,
        ]

    steps = [
        (
            "primary billing server",
            serve("demo-primary", ports[0], "--catalog", str(catalog_path())),
        ),
        ("secondary billing server", serve("demo-secondary", ports[1])),
        (
            "metering gateway",
            [
                *python,
                "gateway",
                "--port",
                str(ports[2]),
                "--billing",
                primary,
                "--billing",
                secondary,
                "--files",
                str(paths.files),
                "--gateway-id",
                "demo-gateway",
            ],
        ),
    ]
    for (name, command), url in zip(steps, (primary, secondary, gateway), strict=True):
        if cancelled():
            return None
        log = paths.logs / f"{name.replace(' ', '-')}.log"
        child = supervisor.start(name, command, log=log, extra_env=secret)
        supervisor.wait_healthy(child, url + "/v1/health", timeout=60, cancelled=cancelled)
    if cancelled():
        return None
    return DemoStack(primary, secondary, gateway)
