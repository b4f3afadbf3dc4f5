"""Issue 17 (a new user's ``demo --hosts 50`` trial), the tables: step 5's preflight counters agree while the checks
run, the health table says how many rows it shows and brings a new failure into view, and steps 7/9 and M2/M4
explain a node's state in the same words."""

from __future__ import annotations

import re

import pytest

from tests.support import SPEED, big_layout
from wabiz_tui.demo import start_demo
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.preflight_table import PreflightTable

from .pilot_wait import settle
from .test_preflight_gate import run_headless

pytestmark = pytest.mark.slow


async def test_at_120x40_with_50_hosts_the_preflight_title_counts_what_the_status_line_counts(tmp_path):
    """Before: ``Preflight · 50/50 hosts`` in the table's title from each host's first result, while the status
    line said ``0/50 hosts`` until the hosts' checks were all in."""
    session = await start_demo(tmp_path / "demo", speed=SPEED, hosts=big_layout(), spare_hosts=())
    await run_headless(session, range(1, 5), journal=False)
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
    app.states.update({n: StepState.DONE for n in range(1, 5)})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.goto_step(5)
        await pilot.pause()
        await pilot.press("ctrl+n")  # the preflight
        table = app.screen.query_one(PreflightTable)
        seen_partial = False
        while app.busy:
            await pilot.pause(0.05)
            found = re.search(r"Preflight · (\d+)/50", str(table.border_title))
            if found is None:
                continue
            finished = len(app.screen.finished_hosts)  # the status line's N/50 hosts and its progress bar
            assert int(found.group(1)) <= finished, (table.border_title, finished)
            seen_partial |= bool(table.checks) and finished < 50
        await settle(app, pilot, 120)
        assert seen_partial, "no frame while the checks ran"
        assert "50/50 checked" in str(table.border_title)
        assert "50/50 hosts" in str(app.screen.query_one("#elapsed").render())
