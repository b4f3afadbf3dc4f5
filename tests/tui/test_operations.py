"""The operation screens (upgrade F3, logs F4, uninstall F9) driven by keys against the real simulator."""

from __future__ import annotations


import os
import stat
import tarfile

import pytest
from textual.widgets import Input

from wabiz_tui.config.profile import load_profile
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.confirm import ConfirmScreen, PasswordScreen
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane
from . import pilot_wait

pytestmark = pytest.mark.slow

SIZE = (140, 45)
BACKUP_PASSWORD = "Backup-pass-2026"


async def until(pilot, predicate, what: str, timeout: float = 60.0) -> None:
    """``pilot_wait.until`` with this module's timeout."""
    await pilot_wait.until(pilot, predicate, what, timeout)


def status(app: WabizApp) -> str:
    return str(app.screen.query_one("#op-status").render())


def result(app: WabizApp) -> str:
    return str(app.screen.query_one("#op-result").render())


async def type_into(pilot, app: WabizApp, selector: str, text: str) -> None:
    field = app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)


async def test_upgrade_failed_dbupgrade_then_backup_roles_health_and_background_chown(installed_demo_2292, tmp_path):
    session = installed_demo_2292
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
        screen = app.screen
        # a downgrade is refused without the force box
        await type_into(pilot, app, "#up-target", "2.29.1")
        await pilot.pause()
        assert "Force a downgrade" in str(screen.query_one("#up-check").render())
        await type_into(pilot, app, "#up-target", "2.29.3")
        await pilot.pause()
        check = str(screen.query_one("#up-check").render())
        assert "2.29.2 → 2.29.3" in check and "media ownership" in check
        await type_into(pilot, app, "#up-password", BACKUP_PASSWORD)
        screen.query_one("#up-db-host").value = "wa-core-1"
        # 1) the dbupgrade service fails: the upgrade stops with its log, nothing else is touched
        session.cluster.set_dbupgrade_failure(True)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the downtime confirmation")
        assert "Downtime is expected" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await until(pilot, lambda: screen.outcome is not None, "the failed upgrade to end", 60)
        assert screen.outcome is False
        assert screen.dbupgrade_exit == 1
        assert "exit code 1" in result(app) and "Backup saved" in result(app)
        assert screen.step_states[2] is StepState.FAILED and screen.step_states[3] is StepState.PENDING
        messages = "\n".join(str(line.text) for line in screen.query_one("#op-messages").lines)
        assert "upgrade failed" in messages  # the dbupgrade log is shown
        assert "failed" in status(app) and "read its log" in status(app)
        assert load_profile(session.profile_path).wa_api_version == "2.29.2"
        # 2) the database problem fixed: backup (mode 600), dbupgrade exit 0, roles, final health
        session.cluster.set_dbupgrade_failure(False)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await until(pilot, lambda: screen.outcome is not None, "the upgrade to end", 90)
        assert screen.outcome is True, status(app)
        path = screen.backup_path
        assert path is not None and str(path) in result(app).replace("\n", "")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert "exit code 0" in result(app)
        assert all(screen.step_states[n] is StepState.DONE for n in range(1, 7))
        health = screen.query_one("#up-health")
        assert health.verdict is not None and health.verdict.healthy
        assert app.profile.wa_api_version == "2.29.3"
        assert load_profile(session.profile_path).wa_api_version == "2.29.3"
        # issue 17, defect 6: the labels name the new version
        assert "the cluster runs 2.29.3" in str(screen.query_one("#f-target .field-label").render())
        text = "\n".join(line for pane in screen.query(HostLogPane) for line in pane.history)
        assert BACKUP_PASSWORD not in text and BACKUP_PASSWORD not in result(app)
        # 3) the 2.29.3 media ownership step is offered and runs in the background
        assert screen.chown_offered and "ctrl+o" in status(app)
        await pilot.press("ctrl+o")
        assert screen.chown_running or screen.chown_ok is not None  # started (at speed 0.05 it may be done)
        assert not screen.running  # not an operation that blocks the others
        await pilot.press("f2")  # the rest of the app stays usable meanwhile
        assert app.screen.name == "monitor"
        assert "WA_API_VERSION 2.29.3" in str(app.screen.query_one("#monitor-title").render())
        await pilot.press("f3")
        await until(pilot, lambda: screen.chown_ok is not None, "the media ownership step", 30)
        assert screen.chown_ok is True
        chown = screen.query_one("#up-chown-pane", HostLogPane)
        assert any("chown -R root" in line for line in chown.history)
        assert "Media ownership (2.29.3): done" in result(app)
        # 4) restore this backup, asking for its password
        await pilot.press("ctrl+y")
        await until(pilot, lambda: isinstance(app.screen, PasswordScreen), "the password question")
        await pilot.press(*BACKUP_PASSWORD, "enter")
        await until(pilot, lambda: screen.outcome is not None and not screen.running, "the restore")
        assert screen.outcome is True, status(app)


