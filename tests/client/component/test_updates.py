"""Signed component updates end to end: a real server serves a real TUF repository.

One billing server (SQLite) serves ``--updates-repo``, a symlink each test points at
its own freshly keyed repository. The client side is the real updater
(``billclient.core.updater``) with the TUF root pinned from the test deployment.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, TargetFile, Targets

from billclient.component import ComponentStore, build_archive, load_component
from billclient.core.updater import (
    ComponentUpdater,
    UpdateStatus,
    apply_update,
    check_for_update,
    pin_root,
)
from billclient.protocol import Service
from billserver.components.repository import archive_target
from tests.client.cli.helpers import Cli
from tests.support.catalogs import account, write_catalog
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess, free_port, run_billserver
from tests.support.updates import Deployment, broken_source, point

SERVICE = Service.model_validate(
    {
        "service_id": "video",
        "name": "Video",
        "unit": "second",
        "media": "video",
        "update_interval": 30,
        "grant": 60,
        "rate": {
            "timezone": "UTC",
            "price": "0.01",
            "per": 1,
            "increment": 1,
            "first_increment": 1,
            "setup_fee": "0",
            "min_charge": "0",
            "windows": [],
        },
    }
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Path]]:
    """A billing server serving whatever repository the ``repo`` symlink names."""
    directory = tmp_path_factory.mktemp("updates")
    link = directory / "repo"
    empty = directory / "empty"
    empty.mkdir()
    point(link, empty)
    factory = ServerFactory(directory)
    try:
        process = factory.start("primary", "--updates-repo", str(link))
        yield process, link
    finally:
        factory.close()


class Client:
    """A client profile's data dir and its updater against the test server."""

    def __init__(self, data_dir: Path, servers: list[str], root: bytes) -> None:
        self.data_dir = data_dir
        self.servers = servers
        asyncio.run(pin_root(data_dir, lambda: self.servers, root=root))

    def updater(self, **kwargs: object) -> ComponentUpdater:
        return ComponentUpdater(self.data_dir, lambda: self.servers, **kwargs)  # type: ignore[arg-type]

    def apply(self) -> tuple[UpdateStatus, str, str]:
        result = asyncio.run(apply_update(self.data_dir, lambda: self.servers))
        return result.status, result.current, result.message

    def check(self) -> tuple[UpdateStatus, str | None, str]:
        result = asyncio.run(check_for_update(self.data_dir, lambda: self.servers))
        return result.status, result.offered, result.message

    def assert_running(self, version: str) -> None:
        """The installed version loads, passes its self-test and meters."""
        component = load_component(self.data_dir)
        assert component.version == version
        component.self_test()
        now = [0.0]
        meter = component.make_meter(SERVICE, clock=lambda: now[0])
        meter.start()
        now[0] = 12.0
        assert meter.used_units() == 12


@pytest.fixture
def deployment(tmp_path: Path, server: tuple[ServerProcess, Path]) -> Deployment:
    deployed = Deployment(tmp_path / "deploy")
    point(server[1], deployed.repo.path)
    return deployed


@pytest.fixture
def client(tmp_path: Path, server: tuple[ServerProcess, Path], deployment: Deployment) -> Client:
    dead = f"http://127.0.0.1:{free_port()}"  # tried first, refuses connections
    return Client(tmp_path / "client", [dead, server[0].url], deployment.root)


def at_v2(deployment: Deployment, client: Client) -> None:
    deployment.publish("2.0.0")
    assert client.apply()[:2] == (UpdateStatus.UPDATED, "2.0.0")


def test_client_moves_to_v2_then_v3(deployment: Deployment, client: Client) -> None:
    client.assert_running("1.0.0")
    deployment.publish("2.0.0")
    assert client.check() == (
        UpdateStatus.AVAILABLE,
        "2.0.0",
        "component 2.0.0 is available (installed: 1.0.0)",
    )
    assert client.apply() == (
        UpdateStatus.UPDATED,
        "2.0.0",
        "component updated from 1.0.0 to 2.0.0",
    )
    client.assert_running("2.0.0")
    deployment.publish("3.0.0")
    assert client.apply()[:2] == (UpdateStatus.UPDATED, "3.0.0")
    client.assert_running("3.0.0")
    assert client.check()[0] == UpdateStatus.UP_TO_DATE
    store = ComponentStore(client.data_dir)
    assert store.installed() == ["2.0.0", "3.0.0"]
    assert store.pointer() is not None and store.pointer().previous == "2.0.0"  # type: ignore[union-attr]


def test_nothing_published_answers_clearly(deployment: Deployment, client: Client) -> None:
    status, _, message = client.apply()
    assert status == UpdateStatus.FAILED
    assert "timestamp.json: HTTP 404" in message
    client.assert_running("1.0.0")


