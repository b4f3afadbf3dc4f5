"""What must stay on screen at 80x24 and 120x36: the monitor's node rows, healthy and after a fault."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from wabiz_tui.domain.health import Level
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.widgets.findings import FindingsList

from .test_multiconnect_monitor import until

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
