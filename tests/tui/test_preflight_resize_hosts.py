"""Step 5's preflight table keeps its host names whole after resizes across the compact width (fb trial: after
120 -> 80 the host column was drawn 4 characters wide, ``wa-c`` for every host, and ctrl+l did not fix it).

The rows are read as drawn: the table is rebuilt on such a resize, its rows drawn at the host column's label width
before Textual measures them, and Textual kept those drawn lines (``cell_cache.CellCachedTable._update_dimensions``).
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from .screen_text import screen_text
from .test_preflight_compact import CHECKS
from .test_preflight_table_height import fill_preflight
from .test_snapshots import make_app


def drawn_hosts(app, grid: DataTable) -> list[str]:
    """The first word of every table row on screen (under the header), as the terminal shows it."""
    lines = screen_text(app).splitlines()
    region = grid.screen.find_widget(grid).region.intersection(grid.screen.find_widget(grid).clip)
    rows = [lines[y][region.x:region.right].split() for y in range(region.y + grid.header_height, region.bottom)]
    return [words[0] for words in rows if words]


@pytest.mark.parametrize("count,sizes", [
    (5, [(120, 40), (80, 24), (200, 50)]),
    (5, [(80, 24), (120, 40)]),
    (50, [(120, 40), (80, 24)]),
    (50, [(80, 24), (120, 40), (80, 24), (200, 50)]),
], ids=["5-120-80-200", "5-80-120", "50-120-80", "50-80-120-80-200"])
async def test_host_names_stay_whole_after_resizes(tmp_path, count, sizes):
    hosts = [f"wa-core-{n}" for n in range(1, count + 1)]
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=sizes[0]) as pilot:
        panel = await fill_preflight(app, pilot, hosts, CHECKS)
        grid = panel.query_one(DataTable)
        for size in sizes[1:]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
            drawn = drawn_hosts(app, grid)
            order = [str(row.key.value) for row in grid.ordered_rows]
            assert len(drawn) >= min(count, 5), (size, drawn)
            assert drawn == order[int(grid.scroll_y):int(grid.scroll_y) + len(drawn)], (size, drawn)
