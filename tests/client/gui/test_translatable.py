"""Every string of the GUI can be extracted for translation (Qt's own pyside6-lupdate)."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import PySide6

import billclient.core.words
import billclient.gui

LUPDATE = Path(PySide6.__file__).parent / "lupdate"


def test_lupdate_finds_the_strings_of_every_module(tmp_path: Path) -> None:
    # the GUI's own strings, and the words it shares with the terminal client
    sources = sorted(
        str(path)
        for package in (billclient.gui, billclient.core.words)
        for path in Path(package.__file__ or "").parent.rglob("*.py")
    )
    catalogue = tmp_path / "billclient.ts"
    result = subprocess.run(
        [str(LUPDATE), *sources, "-ts", str(catalogue)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    root = ET.parse(catalogue).getroot()
    messages = {
        context.findtext("name"): {m.findtext("source") for m in context.iter("message")}
        for context in root.iter("context")
    }
    for name in (
        "formatting", "price", "explain", "Tray", "ConnectionIndicator", "SignInDialog",
        "MainWindow", "DashboardView", "ServicesView", "SessionCard", "AdviceDialog",
        "NavBar", "BalanceChart", "AppShell", "GuiContext",
        "InvoicesView", "InvoiceDetail", "InvoiceTableModel", "PayInvoiceDialog",
    ):  # fmt: skip
        assert messages.get(name), f"no strings extracted for {name}"
    assert "%1 h %2 min" in messages["formatting"]
    assert "billed %1" in messages["price"]
    assert "Wrong login or password." in messages["SignInDialog"]
    assert "Low balance" in messages["Tray"]
    assert "Live on secondary" in messages["ConnectionIndicator"]
    assert "You stopped it." in messages["explain"]
    assert "Overdue" in messages["InvoiceTableModel"]
    assert "Visa test card (pays)" in messages["PayInvoiceDialog"]
    assert "Saved to %1 (no PDF viewer could open it)." in messages["InvoicesView"]
    assert "Payments received (not part of the total)" in messages["InvoiceDetail"]
