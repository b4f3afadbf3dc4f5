"""Resuming an interrupted install: the wizard opens on the first unfinished step (simulated cluster)."""

from __future__ import annotations

import pytest

from wabiz_tui.demo import start_demo
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.steps import StepState

from .test_preflight_gate import SIZE, SPEED, run_headless, settle, status

pytestmark = pytest.mark.slow


async def test_the_wizard_resumes_after_step_5(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        await run_headless(session, range(1, 6))
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            assert app.screen.name == "step6" and app.current == 6
            assert [app.state(n) for n in range(1, 6)] == [StepState.DONE] * 5
            notes = [n.message for n in app._notifications]
            assert any("An earlier install stopped after step 5; finished hosts are re-checked and skipped" in n
                       for n in notes), notes
            assert app.ensure_workflow().settings.journal.last_done() == 5
            await pilot.press("ctrl+n")  # step 6 runs with the journal
            await settle(app, pilot)
            assert app.state(6) is StepState.DONE, status(app)
    finally:
        await session.stop()
