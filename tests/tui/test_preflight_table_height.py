"""Step 5's preflight table with 50 hosts (issue 17): as tall as the terminal allows (it was fixed at 12 rows),
the hosts with failures and warnings first (a failure of wa-core-40 was far below the table's edge), the last
row reachable, and the whole panel — with the reasons under the table — inside the step's body at 80x24."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from wabiz_tui.tui.widgets.preflight_table import PreflightTable

from .test_snapshots import make_app, show_step

HOSTS = [f"wa-core-{n}" for n in range(1, 51)]
CHECKS = ("ssh", "docker", "compose", "disk /var/lib/docker", "clock", "ports")


def visible_height(widget) -> int:
    geometry = widget.screen.find_widget(widget)
    return geometry.region.intersection(geometry.clip).height


def level(host: str, check: str) -> str:
    if (host, check) == ("wa-core-40", "docker"):
        return "failure"
    if (host, check) in (("wa-core-33", "clock"), ("wa-core-7", "ports")):
        return "warning"
    return "ok"


async def fill_preflight(app, pilot, hosts, checks) -> PreflightTable:
    """Step 5 with every check of ``hosts`` done (one failure, two warnings: :func:`level`), drawn."""
    await show_step(app, pilot, 5)
    panel = app.screen.query_one(PreflightTable)
    panel.clear(hosts)
    for host in hosts:
        for check in checks:
            panel.add(host, check, level(host, check), f"{check} on {host}")
    panel.redraw()
    await pilot.pause(0.3)
    return panel


@pytest.mark.parametrize("size,rows_at_least", [((80, 24), 6), ((120, 40), 14)], ids=["80x24", "120x40"])
async def test_fifty_hosts_fill_the_height_failures_first(tmp_path, size, rows_at_least):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        panel = await fill_preflight(app, pilot, HOSTS, CHECKS)
        grid = panel.query_one(DataTable)
        order = [str(key.value) for key in (row.key for row in grid.ordered_rows)]
        assert order[:3] == ["wa-core-40", "wa-core-7", "wa-core-33"], order[:5]  # failure, then warnings
        assert order[3:6] == ["wa-core-1", "wa-core-2", "wa-core-3"]  # the rest in the profile's order
        shown_rows = visible_height(grid) - grid.header_height - 1  # the header and a horizontal scrollbar
        assert shown_rows >= rows_at_least, shown_rows
        body = app.screen.query_one("#body")
        assert body.region.contains_region(panel.region), (body.region, panel.region)  # reasons included
        grid.focus()
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert grid.cursor_row == 49 and grid.scroll_y == grid.max_scroll_y > 0
