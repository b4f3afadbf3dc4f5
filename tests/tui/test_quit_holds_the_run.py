"""The quit question holds the run while it is open and its words follow it (the s8 trial's M1, issue 17):
no new command or step starts behind it, the commands already running end and the dialog says so, and "Quit
and abort" then does what the dialog says (nothing cut); the abort line, the journal and report.md say the same.
The real app driven by Pilot against the simulated cluster over real SSH."""

from __future__ import annotations

import asyncio

import pytest

from tests.tui.test_operations import BACKUP_PASSWORD, SIZE, type_into, until
from tests.tui.test_quit_during_operation import dialog_text, slow, webapps
from wabiz_tui.config.paths import app_paths
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.run import exit_note
from wabiz_tui.tui.screens.confirm import ConfirmScreen
from wabiz_tui.workflows.upgrade import interrupted_upgrade

pytestmark = pytest.mark.slow


async def start_upgrade(pilot, app: WabizApp, session, seconds: float):
    """F3 (unless on its screen), 2.43.1 and the password, every command on the Webapp hosts ``seconds`` long, ctrl+r, y; returns the
    upgrade screen once step 3 runs."""
    if app.screen.name != "upgrade":
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
    screen = app.screen
    await type_into(pilot, app, "#up-target", "2.43.1")
    await type_into(pilot, app, "#up-password", BACKUP_PASSWORD)
    slow(session, webapps(session), seconds)
    await pilot.press("ctrl+r")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the downtime confirmation")
    await pilot.press("y")
    await until(pilot, lambda: screen.step_states.get(3) is not None and screen.step_states[3].value == "running",
                "step 3 to run", 30)
    return screen


async def test_the_upgrade_holds_while_the_quit_question_is_open_and_quits_as_it_says(installed_demo, tmp_path):
    session = installed_demo
    web = webapps(session)
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_upgrade(pilot, app, session, 1.5)  # each command of step 3 takes 1.5 s on the Webapps
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question")
        assert "Upgrade step 3 of 6 (Upgrade Webapps) is running" in dialog_text(app)
        # the command in flight ends; none starts after it, and the words say so
        await until(pilot, lambda: "no remote command runs now and none starts" in dialog_text(app), "the words to follow", 20)
        steps_seen = len(screen.engine.record.steps)
        await asyncio.sleep(4)  # the upgrade, unheld, would be on step 4 (Masters) or later by now
        await pilot.pause()
        assert len(screen.engine.record.steps) == steps_seen, [s.title for s in screen.engine.record.steps]
        assert screen.step_states[3].value == "running" and screen.step_states.get(4) is None or \
            screen.step_states[4].value == "pending", screen.step_states
        text = dialog_text(app)
        # said once, by what quitting does (the s11 trial read it twice, in two forms)
        assert "Nothing new starts while this question is open" not in text and "this moment" not in text, text
        assert "Quitting stops the upgrade here: no remote command runs now" in text, text
        await pilot.press("y")
    slow(session, web, 0)
    assert app.return_code == 130
    note = exit_note(app)
    assert "upgrade step 3 (Upgrade Webapps)" in note and "no remote command was running (none was cut)" in note, note
    # said after the quit: what it left, not "quitting now leaves" (s8 trial C7)
    assert "wabiz-tui: quit: the cluster is left half upgraded" in note and "quitting now" not in note, note
    found = interrupted_upgrade(app_paths().journals, session.profile)
    assert found is not None and found.aborted["step"] == 3 and found.aborted["cut"] == []
    assert found.last_done < 3  # step 3 is not recorded done (nor any later one)
    report = next((tmp_path / "wabiz-home").rglob("report.md")).read_text()
    row = next(line for line in report.splitlines() if line.startswith("| upgrade 3 "))
    assert "running (aborted)" in row and not any(f"{h}: {h}:" in row for h in web), row


async def test_a_quit_that_cuts_a_command_names_it_and_the_report_says_it_was_hung_up(installed_demo, tmp_path):
    session = installed_demo
    web = webapps(session)
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_upgrade(pilot, app, session, 60)
        await until(pilot, lambda: screen.engine.session.hold.in_flight(), "a command of step 3 in flight", 30)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question")
        [(command, hosts)] = screen.engine.session.hold.in_flight()
        text = dialog_text(app)
        assert f"Quitting hangs up `{command}` on {', '.join(hosts)}" in text, text
        assert text.count(f"`{command}`") == 1, text  # named once (twice, the words ran below the fold at 80x24)
        await pilot.press("n")  # keep running: the hold is released
        await pilot.pause()
        assert not screen.engine.session.hold.held
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question again")
        await pilot.press("y")
    slow(session, web, 0)
    note = exit_note(app)
    assert f"hung up `{command}` on {', '.join(hosts)}" in note, note
    report = next((tmp_path / "wabiz-home").rglob("report.md")).read_text()
    row = next(line for line in report.splitlines() if line.startswith("| upgrade 3 "))
    assert f"hung up by the quit: `{command}`" in row and "killed by a signal" not in row, row
