"""The health table on the health steps and the monitor (issue 17, defect 3 follow-ups): focused when a health
step opens, → and ← scroll by whole columns (Home/End to the ends), at 80 columns the reason goes to the
detail panel instead of a 5-character column, and the monitor's timeline stays on screen under 50 rows."""

from __future__ import annotations

import pytest

from wabiz_tui.domain.health import ClusterVerdict, Level, NodeVerdict
from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.widgets.health_table import HealthPanel
from wabiz_tui.tui.widgets.timeline import Timeline
from wabiz_tui.workflows.monitor import PollResult

from .fake_engine import verdict
from .screen_text import screen_text
from .test_snapshots import failing_verdict, make_app, show_step

SIZES = [(80, 24), (120, 40), (200, 50)]


def column_spans(table) -> list[tuple[int, int]]:
    """Each column's [start, end) in the table's virtual width."""
    spans, x = [], 0
    for column in table.ordered_columns:
        spans.append((x, x + column.get_render_width(table)))
        x += spans[-1][1] - spans[-1][0]
    return spans


def big_verdict() -> ClusterVerdict:
    """43 Coreapps, one down (the shard's owner): a long table."""
    nodes = [NodeVerdict(f"wa-core-{i}", f"c{i:011d}", "coreapp", "coreapp", "disconnected", "disconnected",
                         Level.STANDBY, "standby coreapp: takes a shard over when its owner stops")
             for i in range(1, 44)]
    nodes[5] = NodeVerdict("wa-core-6", "", "coreapp", "coreapp", "connected", "missing", Level.FAILURE,
                           "container down or host unreachable")
    return ClusterVerdict(Level.FAILURE, "Shard 1 is not served", "start wacore on wa-core-6", tuple(nodes),
                          shards_served=0, standby=42, primary_master="wa-core-1:c00000000001", registered=True)


@pytest.fixture
def no_polling(monkeypatch):
    async def nothing(_screen) -> None:
        return None

    monkeypatch.setattr(MonitorScreen, "_poll_loop", nothing)


async def monitor_showing(app, pilot, shown: ClusterVerdict, settle: float = 0.2) -> HealthPanel:
    """The monitor of ``app`` (no polling) after it showed one poll answering ``shown``: its health panel."""
    await pilot.pause()
    app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=shown))
    await pilot.pause(settle)
    return app.screen.query_one(HealthPanel)


def fully_visible(app, widget) -> bool:
    r = widget.region
    return r.height > 0 and r.bottom <= app.size.height - 1 and r.y >= 0


@pytest.mark.parametrize("number", [7, 9])
async def test_a_health_step_opens_with_its_node_table_focused(tmp_path, number):
    """Before: the body had the focus; the arrows scrolled the page until a Tab reached the table."""
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await show_step(app, pilot, number)
        await pilot.pause()
        panel = app.screen.query_one(HealthPanel)
        assert app.focused is panel.table
        app.screen.show_health(verdict(True))
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        assert panel.table.cursor_row == 1 and panel.detail.row == panel.rows[1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_right_arrow_shows_the_next_whole_column_and_home_end_go_to_the_ends(tmp_path, no_polling, size):
    """Before: → scrolled one character (40 presses to reach the container at 120 columns)."""
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        table = (await monitor_showing(app, pilot, big_verdict())).table
        assert app.focused is table
        # under load the table's last layout can land after the pause: measure once two looks agree
        look = None
        for _ in range(50):
            now = (table.scrollable_content_region.width, column_spans(table), table.max_scroll_x)
            if now == look:
                break
            look = now
            await pilot.pause(0.1)
        width, spans, _ = look
        hidden = [span for span in spans if span[1] > width]  # cut or beyond the right edge
        for presses, (start, end) in enumerate(hidden, 1):
            await pilot.press("right")
            await pilot.pause()
            left = int(table.scroll_x) + spans[0][1]  # the Host column is pinned over the left edge
            assert left <= start and end <= int(table.scroll_x) + width, (presses, (start, end), left)
        assert table.scroll_x == table.max_scroll_x
        await pilot.press("right")  # at the end: nothing moves
        assert table.scroll_x == table.max_scroll_x
        if hidden:
            await pilot.press("left")
            await pilot.pause()
            left = int(table.scroll_x)
            assert left < table.max_scroll_x and left + spans[0][1] in [a for a, _ in spans], left
            await pilot.press("end")
            await pilot.pause()
            assert table.scroll_x == table.max_scroll_x
            await pilot.press("home")
            await pilot.pause()
            assert table.scroll_x == 0
        assert table.cursor_row == 0  # sideways keys never move the row cursor


async def test_at_80_columns_the_reason_is_in_the_detail_panel_not_a_cut_column(tmp_path, no_polling):
    """Before: the Reason column showed its first 5 characters at the right edge."""
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await monitor_showing(app, pilot, failing_verdict())
        keys = [c.key.value for c in panel.table.ordered_columns]
        assert "reason" not in keys and keys[:4] == ["host", "state", "role", "status"], keys
        assert "reason: container down or host unreachable" in screen_text(app)
        await pilot.resize_terminal(160, 40)  # wider: the column comes back, the rows are the same
        await pilot.pause(0.3)
        keys = [c.key.value for c in panel.table.ordered_columns]
        assert "reason" in keys and panel.table.row_count == len(panel.rows)
        assert panel.table.get_cell_at((0, keys.index("reason"))) == "container down or host unreachable"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_monitor_timeline_and_the_selected_node_stay_on_screen_with_50_rows(tmp_path, no_polling, size):
    """Before: with 43 rows the table pushed the detail and the timeline below the screen at 80x24 and 120x40."""
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await monitor_showing(app, pilot, big_verdict())
        timeline = app.screen.query_one(Timeline)
        assert fully_visible(app, timeline) and timeline.scrollable_content_region.height >= 2
        text = screen_text(app)
        assert "monitor started" in text  # an entry of the timeline is drawn
        assert "reason: container down or host unreachable" in text  # the selected (failing) node's line