def test_a_tampered_archive_is_refused(deployment: Deployment, client: Client) -> None:
    at_v2(deployment, client)
    deployment.publish("3.0.0")
    target = next(deployment.repo.targets_dir.glob(f"*.{archive_target('3.0.0')}"))
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    status, current, message = client.apply()
    assert (status, current) == (UpdateStatus.REFUSED, "2.0.0")
    assert message.startswith("refused: the download does not match its signed length and hash")
    client.assert_running("2.0.0")


def test_a_target_signed_with_a_wrong_key_is_refused(
    deployment: Deployment, client: Client
) -> None:
    at_v2(deployment, client)
    archive = deployment.archive("3.0.0")
    targets = deployment.repo.targets()
    entry = TargetFile.from_data(archive_target("3.0.0"), archive.read_bytes(), ["sha256"])
    entry.unrecognized_fields["custom"] = {"version": "3.0.0", "min_client_version": "0.1.0"}
    targets.signed.targets[archive_target("3.0.0")] = entry
    digest = entry.hashes["sha256"]
    (deployment.repo.targets_dir / f"{digest}.{archive_target('3.0.0')}").write_bytes(
        archive.read_bytes()
    )
    deployment.forge_targets(targets, CryptoSigner.generate_ed25519())
    status, current, message = client.apply()
    assert (status, current) == (UpdateStatus.REFUSED, "2.0.0")
    assert message.startswith("refused: update metadata not signed by a trusted key")
    assert "targets" in message
    client.assert_running("2.0.0")


def test_a_replayed_old_timestamp_is_refused(deployment: Deployment, client: Client) -> None:
    at_v2(deployment, client)
    old = deployment.read("timestamp.json")
    deployment.publish("3.0.0")
    assert client.check()[:2] == (UpdateStatus.AVAILABLE, "3.0.0")  # it saw the new one
    deployment.write("timestamp.json", old)  # freeze: the mirror replays what it had
    status, current, message = client.apply()
    assert (status, current) == (UpdateStatus.REFUSED, "2.0.0")
    assert message.startswith("refused: the servers offer older update metadata")
    assert "timestamp" in message
    client.assert_running("2.0.0")


def test_a_rollback_to_older_metadata_or_version_is_refused(
    deployment: Deployment, client: Client
) -> None:
    at_v2(deployment, client)
    v2_snapshot = deployment.snapshot_version()
    v2_targets = Metadata[Targets].from_bytes(deployment.read("1.targets.json"))
    deployment.publish("3.0.0")
    assert client.apply()[:2] == (UpdateStatus.UPDATED, "3.0.0")
    # the v2 repository state behind a fresh timestamp (the timestamp key is online)
    deployment.forge_timestamp(v2_snapshot)
    status, current, message = client.apply()
    assert (status, current) == (UpdateStatus.REFUSED, "3.0.0")
    assert message.startswith("refused: the servers offer older update metadata")
    assert "snapshot" in message
    client.assert_running("3.0.0")
    # every online key stolen: validly signed newer metadata naming version 2 as latest
    deployment.forge_timestamp(deployment.snapshot_version() + 1)  # undo the replay first
    deployment.forge_targets(
        v2_targets_as_newer(deployment, v2_targets), deployment.signer("targets")
    )
    status, current, message = client.apply()
    assert (status, current) == (UpdateStatus.REFUSED, "3.0.0")
    assert message == (
        "refused: the servers offer component 2.0.0, older than the installed 3.0.0 "
        "(rollback attack?)"
    )
    client.assert_running("3.0.0")


def v2_targets_as_newer(deployment: Deployment, v2: Metadata[Targets]) -> Metadata[Targets]:
    current = deployment.repo.targets()
    v2.signed.version = current.signed.version
    return v2


def test_expired_metadata_is_refused_until_re_signed(
    deployment: Deployment, client: Client
) -> None:
    at_v2(deployment, client)
    deployment.publish("3.0.0", timestamp_lifetime=timedelta(seconds=1))
    time.sleep(1.5)
    status, current, message = client.apply()
    assert (status, current) == (UpdateStatus.REFUSED, "2.0.0")
    assert message.startswith("refused: the update metadata has expired")
    client.assert_running("2.0.0")
    deployment.repo.resign_timestamp(deployment.signer("timestamp"))
    assert client.apply()[:2] == (UpdateStatus.UPDATED, "3.0.0")


def test_a_version_failing_its_self_test_is_rolled_back(
    deployment: Deployment, client: Client, tmp_path: Path
) -> None:
    at_v2(deployment, client)
    bad = broken_source(tmp_path, "def self_test() -> None:\n    raise AssertionError('1 != 2')\n")
    deployment.publish("3.0.0", source=bad)
    status, current, message = client.apply()
    assert (status, current) == (UpdateStatus.ROLLED_BACK, "2.0.0")
    assert message == (
        "component 3.0.0 was rolled back to 2.0.0: "
        "component 3.0.0 failed its self-test: AssertionError: 1 != 2"
    )
    client.assert_running("2.0.0")
    assert ComponentStore(client.data_dir).pointer().version == "2.0.0"  # type: ignore[union-attr]
    assert client.apply() == (  # not tried again and again
        UpdateStatus.REFUSED,
        "2.0.0",
        "component 3.0.0 failed before (component 3.0.0 failed its self-test: "
        "AssertionError: 1 != 2); staying on 2.0.0 until a newer version is published",
    )
    deployment.publish("3.0.1")
    assert client.apply()[:2] == (UpdateStatus.UPDATED, "3.0.1")


