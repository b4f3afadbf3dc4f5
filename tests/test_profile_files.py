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


def test_every_text_of_a_loaded_profile_is_plain_str(tmp_path):
    """The loader's PlainText marker (unquoted scalars, for flags) stays in the loader: asyncpg refused it in
    db.username/db.password (issue 17, the preflight's PostgreSQL login on the lab)."""
    import dataclasses
    from enum import Enum

    def texts(value):
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                yield from texts(getattr(value, f.name))
        elif isinstance(value, (tuple, list)):
            for v in value:
                yield from texts(v)
        elif isinstance(value, str) and not isinstance(value, Enum):
            yield value

    loaded = load_profile(save_profile(good_profile(), tmp_path / "prod.yaml"))
    found = list(texts(loaded))
    assert loaded.db.username in found and {type(t) for t in found} == {str}, {type(t) for t in found}


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
    ("name: null\nwa_api_version: 2.41.2\nhosts: []\n", "name: missing"),
    ("name: x\nwa_api_version: 2.41.2\nhosts: []\nwebapp: {self_signed_ok: 'false'}\n", "webapp.self_signed_ok: 'false' is not true or false"),
    ("name: x\nwa_api_version: 2.41.2\nhosts:\n - external_hostname: a\n   ssh: {host: [1, 2]}\n", "hosts[0].ssh.host"),
    ("name: x\nwa_api_version: 2.41.2\nhosts:\n - external_hostname: a\n   ssh: 3\n", "hosts[0].ssh: must be a mapping"),
    ("name: x\nwa_api_version: 2.41.2\nhosts:\n - external_hostname: a\n   ssh: {use_agent: 'yes'}\n", "hosts[0].ssh.use_agent"),
    ("name: x\nwa_api_version: 2.41.2\nhosts: []\ninstalled: 1\n", "installed: '1' is not true or false"),
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


def test_numbers_where_text_is_expected_become_text_and_are_validated(tmp_path):
    from wabiz_tui.domain.validation import validate_profile

    p = tmp_path / "p.yaml"
    p.write_text("name: x\nwa_api_version: 2.41.2\nhosts: []\ndb: {hostname: 12345, username: 123}\nmedia: {kind: host_path, host_path: 7}\n")
    profile = load_profile(p)
    assert profile.db.hostname == "12345" and profile.media.host_path == "7"
    fields = {e.field for e in validate_profile(profile)}
    assert "media.host_path" in fields and "db.username" in fields
