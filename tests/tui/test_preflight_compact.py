"""Step 5's preflight with 50 hosts at 80x24 (issue 17, s7 trial with ``demo --hosts 50``): the table showed 5 of 50
rows and cut its nine check columns after the sixth. Below 110 columns it has one row per host in short words
(host, verdict, the checks that did not pass), as many rows as the step's body has room for, failures first, a
counter in its title, and the selected row's reasons in a detail line."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from wabiz_tui.tui.widgets.preflight_table import PreflightTable

from .screen_text import screen_text
from .test_preflight_table_height import HOSTS, level, visible_height
from .test_snapshots import make_app, show_step

#: The host checks the preflight runs, as the 50-host demo shows them.
CHECKS = ("clock", "ssh", "docker", "compose", "disk /var/lib/docker", "ports", "names", "database", "image")


async def fill(app, pilot) -> tuple[PreflightTable, DataTable]:
    await show_step(app, pilot, 5)
    panel = app.screen.query_one(PreflightTable)
    panel.clear(HOSTS)
    panel.add("", "webapps", "warning", "4 Webapps but webapp.url points at one of them")
    panel.add("", "masters", "ok", "3 Masters")
    for host in HOSTS:
        for check in CHECKS:
            panel.add(host, check, level(host, check), f"{check} on {host}")
        panel.host_done(host)
    panel.redraw()
    await pilot.pause(0.3)
    return panel, panel.query_one(DataTable)


async def test_at_80x24_every_column_fits_the_rows_fill_the_room_and_the_selected_row_has_its_reasons(tmp_path):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        panel, grid = await fill(app, pilot)
        assert panel.compact
        assert [str(c.label) for c in grid.ordered_columns] == ["host", "verdict", "not ok"]
        assert grid.virtual_size.width <= grid.scrollable_content_region.width, "a column is cut"
        rows = [str(key.value) for key in (row.key for row in grid.ordered_rows)]
        assert rows[:3] == ["wa-core-40", "wa-core-7", "wa-core-33"]
        shown = visible_height(grid) - grid.header_height
        assert shown >= 5, shown
        body = app.screen.query_one("#body")
        assert body.region.contains_region(grid.region)  # no row of the table below the body's fold
        text = screen_text(app)
        assert "Preflight · 50/50 checked · 1 failed · 3 warning(s)" in text, text
        assert "1 failure(s), 3 warning(s)" in panel.verdict, "the frame and the verdict count alike"
        assert "wa-core-40  FAIL     docker" in text and "wa-core-7   warn     ports" in text, text
        detail = panel.query_one("#preflight-detail")
        assert body.region.contains_region(detail.region)
        assert "wa-core-40: ✗ FAIL docker: docker on wa-core-40" in str(detail.render())
        grid.focus()
        await pilot.press("down")
        await pilot.pause()
        assert str(detail.render()).startswith("wa-core-7: ⚠ warn ports: ports on wa-core-7")
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert grid.cursor_row == 49 and "every check passed" in str(detail.render())


@pytest.mark.parametrize("size", [(120, 40)], ids=["120x40"])
async def test_wider_terminals_keep_one_column_per_check_and_a_resize_switches(tmp_path, size):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        panel, grid = await fill(app, pilot)
        assert not panel.compact
        assert len(grid.ordered_columns) == 1 + len(CHECKS)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        assert panel.compact and [str(c.label) for c in grid.ordered_columns] == ["host", "verdict", "not ok"]
        await pilot.resize_terminal(*size)
        await pilot.pause(0.3)
        assert len(grid.ordered_columns) == 1 + len(CHECKS)


async def test_a_cluster_level_warning_is_counted_in_the_frame_as_in_the_verdict(tmp_path):
    """Trial s8 N9: ``Preflight · 50/50 hosts · 0 failing · 0 warning`` over ``✔ Preflight passed with 1
    warning(s)`` when the one warning was the cluster's (``webapps``), not a host's."""
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_step(app, pilot, 5)
        panel = app.screen.query_one(PreflightTable)
        panel.clear(HOSTS)
        panel.add("", "webapps", "warning", "4 Webapps but webapp.url points at one of them")
        for host in HOSTS:
            for check in CHECKS:
                panel.add(host, check, "ok", f"{check} on {host}")
            panel.host_done(host)
        panel.redraw()
        await pilot.pause(0.3)
        assert panel.counter() == "50/50 checked · 0 failed · 1 warning(s)"
        assert "1 warning(s)" in panel.verdict
        assert "Preflight · 50/50 checked · 0 failed · 1 warning(s)" in screen_text(app)
