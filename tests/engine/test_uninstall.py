"""Uninstall against the simulator: typed confirmation, volumes kept by default, per-host report,
an unreachable host reported while the others finish."""

from __future__ import annotations

import pytest

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.config.profile import load_profile
from wabiz_tui.workflows.events import HostCommand
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.uninstall import ConfirmationRequired, Uninstall


async def test_uninstall_keeps_volumes_and_marks_the_profile(installed, tmp_path):
    events = Recorder()
    wf = Uninstall(installed.profile, emit=events, settings=settings_for(installed, tmp_path, profile_path=installed.profile_path))
    plan = wf.removals()
    assert [p.services for p in plan if p.host == "wa-core-1"] == [("wacore",)]
    assert all(not p.volumes and p.commands[-1].endswith(" down --remove-orphans") for p in plan)
    try:
        with pytest.raises(ConfirmationRequired):
            await wf.run("wrong-name")
        assert not events.of(HostCommand)  # nothing touched
        with pytest.raises(ConfirmationRequired):
            await wf.run("demo", remove_volumes=True)  # volumes need their own confirmation
        assert await wf.run("demo"), events.text()
    finally:
        await wf.close()
    for h in installed.profile.hosts:
        assert not [c for c in installed.cluster.containers(h.external_hostname) if c.state == "running"]
        assert wf.outcomes[h.external_hostname] == "removed, volumes kept"
    assert not load_profile(installed.profile_path).installed


async def test_unreachable_host_is_reported_others_finish(installed, tmp_path):
    installed.cluster.set_host_unreachable("wa-master-2", True)
    wf = Uninstall(installed.profile, emit=Recorder(), settings=settings_for(installed, tmp_path, profile_path=installed.profile_path))
    try:
        assert not await wf.run("demo")
    finally:
        await wf.close()
    assert wf.outcomes["wa-master-2"].startswith("FAILED: ")
    # the per-host list names the host before its outcome: the outcome does not name it again (s9)
    assert "wa-master-2" not in wf.outcomes["wa-master-2"], wf.outcomes
    assert wf.outcomes["wa-core-1"] == "removed, volumes kept"
    assert load_profile(installed.profile_path).installed  # not marked while a host still runs containers


async def test_volumes_only_with_both_confirmations(installed, tmp_path):
    wf = Uninstall(installed.profile, emit=Recorder(), settings=settings_for(installed, tmp_path))
    assert all(p.commands[-1].endswith("down -v --remove-orphans") and p.volumes for p in wf.removals(remove_volumes=True))
    try:
        assert await wf.run("demo", remove_volumes=True, volumes_confirmed=True)
    finally:
        await wf.close()
    assert wf.outcomes["wa-web-1"] == "removed (with volumes)"


async def test_uninstall_removes_the_dbupgrade_orphan_and_reports_what_remains(installed, tmp_path):
    """Issue 13 item 7: the dbupgrade container shares the project; compose warns about it as an orphan and a
    plain down leaves it. Uninstall removes it (down --remove-orphans) and lists anything left."""
    from wabiz_tui.workflows.events import HostOutput
    from wabiz_tui.workflows.upgrade import Upgrade

    cluster, profile = installed.cluster, installed.profile
    upgrade_events = Recorder()
    up = Upgrade(profile, emit=upgrade_events, settings=settings_for(installed, tmp_path), target=profile.wa_api_version)
    try:
        assert await up.dbupgrade("wa-core-1"), upgrade_events.text()
    finally:
        await up.close()
    lines = [e.line for e in upgrade_events.of(HostOutput)]
    # on the PTY the product uses, compose 1.29.2 prefixes its warning (tests/fixtures/compose/dbupgrade_up.pty)
    assert any(line.startswith("WARNING: Found orphan containers (biz_wacore_1) for this project.") for line in lines), lines
    assert any(c.service == "dbupgrade" for c in cluster.containers("wa-core-1"))
    events = Recorder()
    wf = Uninstall(profile, emit=events, settings=settings_for(installed, tmp_path, profile_path=installed.profile_path))
    try:
        assert await wf.run("demo"), events.text()
    finally:
        await wf.close()
    assert cluster.containers("wa-core-1") == []
    assert any('Removing orphan container "biz_dbupgrade_1"' in line for line in events.text().splitlines())


async def test_install_after_uninstall_meets_the_kept_registration_and_ends_healthy(installed, tmp_path):
    """Uninstall keeps the database, so the reinstalled cluster comes up registered: step 7 accepts that, step 8
    needs no code (on the lab, before the fix, step 7 waited for an ``unregistered`` master and failed)."""
    wf = Uninstall(installed.profile, emit=Recorder(), settings=settings_for(installed, tmp_path, profile_path=installed.profile_path))
    try:
        assert await wf.run("demo")
    finally:
        await wf.close()
    events = Recorder()
    again = HaInstall(load_profile(installed.profile_path), emit=events,
                      settings=settings_for(installed, tmp_path, profile_path=installed.profile_path))
    asked = []
    try:
        async def code(req):
            asked.append(req)
            return installed.cluster.sms_outbox[-1][1]
        assert await again.run_all(code), events.text()
    finally:
        await again.close()
    assert not asked and again.last_verdict.registered
    assert "already registered: the cluster's nodes say so" in events.text()
    assert load_profile(installed.profile_path).installed
