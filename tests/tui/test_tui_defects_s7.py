"""Defects found after issue 17's list (session 7): each a Pilot test against the real simulator or a stand-in."""

from __future__ import annotations

import pytest

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.widgets.host_log import HostLogPane
from . import pilot_wait
from .test_operations import SIZE, result, type_into

pytestmark = pytest.mark.slow


async def test_uninstall_again_after_a_stop_says_already_removed_not_failed(installed_demo, tmp_path):
    """A host whose containers the stopped uninstall already removed reads "already removed", not a failure;
    the stopped run says which hosts it did not reach."""
    session = installed_demo
    others = [h.external_hostname for h in session.profile.hosts if h.external_hostname != "wa-web-1"]
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f9")
        await pilot_wait.until(pilot, lambda: app.screen.name == "uninstall", "the uninstall screen")
        screen = app.screen
        for name in others:
            session.cluster.set_host_latency(name, 60)
        try:
            await type_into(pilot, app, "#un-name", session.profile.name)
            await pilot.press("ctrl+r")
            web = next(p for p in screen.query(HostLogPane) if p.host == "wa-web-1")
            await pilot_wait.until(pilot, lambda: web.status == "ok", "wa-web-1 removed", 60)
            assert app.runner.cancel()
            await pilot_wait.until(pilot, lambda: screen.outcome is not None, "the cancelled uninstall", 60)
        finally:
            for name in others:
                session.cluster.set_host_latency(name, 0)
        stopped = result(app)
        assert "wa-web-1: removed, volumes kept" in stopped, stopped
        assert all(f"{h}: not reached" in stopped for h in others), stopped
        assert "FAILED" not in stopped and "✗" not in stopped, stopped

        await type_into(pilot, app, "#un-name", session.profile.name)
        await pilot.press("ctrl+r")
        await pilot_wait.until(pilot, lambda: screen.outcome is not None and not app.runner.operation,
                               "the second uninstall", 60)
        assert screen.outcome is True
        again = result(app)
        assert "✔ wa-web-1: already removed in an earlier run" in again, again
        assert all(f"✔ {h}: removed, volumes kept" in again for h in others), again
        assert "FAILED" not in again and "✗" not in again, again


async def test_the_timeline_rewraps_when_the_findings_panel_takes_half_its_width():
    """Entries written while the timeline had the whole width are wrapped again at its new width when the findings
    panel appears beside it (monitor at 80×24), and again when the terminal is resized: no line is cut."""
    from textual.app import App
    from textual.containers import Horizontal
    from textual.widgets import Static

    from wabiz_tui.tui.widgets.timeline import Timeline

    class Side(App):
        def compose(self):
            with Horizontal():
                yield Static("findings", id="side")
                yield Timeline(id="timeline")

    app = Side()
    async with app.run_test(size=(80, 24)) as pilot:
        side, timeline = app.query_one("#side"), app.query_one(Timeline)
        side.display = False
        await pilot.pause()
        words = "wa-core-2 took over shard 2 after 3.1 s; wa-core-1 gateway_status disconnected (container exited 137)"
        timeline.add(0.0, words, "alert")
        await pilot.pause()

        def fits() -> bool:
            width = timeline.scrollable_content_region.width
            shown = " ".join(strip.text.strip() for strip in timeline.lines)
            return all(strip.cell_length <= width for strip in timeline.lines) and words in shown.replace("  ", " ")

        assert fits() and len(timeline.lines) == 2
        side.styles.width = "1fr"
        side.display = True
        await pilot.pause()
        await pilot.pause()
        assert timeline.scrollable_content_region.width < 40
        assert fits(), [s.text for s in timeline.lines]
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        await pilot.pause()
        assert fits() and len(timeline.lines) == 3, [s.text for s in timeline.lines]
