"""Profiles and the settings file: directories, BILLCLIENT_HOME, atomic writes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billclient.core.errors import SettingsError
from billclient.core.settings import ClientSettings, ProfilePaths, check_profile_name
from billclient.protocol import Role


def test_billclient_home_holds_each_profile_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLCLIENT_HOME", str(tmp_path))
    default = ProfilePaths.for_profile()
    work = ProfilePaths.for_profile("work")
    assert default.config_file == tmp_path / "profiles/default/config/settings.json"
    assert work.data_dir == tmp_path / "profiles/work/data"
    assert work.lock_file.parent == work.data_dir
    explicit = ProfilePaths.for_profile("work", tmp_path / "elsewhere")
    assert explicit.config_dir == tmp_path / "elsewhere/profiles/work/config"


def test_without_a_home_the_platform_directories_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BILLCLIENT_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/tmp/xdg-config-test")
    monkeypatch.setenv("XDG_DATA_HOME", "/tmp/xdg-data-test")
    paths = ProfilePaths.for_profile("p")
    assert paths.config_dir == Path("/tmp/xdg-config-test/billclient/profiles/p")
    assert paths.data_dir == Path("/tmp/xdg-data-test/billclient/profiles/p")


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "../up", "x" * 65, "spa ce"])
def test_bad_profile_names_are_refused(name: str) -> None:
    with pytest.raises(SettingsError, match="not a valid profile name"):
        ProfilePaths.for_profile(name, Path("/tmp"))


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", fullmatch=True))
def test_good_profile_names_stay_inside_the_home(name: str) -> None:
    check_profile_name(name)
    paths = ProfilePaths.for_profile(name, Path("/home/x"))
    assert paths.config_dir.parent.parent == Path("/home/x/profiles")


def test_settings_round_trip_atomically_and_privately(tmp_path: Path) -> None:
    paths = ProfilePaths.for_profile("p", tmp_path)
    assert ClientSettings.load(paths) == ClientSettings()  # no file yet: defaults
    settings = ClientSettings(
        servers=["https://a.example", "https://b.example"],
        user_servers=["https://a.example"],
        device_id="d1",
        account_id="acc",
        role=Role.USER,
        login="alice",
        ca_file=tmp_path / "ca.pem",
    )
    settings.save(paths)
    assert ClientSettings.load(paths) == settings
    assert oct(paths.config_dir.stat().st_mode & 0o777) == "0o700"
    assert [p.name for p in paths.config_dir.iterdir()] == ["settings.json"]  # no temp left
    data = json.loads(paths.config_file.read_text())
    assert not any("token" in key for key in data)
    settings.login = "bob"
    settings.save(paths)
    assert ClientSettings.load(paths).login == "bob"


def test_a_broken_settings_file_is_one_clear_error(tmp_path: Path) -> None:
    paths = ProfilePaths.for_profile("p", tmp_path)
    paths.ensure()
    paths.config_file.write_text('{"servers": 5}')
    with pytest.raises(SettingsError) as error:
        ClientSettings.load(paths)
    assert "settings.json is not valid (servers" in str(error.value)
    assert "\n" not in str(error.value)
    paths.config_file.write_text("{not json")
    with pytest.raises(SettingsError, match="is not valid"):
        ClientSettings.load(paths)


def test_an_unusable_directory_is_one_clear_error(tmp_path: Path) -> None:
    paths = ProfilePaths.for_profile("p", tmp_path)
    paths.config_dir.parent.mkdir(parents=True)
    paths.config_dir.write_text("a file where the directory should be")
    with pytest.raises(SettingsError, match="cannot create") as error:
        ClientSettings().save(paths)
    assert "\n" not in str(error.value)


@given(
    st.lists(st.sampled_from(["https://a", "https://b", "https://c"]), max_size=3),
    st.lists(st.sampled_from(["https://a", "https://b", "https://d"]), max_size=3),
)
def test_servers_are_the_given_ones_then_the_advertised_ones(
    given_servers: list[str], advertised: list[str]
) -> None:
    settings = ClientSettings(user_servers=list(dict.fromkeys(given_servers)))
    settings.merge_servers(advertised)
    user = list(dict.fromkeys(given_servers))
    assert settings.servers[: len(user)] == user
    assert set(settings.servers) == set(user) | set(advertised)
    assert len(settings.servers) == len(set(settings.servers))
    assert not settings.merge_servers(advertised)  # unchanged the second time
