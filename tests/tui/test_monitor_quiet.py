"""The monitor's toasts during a planned operation and after an uninstall (issue 17 defect 5, issue 16 item 3):
no "Cluster health worsened" or "Webapp unreachable" toast while this window upgrades the cluster, right after
the upgrade's "done", or after F9; the monitor says that alerts are paused, then that the cluster is not
installed. Driven by keys against the real simulator."""

from __future__ import annotations

import pytest

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.confirm import ConfirmScreen
from wabiz_tui.tui.screens.monitor import MonitorScreen

from tests.support import record_toasts

from .test_operations import type_into, until

pytestmark = pytest.mark.slow

SIZE = (140, 45)


async def uninstall_by_keys(app, pilot, monitor: MonitorScreen) -> int:
    """F9, the cluster's name typed, ctrl+r; waits for the uninstall to succeed. Returns the monitor's poll count
    then."""
    await pilot.press("f9")
    await until(pilot, lambda: app.screen.name == "uninstall", "the uninstall screen")
    screen = app.screen
    await type_into(pilot, app, "#un-name", app.profile.name)
    await pilot.press("ctrl+r")
    await until(pilot, lambda: screen.outcome is not None, "the uninstall", 60)
    assert screen.outcome is True
    return monitor.polls


async def test_no_health_toast_during_an_upgrade_nor_after_an_uninstall(installed_demo, tmp_path):
    session = installed_demo
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.1)
    toasts = record_toasts(app)
    async with app.run_test(size=SIZE) as pilot:
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        await until(pilot, lambda: monitor.last_verdict is not None and monitor.last_verdict.healthy, "a healthy poll")
        assert "answer " in monitor.status_text() and " s old" in monitor.status_text()
        # ---- an upgrade from this window: the containers go down and come back; nothing alerts
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
        screen = app.screen
        await type_into(pilot, app, "#up-target", "2.43.1")
        await type_into(pilot, app, "#up-password", "Backup-pass-2026")
        screen.query_one("#up-db-host").value = "wa-core-1"
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the downtime confirmation")
        await pilot.press("y")
        await until(pilot, lambda: monitor.last_result is not None and monitor.last_result.alerts_paused,
                    "the monitor to see the upgrade")
        assert monitor.status_text().endswith("alerts paused: upgrade running since "
                                              f"{monitor.last_result.alerts_paused.split('since ')[1]}")
        await until(pilot, lambda: screen.outcome is not None, "the upgrade to end", 90)
        assert screen.outcome is True
        polls = monitor.polls
        await until(pilot, lambda: monitor.polls >= polls + 10, "ten polls after the upgrade's done")
        texts = [e.text for e in monitor._monitor.timeline]
        assert any(t.startswith("alerts paused: upgrade running") for t in texts), texts
        assert "alerts resumed: upgrade ended" in texts
        assert not [t for t in toasts if t.startswith("Cluster health worsened")], toasts
        # ---- F9: uninstall; the monitor stops alerting on the cluster and says why
        polls = await uninstall_by_keys(app, pilot, monitor)
        await until(pilot, lambda: monitor.polls >= polls + 10, "ten polls after the uninstall")
        assert monitor.status_text().startswith("not installed (uninstalled at ")
        assert "alerts off for this cluster" in monitor.status_text()
        assert not [t for t in toasts if t.startswith("Cluster health worsened") or "unreachable" in t], toasts
