"""``python -m billserver`` / the ``billserver`` command."""

from __future__ import annotations

import sys

from .commands import main as _main

__all__ = ["main"]


def main() -> None:
    """Console-script entry point."""
    sys.exit(_main())


if __name__ == "__main__":
    main()
