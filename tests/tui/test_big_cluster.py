"""A 50-host cluster in the TUI, on the simulator (issue 17): the preflight's 50 rows reachable and its counter
right, step 5 with three failed hosts readable (host table, their error text, the buttons on screen), then the
retry and the next step to the end of the container steps."""

from __future__ import annotations

import pytest
from textual.widgets import Button, DataTable

from tests.support import SPEED, big_layout
from wabiz_tui.demo import start_demo
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane
from wabiz_tui.tui.widgets.host_table import HostTable
from wabiz_tui.tui.widgets.preflight_table import PreflightTable

from .pilot_wait import settle
from .test_layout_visibility import visible_height
from .test_preflight_gate import run_headless, status

pytestmark = pytest.mark.slow

SIZE = (120, 40)
FAILING = ("wa-core-7", "wa-core-19", "wa-core-30")


def text_of(app: WabizApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_a_50_host_cluster_reads_well_in_the_preflight_and_when_hosts_fail(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=SPEED, hosts=big_layout(), spare_hosts=())
    try:
        assert len(session.profile.hosts) == 50
        await run_headless(session, range(1, 5), journal=False)
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        app.states.update({n: StepState.DONE for n in range(1, 5)})
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.goto_step(5)
            await pilot.pause()
            await pilot.press("ctrl+n")  # the preflight
            await settle(app, pilot, 120)
            assert "Preflight passed" in status(app), status(app)
            table = app.screen.query_one(PreflightTable)
            grid = table.query_one(DataTable)
            assert grid.row_count == 50
            assert "50/50 hosts" in text_of(app, "#elapsed"), text_of(app, "#elapsed")
            grid.focus()
            await pilot.press("ctrl+end")  # the last row can be reached
            await pilot.pause()
            assert grid.cursor_row == 49 and grid.max_scroll_y > 0 and grid.scroll_y == grid.max_scroll_y
            assert visible_height(grid) > 3

            for host in FAILING:  # three hosts lose their Docker daemon before the containers start
                session.cluster.set_docker_fault(host, "daemon_down")
            await pilot.press("ctrl+n")  # step 5 itself
            await settle(app, pilot, 120)
            assert app.state(5) is StepState.FAILED
            await pilot.pause(0.6)  # the host table's refresh
            hosts = app.screen.query_one(HostTable)
            order = [str(key.value) for key in hosts.rows]
            assert order[:3] == list(FAILING), order[:5]  # failures first, in natural order
            # then Masters, Webapps, Coreapps, each in natural order (not 1, 10, 11)
            assert order[3:10] == ["wa-master-1", "wa-master-2", "wa-master-3", "wa-web-1", "wa-web-2", "wa-web-3",
                                   "wa-web-4"], order[:12]
            assert order[10:13] == ["wa-core-1", "wa-core-2", "wa-core-3"], order[:14]
            shown = [p for p in app.screen.query(HostLogPane) if p.display]
            assert [p.host for p in shown] == [FAILING[0]]  # a failed host's pane opened by itself
            assert visible_height(shown[0]) >= 8
            assert any("Docker" in line or "docker" in line for line in shown[0].history)
            line = status(app)
            assert "3 of 50 hosts failed (wa-core-7, wa-core-19, wa-core-30)" in line, line
            assert "wa-core-1," not in line and len(line) < 600
            messages = "\n".join(str(x) for x in app.screen.query_one("#step-messages").lines)
            assert all(f"✗ {host}:" in messages for host in FAILING), messages
            for button in app.screen.query(Button):
                if button.id in ("back", "run", "next"):
                    assert visible_height(button) == button.outer_size.height > 0, button.id

            for host in FAILING:
                session.cluster.set_docker_fault(host, None)
            await pilot.press("ctrl+r")  # the retry
            await settle(app, pilot, 120)
            assert app.state(5) is StepState.DONE, status(app)
            await pilot.press("ctrl+n")  # to step 6
            await pilot.pause()
            await pilot.press("ctrl+r")  # step 6: docker-compose ps on every host
            await settle(app, pilot, 120)
            assert app.state(6) is StepState.DONE, status(app)
            await pilot.pause(0.6)
            assert "✔ 50 ok" in text_of(app, "#results"), text_of(app, "#results")
    finally:
        await session.stop()
