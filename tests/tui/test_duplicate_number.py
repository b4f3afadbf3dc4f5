"""Step 8 in the wizard when another saved cluster profile has the same number (field case R23): a blocking
warning the operator must answer; "Cancel" sends nothing, "Register anyway" requests the code."""

from __future__ import annotations

import pytest

from tests.tui.test_preflight_gate import SIZE, SPEED, run_headless, settle, status
from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import save_profile
from wabiz_tui.demo import start_demo
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.register import DuplicateNumberScreen
from wabiz_tui.tui.steps import StepState

pytestmark = pytest.mark.slow


async def test_registering_a_number_another_profile_has_needs_an_explicit_yes(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        other = session.profile.with_changes(name="prod", installed=True)
        save_profile(other, app_paths().ensure().profiles / "prod.yaml")
        await run_headless(session, range(1, 8))
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.screen.name == "step8"
            await pilot.press("ctrl+r")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, DuplicateNumberScreen)
            details = str(dialog.query_one("#confirm-details").render())
            assert "prod" in details and "+1 6315550000" in details and "disconnects" in str(
                dialog.query_one("#confirm-question").render())
            await pilot.press("enter")  # the focus is on Cancel: a stray Enter never registers
            await settle(app, pilot)
            assert app.screen.name == "step8" and session.cluster.sms_outbox == []
            assert "Not registered" in status(app) and app.state(8) is not StepState.DONE
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, DuplicateNumberScreen)
            await pilot.press("y")
            await settle(app, pilot)
            assert session.cluster.sms_outbox, status(app)
            assert "Code requested" in status(app)
    finally:
        await session.stop()
