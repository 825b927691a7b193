"""The bundled component, the archive format and the loader (no network)."""

from __future__ import annotations

import shutil
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billclient.component import (
    BUNDLED_COMPONENT_VERSION,
    ComponentError,
    ComponentStore,
    Estimator,
    Meter,
    Pointer,
    build_archive,
    bundled_source,
    load_bundled,
    load_component,
    load_installed,
    read_manifest,
)
from billclient.component.__main__ import main as component_main
from billclient.protocol import Service
from billclient.protocol.component import version_key
from billclient.rating import Rate, charge


def service(unit: str = "second", price: str = "0.02", **rate: object) -> Service:
    return Service.model_validate(
        {
            "service_id": "s1",
            "name": "Service",
            "unit": unit,
            "media": "video",
            "update_interval": 30,
            "grant": 60,
            "rate": {
                "timezone": "Europe/Berlin",
                "price": price,
                "per": 1,
                "increment": 1,
                "first_increment": 1,
                "setup_fee": "0",
                "min_charge": "0",
                "windows": [],
                **rate,
            },
        }
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bundled_component_matches_the_protocol_version() -> None:
    component = load_bundled()
    assert component.version == BUNDLED_COMPONENT_VERSION
    assert component.bundled
    component.self_test()


def test_time_meter_counts_started_seconds_and_ignores_add() -> None:
    clock = FakeClock()
    meter = load_bundled().make_meter(service("second"), clock=clock)
    assert isinstance(meter, Meter)
    meter.start()
    assert meter.used_units() == 0
    clock.now += 0.2
    meter.add(1000)
    assert meter.used_units() == 1
    clock.now += 59.8
    assert meter.used_units() == 60
    meter.stop()
    clock.now += 100
    assert meter.used_units() == 60


@pytest.mark.parametrize("unit", ["byte", "event"])
def test_count_meters_count_reports_until_stopped(unit: str) -> None:
    meter = load_bundled().make_meter(service(unit), clock=FakeClock())
    meter.start()
    meter.add(3)
    meter.add(4)
    with pytest.raises(ValueError, match="non-negative integer"):
        meter.add(-1)
    meter.stop()
    meter.add(10)
    assert meter.used_units() == 7


@given(st.lists(st.integers(min_value=0, max_value=10**12), max_size=30))
def test_count_meter_is_the_sum_of_reports(reports: list[int]) -> None:
    meter = load_bundled().make_meter(service("byte"), clock=FakeClock())
    meter.start()
    for n in reports:
        meter.add(n)
    assert meter.used_units() == sum(reports)


@given(
    units=st.integers(min_value=0, max_value=10**6),
    price=st.sampled_from(["0", "0.02", "0.000001", "1.5"]),
    increment=st.integers(min_value=1, max_value=120),
)
def test_estimator_agrees_with_the_rating_engine(units: int, price: str, increment: int) -> None:
    svc = service("second", price, increment=increment, first_increment=increment)
    started = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    estimator = load_bundled().make_estimator(svc, started)
    assert isinstance(estimator, Estimator)
    rate = Rate.from_text(
        unit="second",
        timezone="Europe/Berlin",
        price=price,
        increment=increment,
        first_increment=increment,
    )
    assert estimator.charge(units) == charge(rate, started, units)


def test_estimator_applies_windows_setup_fee_and_minimum() -> None:
    svc = service(
        "second",
        "0.01",
        setup_fee="0.50",
        min_charge="1",
        windows=[{"days": ["mon"], "start": "00:00", "end": "24:00", "price": "0.02"}],
    )
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    sunday = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    component = load_bundled()
    assert component.make_estimator(svc, monday).charge(100) == 2_500_000
    assert component.make_estimator(svc, sunday).charge(100) == 1_500_000
    assert component.make_estimator(svc, sunday).charge(1) == 1_000_000


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=3))
def test_version_order_is_numeric(parts: list[int]) -> None:
    text = ".".join(map(str, parts))
    bigger = ".".join(map(str, [*parts[:-1], parts[-1] + 1]))
    assert version_key(bigger) > version_key(text)
    assert version_key(text + ".0") == version_key(text)


@pytest.mark.parametrize("bad", ["", "v2", "1..2", "1.2.3.4.5", "../1", "1.0-beta"])
def test_bad_versions_are_refused_in_one_line(bad: str) -> None:
    with pytest.raises(ValueError, match="not a version"):
        version_key(bad)


def install(tmp_path: Path, version: str, source: Path | None = None) -> ComponentStore:
    store = ComponentStore(tmp_path / "data")
    archive = tmp_path / f"c-{version}.zip"
    build_archive(archive, version=version, source=source)
    store.install(archive, version)
    return store


