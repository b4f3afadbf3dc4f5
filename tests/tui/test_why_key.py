"""Issue 16.1: doctor is one key ("w": why?) from a failed step and from the monitor, not only from the palette
and a node's actions."""

from __future__ import annotations

import pytest

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.doctor import DoctorScreen
from wabiz_tui.tui.steps import StepState

from . import pilot_wait
from .test_wizard_steps import SIZE, make_app


async def test_a_failed_step_says_w_and_w_opens_doctor(tmp_path):
    engines: list = []
    app = make_app(tmp_path, engines)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.ensure_workflow().fail_step[1] = "wa-host-2"
        await pilot.press("ctrl+r")
        await pilot_wait.until(pilot, lambda: app.state(1) is StepState.FAILED, "step 1 to fail", 10)
        status = str(app.screen.query_one("#status").render())
        assert "w: why?" in status, status
        app.screen.set_focus(None)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, DoctorScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DoctorScreen)


@pytest.mark.slow
async def test_w_on_the_monitor_names_the_db_credentials(installed_demo, tmp_path):
    session = installed_demo
    session.cluster.set_database("wa-db.demo.internal", 3306, password="changed-on-the-server")
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("w")
        await pilot_wait.until(pilot, lambda: isinstance(app.screen, DoctorScreen) and app.screen.report is not None,
                               "the doctor report", 60)
        evidence = str(app.screen.query_one("#doctor-evidence").render())
        assert "the database refuses db.env's credentials" in evidence
        assert session.profile.db.password not in evidence


async def test_a_doctor_that_fails_is_said_on_its_screen_and_never_ends_the_app(tmp_path, monkeypatch):
    """Review: the doctor worker used Textual's default exit_on_error, so an exception in a probe closed the whole
    TUI (even during an install); and its texts were read as markup ("[high] …" lost its label)."""
    from wabiz_tui.workflows import doctor as doctor_mod

    async def broken(self):
        raise RuntimeError("probe exploded [/x]")

    monkeypatch.setattr(doctor_mod.Doctor, "run", broken)
    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.run_action("doctor('wa-host-1')")
        def said() -> bool:
            found = app.screen.query("#doctor-status") if isinstance(app.screen, DoctorScreen) else []
            return any("could not finish" in str(w.render()) for w in found)

        await pilot_wait.until(pilot, said, "the failure said", 10)
        assert "probe exploded [/x]" in str(app.screen.query_one("#doctor-status").render())
        assert app.is_running
