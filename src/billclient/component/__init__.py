"""The billing component: meters and local charge estimates, and its loader.

``load_component(data_dir)`` returns the current installed version (switched to by
the updater in ``billclient.core.updater`` after TUF verification) or the version
bundled with the client. Component code builds on ``billclient.rating`` and
``billclient.protocol`` only.
"""

from billclient.protocol.versions import BUNDLED_COMPONENT_VERSION

from .api import Clock, Component, ComponentError, Estimator, Meter
from .archive import build_archive, bundled_source, read_manifest
from .loader import load_bundled, load_component, load_installed
from .store import ComponentStore, Pointer

__all__ = [
    "BUNDLED_COMPONENT_VERSION",
    "Clock",
    "Component",
    "ComponentError",
    "ComponentStore",
    "Estimator",
    "Meter",
    "Pointer",
    "build_archive",
    "bundled_source",
    "load_bundled",
    "load_component",
    "load_installed",
    "read_manifest",
]
