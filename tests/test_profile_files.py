"""Profiles on disk: round trip, mode 600, atomic writes, errors that name the field."""

from __future__ import annotations

import os
import stat

import pytest

from tests.domain.test_validation import good_profile
from wabiz_tui.config.profile import ProfileError, load_profile, save_profile


def test_round_trip_and_mode_600(tmp_path):
    path = save_profile(good_profile(), tmp_path / "p" / "prod.yaml")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_profile(path) == good_profile()


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = save_profile(good_profile(), tmp_path / "prod.yaml")
    before = path.read_text()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)  # a full disk at the last moment of the write
    with pytest.raises(OSError):
        save_profile(good_profile(name="other"), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["prod.yaml"]


@pytest.mark.parametrize("text,fragment", [
    ("name: x\nwa_api_version: 2.41.2\nhosts: 3\n", "hosts: must be a list"),
    ("name: x\nwa_api_version: 2.41.2\nhosts:\n - external_hostname: a\n   roles: [frontend]\n", "hosts[0].roles"),
    ("name: x\nwa_api_version: 2.41.2\nhosts: []\ndb: {port: abc}\n", "db.port"),
    ("name: x\nwa_api_version: 2.41.2\nhosts: []\ndb: {engine: ORACLE}\n", "db.engine"),
    ("name: x\nwa_api_version: 2.41.2\nhosts: []\ndb: {pasword: x}\n", "unknown field(s) pasword"),
    ("name: x\nhosts: [\n", "not valid YAML"),
    ("wa_api_version: 2.41.2\nhosts: []\n", "name: missing"),
])
def test_bad_files_name_the_field(tmp_path, text, fragment):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ProfileError) as exc:
        load_profile(p)
    assert fragment in str(exc.value) and str(p) in str(exc.value)


def test_env_references_are_resolved_and_written_back(tmp_path, monkeypatch):
    path = save_profile(good_profile(), tmp_path / "prod.yaml")
    path.write_text(path.read_text().replace("password: Str0ng-pass", "password: env:WA_DB_PASSWORD"))
    with pytest.raises(ProfileError) as exc:
        load_profile(path)
    assert "db.password" in str(exc.value) and "WA_DB_PASSWORD is not set" in str(exc.value)
    monkeypatch.setenv("WA_DB_PASSWORD", "From-env-42")
    profile = load_profile(path)
    assert profile.db.password == "From-env-42"
    save_profile(profile.with_changes(installed=True), path)
    text = path.read_text()
    assert "env:WA_DB_PASSWORD" in text and "From-env-42" not in text
    assert load_profile(path).installed
