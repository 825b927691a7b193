"""The packaging files agree with each other (the build itself: packaging/build.sh)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

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


def test_handheld_linux_phones_list_the_application() -> None:
    """Phosh and Plasma Mobile show an application on a phone when its desktop entry
    declares the mobile form factor; the metainfo says it fits 360 px and takes touch."""
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read(PACKAGING / f"{APP_ID}.desktop", encoding="utf-8")
    factors = desktop["Desktop Entry"]["X-Purism-FormFactor"].rstrip(";").split(";")
    assert factors == ["Workstation", "Mobile"]
    meta = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    length = meta.find("requires/display_length")
    assert length is not None and length.get("compare") == "ge" and length.text == "360"
    assert meta.findtext("recommends/control") == "touch"
    supported = {control.text for control in meta.findall("supports/control")}
    assert supported == {"pointing", "keyboard"}


def test_metainfo_is_valid_appstream() -> None:
    # .ci/run installs appstream; a missing validator is a failure, never a skip
    assert shutil.which("appstreamcli"), "appstreamcli is needed (apt-get install appstream)"
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
