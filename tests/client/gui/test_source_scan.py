"""PySide6 reads the source of every module imported after it and keeps it in linecache;
billclient.gui tells it beforehand which modules do not use Qt (gui/source_scan.py)."""

from __future__ import annotations

import json
import subprocess
import sys

# Run in a fresh interpreter: this one imported its modules long ago.
_PROBE = """
import json, linecache, sys
{first}
import PySide6.QtWidgets
from email.message import Message  # not imported yet, and no Qt in them
from http.cookiejar import CookieJar
from billclient.gui.widgets.badge import Badge  # uses Qt
table = sys.modules["shibokensupport.feature"].pyside_feature_dict
kept = [name for name in linecache.cache if name.endswith(("email/message.py", "cookiejar.py"))]
print(json.dumps({{
    "kept": kept,
    "email": table.get("email.message"),
    "badge": table.get("billclient.gui.widgets.badge"),
}}))
"""


def _probe(first: str) -> dict[str, object]:
    answer = subprocess.run(
        [sys.executable, "-c", _PROBE.format(first=first)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


def test_pyside_keeps_the_source_of_modules_imported_after_it() -> None:
    # the behaviour worked around: without billclient.gui first, the source stays
    seen = _probe("import linecache")
    assert len(seen["kept"]) == 2  # type: ignore[arg-type]
    assert seen["email"] == -1


def test_the_gui_package_spares_modules_without_qt_the_reading() -> None:
    seen = _probe("import billclient.gui")
    assert seen["kept"] == []
    assert seen["email"] == -1  # what PySide6's own reading would have decided
    assert seen["badge"] == 0  # a module using Qt: PySide6 still reads it
