"""Issue 17 follow-ups (a fresh-user trial): the health table re-fits its columns on a live resize and keeps
the Host column pinned while the others scroll; the doctor screen gives its width to what has content and
reads the profile file again on each run."""

from __future__ import annotations

import pytest
from rich.text import Text

from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.widgets.health_table import HealthPanel
from wabiz_tui.workflows.monitor import PollResult

from .screen_text import screen_text
from .test_health_keys_and_layout import big_verdict
from .test_snapshots import failing_verdict, make_app


@pytest.fixture
def no_polling(monkeypatch):
    async def nothing(_screen) -> None:
        return None

    monkeypatch.setattr(MonitorScreen, "_poll_loop", nothing)


def rendered_cells(table) -> list[list[str]]:
    """What each cell shows: its text cut to its column's width, as DataTable draws it."""
    widths = [c.get_render_width(table) - 2 * table.cell_padding for c in table.ordered_columns]
    out = []
    for r in range(table.row_count):
        row = []
        for c, width in enumerate(widths):
            value = table.get_cell_at((r, c))
            text = value.plain if isinstance(value, Text) else str(value)
            row.append(text[:width])
        out.append(row)
    return out


async def _cells_at(tmp_path, size, verdict, resize_to=()):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for _poll in range(2):
            app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=verdict))
            await pilot.pause(0.1)
        for w, h in resize_to:
            await pilot.resize_terminal(w, h)
            await pilot.pause(0.2)
            app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=verdict))  # a poll after it
            await pilot.pause(0.2)
        table = app.screen.query_one(HealthPanel).table
        return [c.key.value for c in table.ordered_columns], rendered_cells(table)


@pytest.mark.parametrize("path", [((120, 40), ((80, 24), (200, 50))), ((200, 50), ((80, 24),)),
                                  ((80, 24), ((120, 40),))],
                         ids=["120-80-200", "200-80", "80-120"])
@pytest.mark.parametrize("which", ["failing", "big"])
async def test_a_live_resize_refits_the_columns_as_a_fresh_start_at_that_size(tmp_path, no_polling, path, which):
    """Before: after 120x40 → 80x24 → 200x50 the columns stayed collapsed (`wa-m  ✔ ok   master → prima`)."""
    verdict = failing_verdict() if which == "failing" else big_verdict()
    start, resizes = path
    after = await _cells_at(tmp_path, start, verdict, resizes)
    fresh = await _cells_at(tmp_path, resizes[-1], verdict)
    assert after == fresh


def collapse(table) -> None:
    """The state the trial saw after live resizes in tmux: every column at its label's width."""
    for column in table.ordered_columns:
        column.auto_width, column.content_width = True, len(column.label.plain)
    table.refresh()


@pytest.mark.parametrize("resize", [None, (200, 50)], ids=["next-poll", "resize"])
async def test_collapsed_columns_are_fitted_again_by_the_next_poll_or_resize(tmp_path, no_polling, resize):
    """Before: once at their labels' widths the columns stayed so across polls (cells unchanged: nothing
    re-measured them) and across resizes that kept the reason column."""
    verdict = failing_verdict()
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=verdict))
        await pilot.pause(0.1)
        table = app.screen.query_one(HealthPanel).table
        collapse(table)
        await pilot.pause(0.1)
        assert rendered_cells(table)[0][0] == "wa-h"  # the simulated collapse took
        if resize:
            await pilot.resize_terminal(*resize)
            await pilot.pause(0.2)
        else:
            app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=verdict))
            await pilot.pause(0.2)
        after = [c.key.value for c in table.ordered_columns], rendered_cells(table)
    assert after == await _cells_at(tmp_path, resize or (120, 40), verdict)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_host_column_stays_on_screen_when_scrolled_to_the_end(tmp_path, no_polling, size):
    """Before: → / End scrolled the Host column off the left edge."""
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=big_verdict()))
        await pilot.pause(0.2)
        table = app.screen.query_one(HealthPanel).table
        assert table.max_scroll_x > 0  # something to scroll at this size
        await pilot.press("end")
        await pilot.pause()
        assert table.scroll_x == table.max_scroll_x
        lines = screen_text(app).splitlines()
        top = table.region.y + 1  # the first row under the header
        assert lines[top].strip().startswith("wa-core-6"), lines[top]
        assert lines[table.region.y].strip().startswith("Host"), lines[table.region.y]
        for _ in range(8):
            await pilot.press("right")
        await pilot.pause()
        assert screen_text(app).splitlines()[top].strip().startswith("wa-core-6")
