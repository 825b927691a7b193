"""The server side of component updates: keys, publishing, serving, re-signing.

The ``billserver component`` commands run in-process through the real CLI entry
point (``billserver.commands.main``) to spare a Python start per command; the servers
are real processes.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tuf.api.metadata import Metadata, Root, Timestamp

from billclient.component import build_archive
from billserver.commands import main
from billserver.components.keys import generate_keys, load_signer
from billserver.components.repository import Repository
from billserver.components.resign import resign_once
from billserver.config import ServerSettings
from billserver.db import make_engine
from billserver.migrations.upgrade import upgrade
from tests.support.api import Api, problem
from tests.support.catalogs import account, write_catalog
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run ``billserver ARGV`` in-process: exit status and output (stdout + stderr)."""
    code = main(list(argv))
    out = capsys.readouterr()
    return code, (out.out + out.err).strip()


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Servers on one SQLite database (the repository does not depend on the engine)."""
    servers = ServerFactory(tmp_path_factory.mktemp("updates"))
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture(scope="module")
def setup(factory: ServerFactory) -> dict[str, Path]:
    directory = factory.directory
    keys, repo = directory / "keys", directory / "repo"
    assert main(["component", "init-keys", str(keys)]) == 0
    return {"dir": directory, "keys": keys, "repo": repo}


@pytest.fixture(scope="module")
def resigner(setup: dict[str, Path], factory: ServerFactory) -> ServerProcess:
    """A server serving the repository and re-signing its timestamp (lifetime 2 s)."""
    catalog = write_catalog(setup["dir"] / "catalog.toml", [account("reg", "10")])
    return factory.start(
        "resigner",
        "--catalog",
        str(catalog),
        "--updates-repo",
        str(setup["repo"]),
        "--updates-timestamp-key",
        str(setup["keys"] / "timestamp.key"),
        "--updates-timestamp-lifetime",
        "2",
        "--updates-resign-interval",
        "0.2",
    )


def archive(directory: Path, version: str) -> Path:
    path = directory / f"c-{version}.zip"
    build_archive(path, version=version)
    return path


def publish(
    capsys: pytest.CaptureFixture[str], setup: dict[str, Path], version: str, *extra: str
) -> tuple[int, str]:
    return cli(
        capsys,
        "component",
        "publish",
        str(archive(setup["dir"], version)),
        "--version",
        version,
        "--keys",
        str(setup["keys"]),
        "--repo",
        str(setup["repo"]),
        *extra,
    )


def test_init_keys_writes_private_keys_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    code, out = cli(capsys, "component", "init-keys", str(keys))
    assert code == 0
    assert f"Keep {keys / 'root.key'} OFFLINE" in out
    setup = {"keys": keys}
    for role in ("root", "targets", "snapshot", "timestamp"):
        mode = stat.S_IMODE(os.stat(setup["keys"] / f"{role}.key").st_mode)
        assert mode == 0o600
    root = Metadata[Root].from_file(str(setup["keys"] / "root.json"))
    root.verify_delegate("root", root)
    assert cli(capsys, "component", "init-keys", str(setup["keys"])) == (
        1,
        f"billserver component: {setup['keys']} already holds keys "
        "(root, targets, snapshot, timestamp)",
    )


def test_publish_serve_and_register(
    setup: dict[str, Path],
    factory: ServerFactory,
    resigner: ServerProcess,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # nothing published yet: nothing to serve, registration names the bundled version
    problem(httpx.get(resigner.url + "/v1/updates/metadata/timestamp.json"), 404, "not_found")
    assert Api(resigner.url, "reg").registration["component"]["version"] == "1.0.0"

    code, out = publish(capsys, setup, "2.0.0")
    assert code == 0, out
    assert out.startswith(
        f"published component 2.0.0 as billing-component-2.0.0.zip in {setup['repo']}"
    )
    assert Api(resigner.url, "reg").registration["component"]["version"] == "2.0.0"
    answer = httpx.get(resigner.url + "/v1/updates/metadata/timestamp.json")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-cache"
    stamp = Metadata[Timestamp].from_bytes(answer.content)
    assert stamp.signed.snapshot_meta.version == 1
    target = next((setup["repo"] / "targets").glob("*.billing-component-2.0.0.zip"))
    answer = httpx.get(f"{resigner.url}/v1/updates/targets/{target.name}")
    assert answer.content == target.read_bytes()
    assert "immutable" in answer.headers["cache-control"]
    for bad in (
        "metadata/../../keys/root.key",
        "keys/root.key",
        ".lock",
        "metadata/.tmp-x",
        "metadata",
        "metadata/nope.json",
    ):
        problem(httpx.get(f"{resigner.url}/v1/updates/{bad}"), 404, "not_found")

    code, out = publish(capsys, setup, "3.0.0")
    assert code == 0, out
    assert Api(resigner.url, "reg").registration["component"]["version"] == "3.0.0"
    code, out = cli(capsys, "component", "status", "--repo", str(setup["repo"]))
    assert code == 0
    assert out.splitlines()[:2] == [
        "2.0.0  billing-component-2.0.0.zip",
        "3.0.0  billing-component-3.0.0.zip",
    ]
    assert "newest: 3.0.0" in out


def test_publish_refusals_are_one_line(
    setup: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(capsys, setup, "4.0.0")
    assert publish(capsys, setup, "4.0.0") == (
        1,
        "billserver component: version 4.0.0 is not newer than the published 4.0.0",
    )
    five = str(archive(tmp_path, "5.0.0"))
    keys, repo = ("--keys", str(setup["keys"])), ("--repo", str(setup["repo"]))
    code, out = cli(capsys, "component", "publish", five, "--version", "6.0.0", *keys, *repo)
    assert (code, out) == (
        1,
        f"billserver component: {five}: its manifest says version 5.0.0, not 6.0.0",
    )
    other = tmp_path / "other-keys"
    generate_keys(other)
    code, out = cli(
        capsys, "component", "publish", five, "--version", "5.0.0", "--keys", str(other), *repo
    )
    assert (code, out) == (
        1,
        f"billserver component: {other / 'targets.key'} is not a targets key "
        "the repository's root trusts",
    )
    code, out = cli(capsys, "component", "publish", five, "--version", "5.0.0", *keys)
    assert (code, out) == (
        1,
        "billserver component: no repository: give --repo DIR or set BILLSERVER_UPDATES_REPO",
    )
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip")
    code, out = cli(
        capsys, "component", "publish", str(garbage), "--version", "5.0.0", *keys, *repo
    )
    assert code == 1
    assert out.startswith(f"billserver component: {garbage}: not a component archive")
    assert len(out.splitlines()) == 1
    code, out = cli(capsys, "component", "timestamp", "--keys", str(other), *repo)
    assert (code, out) == (
        1,
        "billserver component: the timestamp key is not a timestamp key "
        "the repository's root trusts",
    )


def test_timestamp_is_re_signed_on_a_schedule(
    setup: dict[str, Path],
    factory: ServerFactory,
    resigner: ServerProcess,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = publish(capsys, setup, "7.0.0", "--timestamp-lifetime", "2")
    assert code == 0, out
    path = setup["repo"] / "metadata" / "timestamp.json"
    before = Metadata[Timestamp].from_file(str(path))
    deadline = time.monotonic() + 15
    versions: set[int] = set()
    while time.monotonic() < deadline and len(versions) < 3:
        stamp = Metadata[Timestamp].from_file(str(path))
        if stamp.signed.version > before.signed.version:
            versions.add(stamp.signed.version)
        time.sleep(0.2)
    assert len(versions) >= 3, versions  # re-signed again and again, each valid
    root = Metadata[Root].from_file(str(setup["repo"] / "metadata" / "1.root.json"))
    root.verify_delegate("timestamp", stamp)
    assert stamp.signed.expires > datetime.now(UTC) - timedelta(seconds=1)
    assert stamp.signed.snapshot_meta == before.signed.snapshot_meta
    assert factory.sql(
        "SELECT holder FROM leases WHERE name = :name", name="component-timestamp"
    ) == [("resigner",)]
    assert "re-signed the component timestamp metadata" in resigner.log()


def test_only_the_lease_holder_re_signs(tmp_path: Path) -> None:
    keys, repo = tmp_path / "keys", tmp_path / "repo"
    generate_keys(keys)
    path = tmp_path / "c.zip"
    build_archive(path, version="2.0.0")
    Repository(repo).publish(path, "2.0.0", keys, timestamp_lifetime=timedelta(seconds=10))
    engine = make_engine(f"sqlite:///{tmp_path / 'lease.db'}")
    try:
        upgrade(engine)
        common = {
            "db_url": "sqlite://",
            "updates_repo": repo,
            "updates_timestamp_key": keys / "timestamp.key",
            "updates_timestamp_lifetime": 60.0,
        }
        first = ServerSettings(server_id="a", **common)
        second = ServerSettings(server_id="b", **common)
        assert resign_once(first, engine) is not None  # 10 s left of 60: re-sign
        assert resign_once(second, engine) is None  # "a" holds the lease
        assert resign_once(first, engine) is None  # fresh for 60 s: nothing to do
        assert Repository(repo).timestamp().signed.version == 2
        signer = load_signer(keys / "timestamp.key")
        assert Repository(repo).resign_timestamp(signer) is not None
    finally:
        engine.dispose()


def test_serve_refuses_a_timestamp_key_without_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = cli(
        capsys,
        "serve",
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
        "--updates-timestamp-key",
        str(tmp_path / "timestamp.key"),
    )
    assert code == 1
    assert "updates_timestamp_key needs updates_repo" in out
