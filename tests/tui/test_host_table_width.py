"""The host table of a big cluster (a step's 50-host view: host table + one detail pane): its "last line" column
takes the width the other columns leave from the first paint (issue 17, s7 trial: ~8 characters until the terminal
was resized), and follows a resize."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from wabiz_tui.tui.widgets.host_log import HostLogGrid
from wabiz_tui.tui.widgets.host_table import HostTable

HOSTS = [(f"wa-core-{i}", "coreapp") for i in range(1, 48)] + [(f"wa-master-{i}", "master") for i in (1, 2, 3)]
LONG = "Creating wa-core-17_coreapp_1 ... done; waiting for the Master to hand out shard 17 of 32 (attempt 3/10)"


class GridApp(App):
    def compose(self) -> ComposeResult:
        yield HostLogGrid(HOSTS, id="grid")


def widths(table: HostTable) -> tuple[int, int]:
    """(the last-line column's drawn width, the table's room for columns)"""
    drawn = sum(c.get_render_width(table) for c in table.ordered_columns)
    return drawn, table.scrollable_content_region.width


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_the_last_line_column_takes_the_remaining_width_from_the_first_paint(size):
    app = GridApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.query_one(HostTable)
        drawn, room = widths(table)
        assert drawn == room, ("first paint", drawn, room)
        for pane in app.query_one(HostLogGrid).panes:
            pane.status = "running"
            pane.write(LONG)
        table.update_rows()
        await pilot.pause()
        drawn, room = widths(table)
        last = table.columns["last line"]
        assert drawn == room, (drawn, room)
        assert last.get_render_width(table) > 30, last.get_render_width(table)
        # a resize: the column follows
        await pilot.resize_terminal(size[0] + 30, size[1])
        await pilot.pause()
        await pilot.pause()
        drawn, room = widths(table)
        assert drawn == room, (drawn, room)
