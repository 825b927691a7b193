"""The packaging files agree with each other (the build itself: packaging/build.sh)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[1] / "packaging"
APP_ID = "org.billclient.Billing"


def test_desktop_entry_and_metainfo_name_the_same_application() -> None:
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read(PACKAGING / f"{APP_ID}.desktop", encoding="utf-8")
    entry = desktop["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"] == entry["TryExec"] == "billclient"
    assert entry["Icon"] == APP_ID
    meta = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    assert meta.findtext("id") == APP_ID
    assert meta.findtext("launchable") == f"{APP_ID}.desktop"
    assert meta.findtext("provides/binary") == "billclient"


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_metainfo_is_valid_appstream() -> None:
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(PACKAGING / f"{APP_ID}.metainfo.xml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_spec_builds_the_client_only() -> None:
    spec = (PACKAGING / "billclient.spec").read_text(encoding="utf-8")
    assert '"billserver",' in spec  # excluded
    assert 'collect_submodules("billclient")' in spec
    assert '"billclient/resources"' in spec
    build = (PACKAGING / "build.sh").read_text(encoding="utf-8")
    assert "--smoke-screenshot" in build and "--version" in build
