"""The German translation: complete, compiled from its sources, and in use end to end
(``--lang de``, the setting or the system locale), with money, dates and numbers in
the German locale through Babel."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel, QWidget

import billclient.core.words
import billclient.gui
from billclient.__main__ import _option, _wants_cli
from billclient.core.linkstate import ConnectionState, LinkStatus
from billclient.core.settings import ClientSettings, ProfilePaths
from billclient.gui.app import configure
from billclient.gui.figure_cache import CachedAccount
from billclient.gui.formatting import format_datetime, format_money, format_money_exact
from billclient.gui.language import choose_locale, install_language, language_setting
from billclient.gui.main_window import MainWindow
from billclient.gui.resources import resource_root
from billclient.gui.views.dashboard import DashboardView

from .conftest import Gui

TOOLS = Path(PySide6.__file__).parent
I18N = Path(str(resource_root().joinpath("i18n")))
SOURCE = I18N / "billclient_de.ts"
COMPILED = I18N / "billclient_de.qm"
PLACEHOLDER = re.compile(r"%(?:\d|n)")


def _current_catalogue(tmp_path: Path) -> ET.Element:
    """The committed German catalogue, updated with every string of the sources now."""
    catalogue = tmp_path / SOURCE.name
    shutil.copy(SOURCE, catalogue)
    sources = sorted(
        str(path)
        for package in (billclient.gui, billclient.core.words)  # the shared words too
        for path in Path(package.__file__ or "").parent.rglob("*.py")
    )
    options = ["-no-obsolete", "-locations", "none", "-ts", str(catalogue)]
    result = subprocess.run(
        [str(TOOLS / "lupdate"), *sources, *options],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return ET.parse(catalogue).getroot()


def test_every_source_string_has_a_german_translation(tmp_path: Path) -> None:
    root = _current_catalogue(tmp_path)
    problems = []
    count = 0
    for context in root.iter("context"):
        name = context.findtext("name")
        for message in context.iter("message"):
            count += 1
            source = message.findtext("source") or ""
            translation = message.find("translation")
            forms = [] if translation is None else [f.text or "" for f in translation]
            texts = forms or ([] if translation is None else [translation.text or ""])
            if translation is None or translation.get("type") in ("unfinished", "vanished"):
                problems.append(f"{name}: {source!r} is not translated")
                continue
            for text in texts:
                if not text.strip() and source.strip():
                    problems.append(f"{name}: {source!r} has an empty translation")
                if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
                    problems.append(f"{name}: {source!r} -> {text!r} changes the placeholders")
                if "&" in source and "&" not in text:
                    problems.append(f"{name}: {source!r} -> {text!r} loses its shortcut key")
    assert count > 500
    assert problems == []


def test_the_compiled_catalogue_is_current(tmp_path: Path) -> None:
    built = tmp_path / COMPILED.name
    result = subprocess.run(
        [str(TOOLS / "lrelease"), str(SOURCE), "-qm", str(built)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert built.read_bytes() == COMPILED.read_bytes(), (
        "resources/i18n/billclient_de.qm is stale: run pyside6-lrelease on the .ts"
    )


def _cut_labels(page: QWidget, window: QWidget) -> list[str]:
    """Visible one-line labels of ``page`` narrower than their text or reaching past the
    window's right edge."""
    cut = []
    for label in page.findChildren(QLabel):
        if not label.isVisible() or label.wordWrap() or not label.text():
            continue
        right = label.mapTo(window, label.rect().topRight()).x()
        if label.width() < label.sizeHint().width() or right >= window.width():
            cut.append(f"{label.text()!r}: {label.width()} of {label.sizeHint().width()} px")
    return cut


def test_the_window_speaks_german(gui: Gui, home: Path, qapp: QApplication) -> None:
    ctx = gui.context(home)
    try:
        locale = install_language(qapp, "de")
        assert locale.language() == QLocale.Language.German
        assert QCoreApplication.translate("MainWindow", "Services") == "Dienste"
        window = MainWindow(ctx)
        titles = [item.text() for item in window.nav.page_items()]
        assert titles[:3] == ["Übersicht", "Dienste", "Verlauf"]
        assert format_money(1_500_000, "EUR") == "1,50\xa0€"
        assert format_money(14_901_000, "EUR") == "14,90\xa0€"  # the currency's minor units
        assert format_money(12_345_678_900, "EUR") == "12.345,68\xa0€"
        assert format_money_exact(12_345_678_900, "EUR") == "12.345,6789\xa0€"  # a live meter
        moment = datetime(2026, 3, 4, 14, 5, 9, tzinfo=UTC)
        assert "04.03.2026" in format_datetime(moment, UTC)

        # on a 360 px phone the German words fit: the bottom bar shows whole titles or
        # the icons alone, and the dashboard's cards stay on the screen
        window.show()
        window.resize(360, 640)
        qapp.processEvents()
        assert window.is_compact()
        dashboard = window.page("dashboard")
        assert isinstance(dashboard, DashboardView)
        account = CachedAccount("Alice Example", "active", "prepaid", "EUR", 28_810_000, 0, 0, 0)
        dashboard.show_cached(account, datetime.now(UTC))
        server = "http://127.0.0.1:34677"
        dashboard.connection._on_connection(  # what the live stream reports
            ConnectionState(LinkStatus.LIVE, datetime.now(UTC), server)
        )
        assert dashboard.connection.text() == "Live auf dem Hauptserver"
        assert dashboard.kind.text() == "Vorausbezahlt"
        for _ in range(3):
            qapp.processEvents()
        cut = _cut_labels(dashboard, window)
        assert not cut, "\n".join(cut)
        nav = window.nav
        metrics = QFontMetrics(nav.font())
        for index, (item, title) in enumerate(zip(nav.page_items(), nav.titles(), strict=True)):
            assert item.data(Qt.ItemDataRole.AccessibleTextRole) == title
            shown = item.text()
            assert shown in ("", title)
            assert metrics.horizontalAdvance(shown) <= nav.item_size(index).width() - 4, title
        window.resize(1000, 640)
        qapp.processEvents()
        assert [item.text() for item in nav.page_items()] == nav.titles()
        window.close()
    finally:
        configure(qapp)  # back to the system's language for the tests after this one
    assert QCoreApplication.translate("MainWindow", "Services") == "Services"


def test_the_language_comes_from_the_option_the_setting_or_the_system(home: Path) -> None:
    assert not _wants_cli(["--lang", "de"])
    assert not _wants_cli(["--lang=de", "--profile", "work"])
    assert _wants_cli(["--lang", "de", "status"])
    assert _option(["--profile", "work", "--lang", "de"], "--lang") == "de"
    assert _option(["--lang=de"], "--lang") == "de"
    assert language_setting("default") is None
    paths = ProfilePaths.for_profile("default", home)
    settings = ClientSettings.load(paths)
    settings.language = "de"
    settings.save(paths)
    assert language_setting("default") == "de"
    system = QLocale(QLocale.Language.German, QLocale.Country.Austria)
    assert choose_locale("de", system).name() == "de_AT"
    assert choose_locale("de", QLocale("en_US")).name() == "de_DE"
    assert choose_locale(None, system).name() == "de_AT"


@pytest.mark.parametrize("bad", ["deutsch", "d", "de_DE_x"])
def test_a_bad_language_setting_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="language"):
        ClientSettings(language=bad)
