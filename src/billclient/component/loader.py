"""Loading a component: the bundled one, or an installed version via importlib.

Each installed version is imported as a package of its own unique module name
(``billclient_component_2_0_0_<random>``), so two versions (or two loads of one)
never share modules. A version whose manifest asks for a newer client, whose
code does not import, or whose self-test fails is not used.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import secrets
import sys
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from billclient import __version__ as CLIENT_VERSION
from billclient.protocol.component import ARCHIVE_MANIFEST, ComponentManifest, version_key
from billclient.protocol.versions import BUNDLED_COMPONENT_VERSION

from .api import Component, ComponentError
from .archive import parse_manifest
from .store import ComponentStore

__all__ = ["load_bundled", "load_component", "load_installed"]

log = logging.getLogger("billclient.component")

_BUNDLED_PACKAGE = "billclient.component.bundled"


def _resolve(package: str, entry: str, where: str) -> Callable[..., Any]:
    module_name, _, attribute = entry.partition(":")
    try:
        module = importlib.import_module(f"{package}.{module_name}")
    except Exception as exc:
        raise ComponentError(
            f"{where}: cannot import {module_name}: {type(exc).__name__}: {exc}"
        ) from exc
    target = getattr(module, attribute, None)
    if not callable(target):
        raise ComponentError(f"{where}: entry point {entry} is not a function")
    return target  # type: ignore[no-any-return]


def _build(manifest: ComponentManifest, package: str, where: str, path: Path | None) -> Component:
    points = manifest.entry_points
    return Component(
        version=manifest.version,
        make_meter=_resolve(package, points.meter, where),
        make_estimator=_resolve(package, points.estimator, where),
        self_test=_resolve(package, points.self_test, where),
        path=path,
        module=package,
    )


def _check_client(manifest: ComponentManifest, where: str) -> None:
    if version_key(manifest.min_client_version) > version_key(CLIENT_VERSION):
        raise ComponentError(
            f"{where}: needs client {manifest.min_client_version} or newer "
            f"(this is {CLIENT_VERSION}); update the client"
        )


def load_bundled() -> Component:
    """The component shipped inside the client package."""
    raw = files(_BUNDLED_PACKAGE).joinpath(ARCHIVE_MANIFEST).read_bytes()
    manifest = parse_manifest(raw, "bundled component")
    return _build(manifest, _BUNDLED_PACKAGE, "bundled component", None)


def load_installed(directory: Path, *, self_test: bool = True) -> Component:
    """Import the version installed in ``directory`` under a unique module name.

    Runs its self-test unless ``self_test`` is False. ComponentError (one line)
    when the manifest is missing or invalid, the version needs a newer client, its
    code fails to import or its self-test fails.
    """
    where = f"component {directory.name}"
    try:
        raw = (directory / ARCHIVE_MANIFEST).read_bytes()
    except OSError as exc:
        raise ComponentError(f"{where}: cannot read its manifest ({exc.strerror})") from None
    manifest = parse_manifest(raw, where)
    if manifest.version != directory.name:
        raise ComponentError(f"{where}: its manifest says version {manifest.version}")
    _check_client(manifest, where)
    init = directory / manifest.package / "__init__.py"
    safe = manifest.version.replace(".", "_")
    name = f"billclient_component_{safe}_{secrets.token_hex(4)}"
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(init.parent)]
    )
    if spec is None or spec.loader is None:
        raise ComponentError(f"{where}: {init} is not importable")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        component = _build(manifest, name, where, directory)
        if self_test:
            component.self_test()
    except BaseException as exc:
        _forget(name)
        if isinstance(exc, ComponentError):
            raise
        if not isinstance(exc, Exception):
            raise
        raise ComponentError(f"{where}: cannot import it: {type(exc).__name__}: {exc}") from exc
    return component


def _forget(name: str) -> None:
    """Drop a failed version's modules so nothing of it stays importable."""
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


def load_component(data_dir: Path | None = None) -> Component:
    """The current installed, verified version under ``data_dir``, else the bundled one.

    The current version is the one the updater switched to (its pointer file). If
    it no longer loads or passes its self-test, the previous version is tried,
    then the bundled one; each failure is logged, never raised.
    """
    if data_dir is None:
        return load_bundled()
    store = ComponentStore(data_dir)
    pointer = store.pointer()
    if pointer is None:
        return load_bundled()
    for version in (pointer.version, pointer.previous):
        if version is None or version == BUNDLED_COMPONENT_VERSION:
            break
        try:
            return load_installed(store.version_dir(version))
        except (ComponentError, ValueError) as exc:
            log.warning("component %s not used: %s", version, exc)
    return load_bundled()
