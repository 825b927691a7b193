"""Where the demo keeps everything, and whether a display is there to open the GUI on.

Everything the demo writes lives in one temporary directory: the database, the
demo files, the logs and the client's profile. The client processes get
``BILLCLIENT_HOME`` and the XDG directories (where keyrings.alt keeps its file) inside
it, and the profile names the keyrings.alt file backend explicitly, so the person's
own profiles, settings and keychain entries are never read or written.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KEYRING_BACKEND", "PROFILE", "DemoPaths", "display_problem"]

PROFILE = "demo"
"""The client profile the demo signs in."""

KEYRING_BACKEND = "keyrings.alt.file.PlaintextKeyring"
"""The demo's tokens go to a plain file in the demo directory: it is thrown away."""

# Qt platform plugins that draw on a screen without X11 or Wayland.
_SCREEN_PLATFORMS = frozenset({"eglfs", "linuxfb", "vnc", "vkkhrdisplay", "directfb"})
# Qt platform plugins that draw nowhere a person could see.
_INVISIBLE_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl"})


@dataclass(frozen=True)
class DemoPaths:
    """The demo's directories under ``root``."""

    root: Path

    @property
    def database(self) -> Path:
        """The one SQLite database both billing servers share."""
        return self.root / "billing.db"

    @property
    def files(self) -> Path:
        """What the gateway serves for downloads."""
        return self.root / "files"

    @property
    def logs(self) -> Path:
        """One log file per server process."""
        return self.root / "logs"

    @property
    def client_home(self) -> Path:
        """``BILLCLIENT_HOME`` of the demo's client."""
        return self.root / "client"

    def create(self) -> None:
        """Make the directories."""
        for directory in (self.files, self.logs, self.client_home, self.root / "xdg-data"):
            directory.mkdir(parents=True, exist_ok=True)
        (self.root / "xdg-config").mkdir(exist_ok=True)

    def client_env(self) -> dict[str, str]:
        """Environment variables that keep a client process inside the demo directory."""
        env = {
            "BILLCLIENT_HOME": str(self.client_home),
            "XDG_DATA_HOME": str(self.root / "xdg-data"),
            "XDG_CONFIG_HOME": str(self.root / "xdg-config"),
            "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND,
        }
        if sys.platform == "win32":  # keyrings.alt keeps its file under LOCALAPPDATA there
            env["LOCALAPPDATA"] = str(self.root / "xdg-data")
        return env


def display_problem(env: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """Why no window could be shown with ``env``, or None when the GUI can open.

    Windows and macOS always have a display. Elsewhere Qt needs X11 (``DISPLAY``),
    Wayland (``WAYLAND_DISPLAY``) or a ``QT_QPA_PLATFORM`` that draws on a screen
    by itself; ``offscreen`` and ``minimal`` draw nowhere a person could see.
    """
    if platform in ("win32", "darwin"):
        return None
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    plugin = requested.split(":", 1)[0].split(";", 1)[0].lower()
    if plugin in _INVISIBLE_PLATFORMS:
        return f"QT_QPA_PLATFORM={requested} shows no window"
    if plugin in _SCREEN_PLATFORMS:
        return None
    if plugin in ("xcb", "") and env.get("DISPLAY"):
        return None
    if plugin in ("wayland", "wayland-egl", "") and env.get("WAYLAND_DISPLAY"):
        return None
    if plugin:
        return f"QT_QPA_PLATFORM={requested} needs a display, and none is set"
    return "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
