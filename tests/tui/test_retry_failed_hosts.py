"""Per-host results and retrying only the failed hosts, in the TUI against the simulated cluster: a step
that fails on one host says which host, command and why; after the fix, ctrl+r runs it again on that
host only (the others are re-checked on their host and skipped, from the install journal)."""

from __future__ import annotations

import pytest

from tests.tui.test_cancel_quit import SIZE
from tests.tui.test_operations import until
from wabiz_tui.demo import start_demo
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane

pytestmark = pytest.mark.slow


async def test_a_failed_host_is_retried_alone(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=0.05)
    try:
        blocker = session.cluster.host_root("wa-core-1") / "home/wa/biz"
        blocker.write_text("not a directory")  # mkdir -p /home/wa/biz fails on that host only
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+n")
            await until(pilot, lambda: app.state(1) in (StepState.DONE, StepState.FAILED), "step 1", 30)
            assert app.state(1) is StepState.FAILED
            status = str(app.screen.query_one("#status").render()).replace("\n", "")
            assert "wa-core-1: `mkdir -p /home/wa/biz` exit 1" in status, status
            assert "a retry runs the step again on wa-core-1 only" in status, status
            panes = {p.host: p for p in app.screen.query(HostLogPane)}
            assert panes["wa-core-1"].status == "failed exit 1" and all(p.status == "ok" for h, p in panes.items() if h != "wa-core-1")
            blocker.unlink()
            await pilot.press("ctrl+r")
            await until(pilot, lambda: app.state(1) in (StepState.DONE, StepState.FAILED) and not app.busy, "the retry", 30)
            assert app.state(1) is StepState.DONE, str(app.screen.query_one("#status").render())
            panes = {p.host: p for p in app.screen.query(HostLogPane)}
            for host, pane in panes.items():
                pane.flush()
                skipped = any("already done in an earlier run" in line for line in pane.history)
                assert skipped == (host != "wa-core-1"), (host, list(pane.history))
            assert (session.cluster.host_root("wa-core-1") / "home/wa/biz").is_dir()
    finally:
        await session.stop()