async def test_logs_then_uninstall(installed_demo, tmp_path):
    session = installed_demo
    hosts = [h.external_hostname for h in session.profile.hosts]
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        # ---- logs: every host, all services, with the bundle
        await pilot.press("f4")
        await until(pilot, lambda: app.screen.name == "logs", "the logs screen")
        screen = app.screen
        await type_into(pilot, app, "#lg-tail", "ten")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "not a line count" in str(screen.query_one("#f-tail .field-error").render())
        assert screen.outcome is None  # nothing ran
        await type_into(pilot, app, "#lg-tail", "")
        await type_into(pilot, app, "#lg-since", "2h")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: screen.outcome is not None, "the log collection", 60)
        assert screen.outcome is True, status(app)
        assert sorted(screen.files) == sorted(hosts)
        assert all(p.name == "debug_output.txt" and p.stat().st_size > 0 for p in screen.files.values())
        shown = result(app)
        assert str(screen.directory) in shown.replace("\n", "")
        for host in hosts:
            assert f"{host}: " in shown
        assert screen.bundle_path is not None and screen.bundle_path.exists()
        with tarfile.open(screen.bundle_path) as tar:
            assert any(n.endswith("debug_output.txt") for n in tar.getnames())
        progress = str(screen.query_one("#lg-progress").render())
        assert all(f"{h}: " in progress for h in hosts) and "done" in progress
        # ---- uninstall: the plan, a wrong name refused, the right one removes (volumes kept)
        await pilot.press("f9")
        await until(pilot, lambda: app.screen.name == "uninstall", "the uninstall screen")
        screen = app.screen
        plan = str(screen.query_one("#un-plan").render())
        assert all(h in plan for h in hosts) and "volumes kept" in plan and " down" in plan
        await type_into(pilot, app, "#un-name", "not-demo")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "nothing removed" in status(app) and screen.outcome is None
        assert all(c.state == "running" for h in hosts for c in session.cluster.containers(h) if c.service != "dbupgrade")
        await type_into(pilot, app, "#un-name", session.profile.name)
        # volumes need a second, separate confirmation; refusing it removes nothing
        screen.query_one("#un-volumes").value = True
        await pilot.pause()
        assert "named media volume" in str(screen.query_one("#un-plan").render())
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the volumes confirmation")
        await pilot.press("n")
        await pilot.pause()
        assert "Nothing removed" in status(app) and screen.outcome is None
        screen.query_one("#un-volumes").value = False
        await pilot.press("ctrl+r")
        await until(pilot, lambda: screen.outcome is not None, "the uninstall", 60)
        assert screen.outcome is True, status(app)
        report = result(app)
        for host in hosts:
            assert f"{host}: removed, volumes kept" in report
        assert "kept and marked not installed" in report
        assert not [c for h in hosts for c in session.cluster.containers(h) if c.state == "running"]
        assert not app.profile.installed and not load_profile(session.profile_path).installed
        assert all(p.status == "ok" for p in screen.query(HostLogPane) if p.host in hosts)
        assert app.state(1) is StepState.PENDING and app.current == 1
