"""billclient.gui: the Qt front end (the only package that imports PySide6 / qasync)."""

from .none_guard import guard_none
from .source_scan import skip_source_scan

guard_none()  # before any PySide6 call: see none_guard (PySide6 6.12 on Python 3.11)
skip_source_scan()  # before PySide6 is imported: see source_scan