def test_the_first_update_rolls_back_to_the_bundled_version(
    deployment: Deployment, client: Client, tmp_path: Path
) -> None:
    bad = broken_source(tmp_path, "import no_such_module_here\n")
    deployment.publish("2.0.0", source=bad)
    status, current, message = client.apply()
    assert (status, current) == (UpdateStatus.ROLLED_BACK, "1.0.0")
    assert "cannot import selftest: ModuleNotFoundError" in message
    assert ComponentStore(client.data_dir).pointer() is None
    client.assert_running("1.0.0")


def test_an_update_waits_for_the_running_session(deployment: Deployment, client: Client) -> None:
    at_v2(deployment, client)
    deployment.publish("3.0.0")

    async def scenario() -> None:
        idle = asyncio.Event()
        switched: list[str] = []

        async def sessions_idle() -> None:
            await idle.wait()

        updater = client.updater(
            sessions_idle=sessions_idle, on_switch=lambda c: switched.append(c.version)
        )
        component = updater.current
        assert component.version == "2.0.0"
        now = [0.0]
        meter = component.make_meter(SERVICE, clock=lambda: now[0])  # the running session
        meter.start()
        task = asyncio.create_task(updater.apply())
        store = ComponentStore(client.data_dir)
        for _ in range(200):
            if "3.0.0" in store.installed():
                break
            await asyncio.sleep(0.05)
        assert "3.0.0" in store.installed()  # downloaded and verified meanwhile
        await asyncio.sleep(0.1)
        assert not task.done()
        assert store.pointer().version == "2.0.0"  # type: ignore[union-attr]
        assert updater.current is component
        now[0] = 30.0
        assert meter.used_units() == 30
        meter.stop()
        idle.set()  # the session ended
        result = await task
        assert (result.status, result.current) == (UpdateStatus.UPDATED, "3.0.0")
        assert switched == ["3.0.0"]
        assert updater.current.version == "3.0.0"

    asyncio.run(scenario())
    client.assert_running("3.0.0")


def test_a_component_needing_a_newer_client_is_refused(
    deployment: Deployment, client: Client
) -> None:
    at_v2(deployment, client)
    archive = deployment.directory / "needs.zip"
    build_archive(archive, version="3.0.0", min_client_version="99.0")
    deployment.repo.publish(archive, "3.0.0", deployment.keys)
    status, current, message = client.apply()
    assert (status, current) == (UpdateStatus.REFUSED, "2.0.0")
    assert message.endswith("needs client 99.0 or newer (this is 0.1.0): update the client")


def test_the_root_is_pinned_on_first_use_only(
    deployment: Deployment, server: tuple[ServerProcess, Path], tmp_path: Path
) -> None:
    data_dir = tmp_path / "fresh"
    servers = [server[0].url]
    deployment.publish("2.0.0")
    unpinned = asyncio.run(check_for_update(data_dir, lambda: servers))
    assert unpinned.status == UpdateStatus.REFUSED
    assert unpinned.message.startswith("refused: no trusted update root")
    assert asyncio.run(pin_root(data_dir, lambda: servers)) is True  # trust on first use
    pinned = data_dir / "component" / "tuf" / "metadata" / "root.json"
    assert pinned.read_bytes() == deployment.root
    assert asyncio.run(pin_root(data_dir, lambda: servers, root=b"{}")) is False  # kept
    result = asyncio.run(apply_update(data_dir, lambda: servers))
    assert (result.status, result.current) == (UpdateStatus.UPDATED, "2.0.0")


def test_a_profile_signed_in_before_the_first_release_can_check_later(
    server: tuple[ServerProcess, Path], tmp_path: Path
) -> None:
    """billclient update pins the root on first use when sign-in found none to pin."""
    process, link = server
    empty = tmp_path / "nothing-published"
    empty.mkdir()
    point(link, empty)
    catalog = write_catalog(tmp_path / "catalog.toml", [account("early")])
    assert run_billserver("import", str(catalog), "--db", process.db_url).returncode == 0
    cli = Cli(tmp_path / "cli")
    cli.login("early", [process.url])
    profile_data = cli.home / "profiles" / "default" / "data"
    assert not (profile_data / "component" / "tuf" / "metadata" / "root.json").exists()
    deployed = Deployment(tmp_path / "deploy")
    deployed.publish("2.0.0")
    point(link, deployed.repo.path)
    checked = cli.run("update", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "2.0.0" in checked.stdout and "sign in again" not in checked.stdout
    pinned = profile_data / "component" / "tuf" / "metadata" / "root.json"
    assert pinned.read_bytes() == deployed.root
