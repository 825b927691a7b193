"""``python -m billclient.component build OUTPUT --version V [--source DIR]``: make an archive."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .api import ComponentError
from .archive import build_archive


def main(argv: Sequence[str] | None = None) -> int:
    """Build a component archive; exit status 0, or 1 with one line on stderr."""
    parser = argparse.ArgumentParser(
        prog="python -m billclient.component", description="Billing component archives."
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="make a component archive from a package directory")
    build.add_argument("output", type=Path, metavar="OUTPUT.zip")
    build.add_argument("--version", required=True, help="the version the archive carries")
    build.add_argument(
        "--source", type=Path, help="package directory with manifest.json (default: bundled)"
    )
    build.add_argument("--min-client", help="oldest client version it runs on")
    args = parser.parse_args(argv)
    try:
        manifest = build_archive(
            args.output,
            version=args.version,
            min_client_version=args.min_client,
            source=args.source,
        )
    except (ComponentError, ValueError, OSError) as exc:
        print(f"build: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}: component {manifest.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
