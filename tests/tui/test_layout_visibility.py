"""What must stay on screen at 80x24 and 120x36: the monitor's node rows (healthy and after a fault),
step 5's host panes after the preflight; and a finished preflight no longer looks running."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from wabiz_tui.demo import start_demo
from wabiz_tui.domain.health import Level
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.findings import FindingsList
from wabiz_tui.tui.widgets.host_log import HostLogPane
from wabiz_tui.tui.widgets.preflight_table import PreflightTable

from .test_multiconnect_monitor import until
from .test_preflight_gate import run_headless, settle, status

pytestmark = pytest.mark.slow


def visible_height(widget) -> int:
    """Rows of ``widget`` actually drawn on its screen (0 when it is scrolled away or hidden)."""
    geometry = widget.screen.find_widget(widget)
    return geometry.region.intersection(geometry.clip).height


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_monitor_node_rows_stay_visible_healthy_and_after_a_kill(installed_demo, tmp_path, size):
    session = installed_demo
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.1)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        await until(pilot, lambda: monitor.last_verdict is not None, "the first poll")
        await pilot.pause(0.2)
        table = monitor.query_one("#monitor-health DataTable", DataTable)
        assert table.row_count >= 4  # 2 masters, 2 Coreapps (and the Webapp when it reports)
        # the header plus every node row is drawn (the trial saw only the header at 80x24)
        assert visible_height(table) >= table.row_count + 1, f"healthy at {size}"
        # F5 kills the connected Coreapp: the findings box appears, the rows must stay
        await pilot.press("f5")
        await until(pilot, lambda: monitor.last_verdict is not None and monitor.last_verdict.level is not Level.OK
                    and monitor.query_one(FindingsList).items, "the degraded verdict and its findings", timeout=30)
        await pilot.pause(0.3)
        assert visible_height(monitor.query_one(FindingsList)) >= 3
        assert visible_height(table) >= table.row_count + 1, f"after the kill at {size}"


def footer_actions(app: WabizApp) -> list[str]:
    """The actions the footer shows now (a key kept in its slot while hidden, as Cancel is, is not shown)."""
    return [key.action for key in app.screen.query(FooterKey) if key.display]


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_step_5_preflight_ends_its_running_state_and_the_step_shows_its_host_panes(tmp_path, size):
    session = await start_demo(tmp_path / "demo", speed=0.3)
    try:
        await run_headless(session, range(1, 5), journal=False)
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        app.states.update({n: StepState.DONE for n in range(1, 5)})
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            app.goto_step(5)
            await pilot.pause()
            await pilot.press("ctrl+n")  # the preflight (over in well under a second at this speed)
            await settle(app, pilot)
            assert "Preflight passed" in status(app), status(app)
            # ended: no Cancel key, a frozen clock
            assert "cancel_step" not in footer_actions(app)
            elapsed = str(app.screen.query_one("#elapsed").render())
            await pilot.pause(1.3)
            assert str(app.screen.query_one("#elapsed").render()) == elapsed
            if size[0] >= 120:  # every check column fits beside the step list
                grid = app.screen.query_one("#preflight-grid", DataTable)
                assert grid.virtual_size.width <= grid.scrollable_content_region.width, grid.virtual_size
            await pilot.press("ctrl+n")  # step 5 itself: the preflight folds to its verdict, the panes show
            await settle(app, pilot, 60)
            assert app.state(5) is StepState.DONE, status(app)
            await pilot.pause(0.3)
            panes = list(app.screen.query(HostLogPane))
            assert len(panes) == 5
            assert all(visible_height(p) >= 3 for p in panes), [visible_height(p) for p in panes]
            assert "Preflight passed" in app.screen.query_one(PreflightTable).verdict
    finally:
        await session.stop()


def fully_visible(widget) -> bool:
    """True when all of ``widget`` is drawn (nothing clipped by its scrolling container)."""
    return visible_height(widget) == widget.outer_size.height > 0


async def test_steps_1_to_6_panes_findings_and_messages_stack_at_120x36(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=0.05)
    try:
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            for number in range(1, 7):
                assert app.screen.name == f"step{number}"
                await pilot.press("ctrl+r")
                await settle(app, pilot)
                if number == 5:  # that was the preflight; now the step
                    await pilot.press("ctrl+r")
                    await settle(app, pilot, 60)
                assert app.state(number) is StepState.DONE, status(app)
                await pilot.pause(0.3)
                screen = app.screen
                messages = screen.query_one("#step-messages")
                assert fully_visible(messages) and messages.lines, f"step {number}: the summary box"
                hidden = [p.host for p in screen.query(HostLogPane) if not fully_visible(p)]
                assert not hidden, f"step {number}: panes cut or covered: {hidden}"
                findings = screen.query_one(FindingsList)
                if findings.items:
                    assert fully_visible(findings), f"step {number}: the Findings box"
                await pilot.press("ctrl+n")
                await pilot.pause(0.3)
            assert app.step_screen(4).query_one(FindingsList).items  # the named-volume warning was checked
    finally:
        await session.stop()


def footer_keys_shown_whole(app: WabizApp) -> set[str]:
    """The keys of the footer drawn whole, left of the command palette's key."""
    keys = list(app.screen.query(FooterKey))
    palette = [k for k in keys if k.has_class("-command-palette")]
    limit = palette[0].region.x if palette else app.size.width
    return {k.key for k in keys if not k.has_class("-command-palette") and 0 < k.region.right <= limit}


async def test_the_footer_shows_the_f_keys_and_the_demo_fault_keys_at_120_columns(installed_demo, tmp_path):
    session = installed_demo
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.2)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        await until(pilot, lambda: monitor.last_verdict is not None, "the first poll")
        await pilot.pause(0.3)
        shown = footer_keys_shown_whole(app)
        assert {"f2", "f3", "f4", "f9", "f5", "f6", "f7", "r"} <= shown, shown
        await pilot.press("f2")  # the wizard: the operations' keys fit too; the fault keys act on the monitor
        await pilot.pause(0.3)
        shown = footer_keys_shown_whole(app)
        assert {"f2", "f3", "f4", "f9", "ctrl+n", "ctrl+r"} <= shown, shown
        assert not {"f5", "f6", "f7"} & {k.key for k in app.screen.query(FooterKey)}
