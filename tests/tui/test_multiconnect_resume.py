"""Multiconnect resumed after a quit during M3 (issue 17): the quit records the abort (exit 130); the TUI opened
again on the cluster continues at M3 with M1 and M2 done (the shards are set: they are not asked again), says
so, and M3 and M4 then finish. The real app driven by Pilot against the simulated cluster over real SSH."""

from __future__ import annotations

import pytest

from wabiz_tui.config.profile import load_profile
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.mc_resume import read_mc_resume_point
from wabiz_tui.tui.wizard import WizardState
from wabiz_tui.tui.screens.confirm import ConfirmScreen
from wabiz_tui.tui.steps import StepState

from .pilot_wait import settle
from .test_multiconnect_monitor import SIZE, status, until

pytestmark = pytest.mark.slow


async def test_multiconnect_resumes_at_m3_after_a_quit(installed_demo, tmp_path):
    session = installed_demo
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.2,
                   start_on="wizard")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.screen.name == "step10"
        await pilot.press("ctrl+r")  # M1: 2 shards (the default)
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation dialog")
        await pilot.press("y")
        await until(pilot, lambda: app.state(10) is not StepState.PENDING, "M1 to start")
        await settle(app, pilot)
        assert app.state(10) is StepState.DONE, status(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("ctrl+n")  # M2
        await settle(app, pilot)
        assert app.state(11) is StepState.DONE, status(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.name == "step12"
        session.cluster.set_host_latency("wa-core-3", 60)  # M3's new host hangs
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.state(12) is StepState.RUNNING, "M3 to run")
        await pilot.pause(0.5)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question")
        assert "Multiconnect step M3" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
    assert app.return_code == 130
    assert "M3" in app.quit_note or "multiconnect step 3" in app.quit_note, app.quit_note
    session.cluster.set_host_latency("wa-core-3", 0)

    profile = load_profile(session.profile_path)
    assert profile.shards == 2  # M1's change is in the profile
    again = WabizApp(profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.2, start_on="wizard")
    async with again.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert again.screen.name == "step12", again.screen.name
        assert [again.state(n) for n in (10, 11)] == [StepState.DONE] * 2
        notes = [n.message for n in again._notifications]
        assert any("An earlier Multiconnect change was aborted during M3" in n and "continues at M3" in n
                   for n in notes), notes
        await pilot.press("ctrl+n")  # M3 again: the new Coreapp
        await settle(again, pilot)
        assert again.state(12) is StepState.DONE, status(again)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("ctrl+n")  # M4
        await settle(again, pilot, timeout=40)
        assert again.state(13) is StepState.DONE, status(again)
        assert again.last_verdict.shards_served == 2 and again.last_verdict.standby == 1
    # the change is complete: nothing is left to resume, the next wizard starts a new change at M1
    assert read_mc_resume_point(load_profile(session.profile_path)) is None
    assert WizardState.for_profile(load_profile(session.profile_path)).current == 10


def test_the_resume_point_of_a_multiconnect_journal(tmp_path):
    from wabiz_tui.tui.mc_resume import mc_resume_point
    from wabiz_tui.workflows.journal import Journal

    journal = Journal(tmp_path / "c-multiconnect.json")
    assert mc_resume_point(journal) is None  # nothing recorded: a new change starts at M1
    journal.step_done(1)
    point = mc_resume_point(journal)
    assert (point.first, point.last_done, point.aborted) == (2, 1, None)
    assert point.note.startswith("An earlier Multiconnect change stopped after M1;") and "continues at M2" in point.note
    journal.step_done(2)
    journal.step_done(3)
    journal.record_abort({"step": 4, "procedure": "multiconnect", "reason": "the TUI got SIGTERM"})
    point = mc_resume_point(Journal(journal.path))  # read back from the file
    assert (point.first, point.last_done) == (4, 3)
    assert "aborted during M4 (the TUI got SIGTERM)" in point.note
