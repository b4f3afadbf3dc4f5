"""Upgrade with settings backup, the MySQL dbupgrade service, the 2.29.3 media chown — against the simulator."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.support import install_headless as install, settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.config.profile import load_profile
from wabiz_tui.domain.health import Level
from wabiz_tui.domain.model import Role
from wabiz_tui.workflows.events import HostCommand, HostOutput, StepFinished
from wabiz_tui.workflows.upgrade import Upgrade, needs_media_chown, version_problems

BACKUP_PASSWORD = "Backup-pass-2026"


@pytest.mark.parametrize("current,target,force,fragment", [
    ("2.29.2", "2.29.3", False, None),
    ("2.29.2", "v2.29.3", False, "X.Y.Z"),
    ("2.29.2", "2.29.2", False, "already runs"),
    ("2.29.3", "2.29.2", False, "--force"),
    ("2.29.3", "2.29.2", True, None),
])
def test_version_rules(current, target, force, fragment):
    problems = version_problems(current, target, force=force)
    assert (not problems) if fragment is None else fragment in problems[0]


@pytest.mark.parametrize("current,target,expected", [
    ("2.29.1", "2.29.3", True), ("2.29.2", "2.31.4", True), ("2.27.8", "2.29.3", False), ("2.29.2", "2.29.2", False),
])
def test_media_chown_rule(current, target, expected):
    assert needs_media_chown(current, target) is expected


async def test_upgrade_with_backup_dbupgrade_roles_and_chown(demo, tmp_path):
    await install(demo, tmp_path, wa_api_version="2.29.2")
    events = Recorder()
    backups = tmp_path / "backups"
    wf = Upgrade(demo.profile, emit=events, settings=settings_for(demo, tmp_path, profile_path=demo.profile_path),
                 target="2.29.3", backups_dir=backups)
    try:
        assert wf.problems() == []
        assert await wf.backup(BACKUP_PASSWORD), events.text()
        assert stat.S_IMODE(os.stat(wf.backup_path).st_mode) == 0o600
        assert json.loads(wf.backup_path.read_text())["wa_api_version"] == "2.29.2"
        assert await wf.dbupgrade("wa-core-1"), events.text()
        assert wf.dbupgrade_exit == 0
        assert await wf.run_roles(), events.text()
        assert needs_media_chown(wf.source, wf.target)
        task = wf.start_media_chown()
        assert await task
        # restoring the backup works with the same password
        assert await wf.restore(wf.backup_path, BACKUP_PASSWORD)
    finally:
        await wf.close()
    commands = [e.command for e in events.of(HostCommand)]
    # each role came back with the new version, in the seed's order
    order = [next(i for i, c in enumerate(commands) if c.endswith(f"up -d {r.service}") and "WA_API_VERSION=2.29.3" in c)
             for r in (Role.WEBAPP, Role.MASTER, Role.COREAPP)]
    assert order == sorted(order)
    assert any("exec -T waweb chown -R root /usr/local/wamedia/incoming /usr/local/wamedia/outgoing /usr/local/wamedia/shared" in c
               for c in commands)
    assert wf.last_verdict.level is Level.OK
    assert load_profile(demo.profile_path).wa_api_version == "2.29.3"
    assert all(c.image.endswith(":v2.29.3") for h in demo.profile.hosts
               for c in demo.cluster.containers(h.external_hostname) if c.state == "running" and c.service != "dbupgrade")
    assert BACKUP_PASSWORD not in events.text()


async def test_failed_dbupgrade_stops_the_upgrade_with_its_log(demo, tmp_path):
    await install(demo, tmp_path, wa_api_version="2.29.2")
    demo.cluster.set_dbupgrade_failure(True)
    events = Recorder()
    wf = Upgrade(demo.profile, emit=events, settings=settings_for(demo, tmp_path, profile_path=demo.profile_path),
                 target="2.31.4", backups_dir=tmp_path)
    try:
        assert not await wf.dbupgrade("wa-core-1")
    finally:
        await wf.close()
    assert wf.dbupgrade_exit == 1
    assert any("upgrade failed" in line for line in wf.dbupgrade_log)
    last = events.of(StepFinished)[-1]
    assert not last.ok and "exited with code 1" in last.summary and "read its log" in last.next_action
    assert not [e for e in events.of(HostCommand) if "up -d waweb" in e.command]
    assert load_profile(demo.profile_path).wa_api_version == "2.29.2"
    assert any("upgrade failed" in e.line for e in events.of(HostOutput))


async def test_backup_password_too_short_is_refused(installed, tmp_path):
    events = Recorder()
    wf = Upgrade(installed.profile, emit=events, settings=settings_for(installed, tmp_path), target="2.43.1", backups_dir=tmp_path)
    try:
        assert not await wf.backup("short")
    finally:
        await wf.close()
    assert "at least 8" in events.of(StepFinished)[-1].summary


async def test_interrupted_upgrade_resumes_without_redoing_finished_work(demo, tmp_path):
    from wabiz_tui.workflows.journal import Journal

    await install(demo, tmp_path, wa_api_version="2.29.2")
    journal = Journal(tmp_path / "journal.json")
    settings = settings_for(demo, tmp_path, profile_path=demo.profile_path, journal=journal)
    first = Recorder()
    wf = Upgrade(demo.profile, emit=first, settings=settings, target="2.31.4", backups_dir=tmp_path / "b")
    try:
        assert await wf.backup(BACKUP_PASSWORD) and await wf.dbupgrade("wa-core-1") and await wf.upgrade_role(Role.WEBAPP)
    finally:
        await wf.close()  # the operator's laptop goes to sleep here
    backup = wf.backup_path
    again = Recorder()
    wf = Upgrade(demo.profile, emit=again, settings=settings, target="2.31.4", backups_dir=tmp_path / "b")
    try:
        assert await wf.backup(BACKUP_PASSWORD) and await wf.dbupgrade("wa-core-1")
        assert await wf.run_roles(), again.text()
    finally:
        await wf.close()
    assert wf.backup_path == backup and len(list((tmp_path / "b").iterdir())) == 1
    commands = [e.command for e in again.of(HostCommand)]
    assert not [c for c in commands if c.endswith("up -d waweb") or "dbupgrade-compose.yml" in c]
    assert any(e.host == "wa-web-1" and e.line.startswith("already done in an earlier run") for e in again.of(HostOutput))
    assert any(c.endswith("up -d wacore") and "WA_API_VERSION=2.31.4" in c for c in commands)
    assert not journal.exists  # a finished upgrade clears its journal
    assert load_profile(demo.profile_path).wa_api_version == "2.31.4"
