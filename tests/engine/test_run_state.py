"""Run state lives in the state directory, the profile stays the operator's (issue 14.3).

Against the simulator over real SSH: an install leaves the profile file byte for byte as written (comments
included) and records ``installed`` in the state directory; ``upgrade`` rewrites only ``wa_api_version``,
keeping comments and order, and refuses to overwrite a file edited meanwhile; a profile of an older
version carrying ``installed: true`` is migrated without being rewritten."""

from __future__ import annotations

import json

from wabiz_tui.config.profile import load_profile, ProfileChanged
from wabiz_tui.config.rewrite import update_profile_file
from wabiz_tui.config.runstate import read_run_state, state_path

from .test_install_resume import finish, start

COMMENTED = "# our production cluster — do not edit without a ticket\n"


def commented(path) -> str:
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    out = [COMMENTED]
    for line in lines:
        out.append(line.rstrip("\n") + ("  # the version we run\n" if line.startswith("wa_api_version:") else "\n"))
    path.write_text("".join(out))
    return path.read_text()


async def test_install_never_rewrites_the_profile_and_records_run_state(demo):
    before = commented(demo.profile_path)
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "--skip-preflight"))
    assert code == 5, out + err
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "--code",
                                              demo.cluster.sms_outbox[-1][1]))
    assert code == 0, out + err
    assert demo.profile_path.read_text() == before  # comments, order, everything as the operator wrote it
    state = json.loads(state_path(demo.profile.name).read_text())
    assert state["installed"] is True and state["installed_version"] == demo.profile.wa_api_version
    assert load_profile(demo.profile_path).installed


async def test_upgrade_rewrites_only_the_version_keeping_comments(installed, monkeypatch):
    monkeypatch.setenv("WABIZ_BACKUP_PASSWORD", "Backup-pass-123")
    before = commented(installed.profile_path)
    code, out, err = await finish(await start("upgrade", str(installed.profile_path), "--to", "2.43.1", "--yes"))
    assert code == 0, out + err
    after = installed.profile_path.read_text()
    assert after.startswith(COMMENTED) and "wa_api_version: 2.43.1  # the version we run" in after
    assert after.replace("2.43.1", installed.profile.wa_api_version) == before
    assert read_run_state(load_profile(installed.profile_path))["installed_version"] == "2.43.1"


def test_a_profile_edited_meanwhile_is_not_overwritten(tmp_path):
    from tests.domain.test_validation import good_profile
    from wabiz_tui.config.profile import save_profile

    path = save_profile(good_profile(), tmp_path / "p.yaml")
    profile = load_profile(path)
    path.write_text(path.read_text() + "# an edit made while a run was going\n")
    try:
        update_profile_file(path, profile.with_changes(wa_api_version="2.43.1"))
    except ProfileChanged as exc:
        assert "edited meanwhile" in str(exc)
    else:
        raise AssertionError("an edited profile was overwritten")
    assert path.read_text().endswith("# an edit made while a run was going\n") and "2.41.2" in path.read_text()


def test_legacy_installed_key_is_migrated_without_rewriting(tmp_path):
    from tests.domain.test_validation import good_profile
    from wabiz_tui.config.profile import save_profile

    path = save_profile(good_profile(), tmp_path / "p.yaml")
    path.write_text(path.read_text() + "installed: true\n")
    text = path.read_text()
    profile = load_profile(path)
    assert profile.installed and path.read_text() == text
    assert read_run_state(profile)["installed"] is True
    # the next rewrite (a new version) drops the key: it lives in the state directory now
    assert update_profile_file(path, profile.with_changes(wa_api_version="2.43.1"))
    assert "installed" not in path.read_text() and load_profile(path).installed


def test_nothing_to_write_is_no_refusal(tmp_path):
    """A run that changes nothing in the profile (a headless install) neither writes nor complains when the
    operator edited the file meanwhile; an old installed: key alone is not a reason to rewrite it."""
    from tests.domain.test_validation import good_profile
    from wabiz_tui.config.profile import save_profile

    path = save_profile(good_profile(), tmp_path / "p.yaml")
    profile = load_profile(path)
    path.write_text(path.read_text() + "installed: true\n# edited meanwhile\n")
    text = path.read_text()
    assert update_profile_file(path, profile) is False
    assert path.read_text() == text


def test_a_key_written_twice_is_refused_at_load_naming_the_key_not_the_value(tmp_path):
    """Review of the merge: PyYAML kept the last of two keys silently, and the later rewrite (ruamel.yaml
    refuses duplicate keys) escaped as a crash after the upgrade, its message quoting the value (a secret)."""
    import pytest

    from tests.domain.test_validation import good_profile
    from wabiz_tui.config.profile import ProfileError, save_profile

    path = save_profile(good_profile(), tmp_path / "p.yaml")
    secret = good_profile().db.password
    path.write_text(path.read_text().replace("db:\n", f"db:\n  password: '{secret}'\n", 1))
    with pytest.raises(ProfileError) as refused:
        load_profile(path)
    assert "'password' is written twice at line" in str(refused.value) and secret not in str(refused.value)


def test_a_file_the_round_trip_writer_refuses_is_a_profile_error(tmp_path, monkeypatch):
    """Whatever ruamel.yaml refuses is a ProfileError (the run says to make the change by hand), not a crash."""
    import pytest
    from ruamel.yaml.constructor import DuplicateKeyError

    from tests.domain.test_validation import good_profile
    from wabiz_tui.config.profile import ProfileError, save_profile

    path = save_profile(good_profile(), tmp_path / "p.yaml")
    profile = load_profile(path)

    def refuse(self, stream):
        raise DuplicateKeyError("while constructing a mapping", None, 'found duplicate key "password" with value "s3cret"',
                                None)

    monkeypatch.setattr("ruamel.yaml.YAML.load", refuse)
    with pytest.raises(ProfileError) as refused:
        update_profile_file(path, profile.with_changes(wa_api_version="2.43.1"))
    assert "make the change by hand" in str(refused.value) and "s3cret" not in str(refused.value)


def test_a_change_in_a_section_the_file_leaves_out_is_written(tmp_path):
    """Review of the merge: the rewrite walked into sections the file does not write (defaults), so a change
    there (e.g. the registration entered in the wizard, a profile without ``registration:``) raised KeyError."""
    import dataclasses

    import yaml

    from tests.domain.test_validation import good_profile
    from wabiz_tui.config.profile import save_profile

    path = save_profile(good_profile(), tmp_path / "p.yaml")
    data = yaml.safe_load(path.read_text())
    del data["registration"]
    path.write_text("# mine\n" + yaml.safe_dump(data, sort_keys=False))
    profile = load_profile(path)
    wanted = profile.with_changes(registration=dataclasses.replace(profile.registration, cc="39", phone_number="3331234567"))
    assert update_profile_file(path, wanted)
    again = load_profile(path)
    assert (again.registration.cc, again.registration.phone_number) == ("39", "3331234567")
    assert path.read_text().startswith("# mine\n")
