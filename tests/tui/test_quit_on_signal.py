"""SIGTERM (kill, a service manager) or SIGHUP (the terminal closed) during an upgrade: the TUI records the abort
as a confirmed ctrl+q does — run log, journal, report, exit status 130 — and the upgrade can be resumed (issue 17).
Before, the process died on the spot: the journal said the step was still running and no report was written.
The real app driven by Pilot against the simulated cluster over real SSH; the signal is a real one, sent to this
process."""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests.tui.test_operations import BACKUP_PASSWORD, SIZE, type_into, until
from tests.tui.test_quit_during_operation import slow, webapps
from wabiz_tui.config.paths import app_paths
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.quitting import DEMO_END, signal_reason
from wabiz_tui.tui.run import exit_note
from wabiz_tui.tui.screens.confirm import ConfirmScreen
from wabiz_tui.workflows.upgrade import interrupted_upgrade

from .test_snapshots import make_app

pytestmark = pytest.mark.slow


async def test_sigterm_during_an_upgrade_records_the_abort_and_exits_130(installed_demo, tmp_path):
    session = installed_demo
    web = webapps(session)
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
        screen = app.screen
        await type_into(pilot, app, "#up-target", "2.43.1")
        await type_into(pilot, app, "#up-password", BACKUP_PASSWORD)
        slow(session, web, 60)  # step 3's up -d hangs on the Webapp hosts
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the downtime confirmation")
        await pilot.press("y")
        await until(pilot, lambda: screen.step_states.get(3) is not None and screen.step_states[3].value == "running",
                    "step 3 to run", 30)
        os.kill(os.getpid(), signal.SIGTERM)
        await until(pilot, lambda: app.return_code is not None, "the app to end", 30)
    slow(session, web, 0)
    assert app.return_code == 130
    reason = signal_reason(signal.SIGTERM)
    note = exit_note(app)
    # a demo: nothing can be resumed (its simulated cluster ends with it), so no resume command is offered
    assert "ABORTED" in note and "upgrade step 3 (Upgrade Webapps)" in note and DEMO_END in note, note
    assert "--resume" not in note, note
    found = interrupted_upgrade(app_paths().journals, session.profile)
    assert found is not None and found.target == "2.43.1" and found.backed_up
    assert found.aborted["reason"] == reason and found.aborted["step"] == 3
    folder = next((tmp_path / "wabiz-home").rglob("run.log")).parent
    assert reason in (folder / "run.log").read_text()
    report = json.loads((folder / "report.json").read_text())
    assert report["outcome"] == "aborted"


async def test_sighup_with_nothing_running_just_leaves(tmp_path):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        os.kill(os.getpid(), signal.SIGHUP)
        await pilot.pause(0.3)
    assert app.return_code == 0 and app.quit_note == ""
