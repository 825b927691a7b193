"""Which language the GUI speaks, and loading its translations.

The language comes from ``--lang`` (``billclient --lang de``), else the profile's
``language`` setting (Settings page), else the system locale. Qt's translations of the
application (``resources/i18n/billclient_<lang>.qm``, built from the ``.ts`` sources
beside them) and of Qt's own dialogs are installed, and the same locale formats money,
dates and numbers through Babel (:func:`billclient.gui.formatting.set_locale`).
Read before the window is built, with :mod:`json` only (no pydantic at start-up).
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from billclient.core.paths import ProfilePaths

from .formatting import set_locale
from .resources import resource_root

__all__ = ["LANGUAGES", "choose_locale", "install_language", "language_setting"]

_log = logging.getLogger(__name__)

LANGUAGES = {"en": "English", "de": "Deutsch"}
"""The languages the GUI ships, by code, each named in itself."""


def language_setting(profile: str) -> str | None:
    """The profile's ``language`` setting, read with json only (None: not set)."""
    try:
        paths = ProfilePaths.for_profile(profile)
        data = json.loads(paths.config_file.read_text(encoding="utf-8"))
    except Exception:  # unreadable, not JSON, a bad profile name: the core says so later
        return None
    value = data.get("language") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def choose_locale(language: str | None, system: QLocale | None = None) -> QLocale:
    """The locale for ``language`` (``"de"``, ``"de_AT"``), or the system's when None.

    A bare language keeps the system's region when it is the system's language (German
    on an Austrian system formats as ``de_AT``)."""
    system = system if system is not None else QLocale.system()
    if not language:
        return system
    wanted = QLocale(language.replace("-", "_"))
    if "_" not in language and "-" not in language and wanted.language() == system.language():
        return system
    return wanted


def install_language(app: QApplication, language: str | None) -> QLocale:
    """Install the translations for ``language`` (None: the system's) and set the Qt and
    Babel locales; returns the locale in use. A language without a translation shows
    English text, still formatted in that locale."""
    locale = choose_locale(language)
    QLocale.setDefault(locale)
    name = locale.name()
    set_locale(None if name in ("C", "") else name)
    for translator in app.findChildren(QTranslator):
        app.removeTranslator(translator)
        translator.deleteLater()
    if locale.language() in (QLocale.Language.C, QLocale.Language.English):
        return locale
    own = QTranslator(app)
    folder = resource_root().joinpath("i18n")
    if folder.is_dir() and own.load(locale, "billclient", "_", str(folder)):
        app.installTranslator(own)
    else:
        _log.info("no translation of the application for %s", name)
    qt = QTranslator(app)
    if qt.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
    return locale