def test_installed_versions_load_under_unique_module_names(tmp_path: Path) -> None:
    store = install(tmp_path, "2.0.0")
    install(tmp_path, "3.0.0")
    assert store.installed() == ["2.0.0", "3.0.0"]
    store.set_pointer(Pointer("3.0.0", "2.0.0"))
    three = load_component(tmp_path / "data")
    two = load_installed(store.version_dir("2.0.0"))
    again = load_component(tmp_path / "data")
    assert (three.version, two.version, again.version) == ("3.0.0", "2.0.0", "3.0.0")
    assert len({three.module, two.module, again.module}) == 3
    assert not any(name.startswith("component") for name in sys.modules)
    clock = FakeClock()
    meter = three.make_meter(service("second"), clock=clock)
    meter.start()
    clock.now += 5
    assert meter.used_units() == 5


def test_without_a_pointer_the_bundled_version_is_used(tmp_path: Path) -> None:
    install(tmp_path, "2.0.0")
    assert load_component(tmp_path / "data").bundled
    assert load_component(None).bundled


def broken_source(tmp_path: Path, selftest: str) -> Path:
    source = tmp_path / "src"
    shutil.copytree(bundled_source(), source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "selftest.py").write_text(selftest, encoding="utf-8")
    return source


def test_a_current_version_that_fails_its_self_test_falls_back(tmp_path: Path) -> None:
    store = install(tmp_path, "2.0.0")
    source = broken_source(tmp_path, "def self_test() -> None:\n    raise RuntimeError('bad')\n")
    install(tmp_path, "3.0.0", source)
    with pytest.raises(ComponentError, match=r"3\.0\.0 failed its self-test: RuntimeError: bad"):
        load_installed(store.version_dir("3.0.0"))
    store.set_pointer(Pointer("3.0.0", "2.0.0"))
    assert load_component(tmp_path / "data").version == "2.0.0"
    store.set_pointer(Pointer("3.0.0", None))
    assert load_component(tmp_path / "data").bundled


def test_a_version_that_does_not_import_is_refused(tmp_path: Path) -> None:
    source = broken_source(tmp_path, "import nonexistent_module_xyz\n")
    store = install(tmp_path, "2.0.0", source)
    before = set(sys.modules)
    with pytest.raises(ComponentError, match="cannot import selftest"):
        load_installed(store.version_dir("2.0.0"))
    assert set(sys.modules) == before


def test_a_version_needing_a_newer_client_is_refused(tmp_path: Path) -> None:
    store = ComponentStore(tmp_path / "data")
    archive = tmp_path / "c.zip"
    build_archive(archive, version="2.0.0", min_client_version="99.0")
    store.install(archive, "2.0.0")
    with pytest.raises(ComponentError, match=r"needs client 99\.0 or newer"):
        load_installed(store.version_dir("2.0.0"))


def test_install_refuses_a_version_mismatch(tmp_path: Path) -> None:
    archive = tmp_path / "c.zip"
    build_archive(archive, version="2.0.0")
    with pytest.raises(ComponentError, match=r"says version 2\.0\.0, but it was published as 3\.0"):
        ComponentStore(tmp_path / "data").install(archive, "3.0")


@pytest.mark.parametrize("name", ["../evil.py", "/abs.py", "other/x.py", "component/../../x.py"])
def test_unpacking_refuses_members_outside_the_package(tmp_path: Path, name: str) -> None:
    archive = tmp_path / "c.zip"
    build_archive(archive, version="2.0.0")
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr(name, "x = 1\n")
    with pytest.raises(ComponentError, match="refusing archive member"):
        ComponentStore(tmp_path / "data").install(archive, "2.0.0")
    assert not (tmp_path / "evil.py").exists()


def test_pointer_survives_only_whole(tmp_path: Path) -> None:
    store = ComponentStore(tmp_path)
    assert store.pointer() is None
    store.set_pointer(Pointer("2.0.0", "1.0.0"))
    assert store.pointer() == Pointer("2.0.0", "1.0.0")
    store.pointer_file.write_text("{garbage", encoding="utf-8")
    assert store.pointer() is None
    assert [p.name for p in store.root.iterdir()] == ["current.json"]


def test_build_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "c.zip"
    assert component_main(["build", str(output), "--version", "2.1.0"]) == 0
    assert capsys.readouterr().out == f"wrote {output}: component 2.1.0\n"
    assert read_manifest(output).version == "2.1.0"
    assert component_main(["build", str(output), "--version", "two"]) == 1
    assert capsys.readouterr().err == (
        f"build: {output}: invalid manifest: version: "
        "not a version (dotted integers such as 2.0.0): 'two'\n"
    )


@given(st.lists(st.floats(min_value=0, max_value=10_000, allow_nan=False), max_size=20))
def test_time_meter_counts_every_started_second_once(steps: list[float]) -> None:
    clock = FakeClock()
    meter = load_bundled().make_meter(service("second"), clock=clock)
    meter.start()
    seen = 0
    for step in steps:
        clock.now += step
        used = meter.used_units()
        assert used >= seen  # cumulative: never goes back
        seen = used
    elapsed = clock.now - 1000.0
    assert isinstance(seen, int)
    assert elapsed - 1e-6 <= seen < elapsed + 1  # whole seconds, a started one counts
    meter.stop()
    clock.now += 50
    assert meter.used_units() == seen
