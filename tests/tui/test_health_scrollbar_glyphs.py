"""No stray block glyphs at the end of the health tables' scroll bars (fb trial: a ``▏``/``▋`` after the horizontal
bar's thumb in step 7/9's and the monitor's tables without colour). They are Textual's eighth blocks at a thumb's
ends, drawn in whole cells now, as in the host panes (``widgets.scrollbars``); the thumb still shows (reversed)."""

from __future__ import annotations

import pytest
from rich.text import Text

from wabiz_tui.tui.widgets.health_table import HealthPanel

from .screen_text import screen_text
from .test_health_keys_and_layout import big_verdict, monitor_showing
from .test_pane_scrollbar_glyphs import EIGHTHS
from .test_snapshots import make_app, show_step


def glyphs_in(app, widget) -> str:
    """The eighth blocks drawn in ``widget``'s region on screen."""
    lines = screen_text(app).splitlines()
    r = widget.screen.find_widget(widget).region
    return "".join(sorted(set("".join(lines[y][r.x:r.right] for y in range(r.y, r.bottom))) & EIGHTHS))


async def scrolled_glyphs(app, pilot, table) -> list[str]:
    """The glyphs at each sideways position the right arrow reaches (thumbs of several places), and at the start."""
    table.focus()
    seen = [glyphs_in(app, table)]
    for _ in range(6):
        await pilot.press("right")
        await pilot.pause(0.1)
        seen.append(glyphs_in(app, table))
    return seen


@pytest.mark.parametrize("size", [(120, 40), (100, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_step_7s_health_table_scroll_bar_draws_no_eighth_blocks(tmp_path, size):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await show_step(app, pilot, 7)
        app.screen.show_health(big_verdict())
        app.screen.set_status(Text("step 7"))
        await pilot.pause(0.3)
        table = app.screen.query_one(HealthPanel).table
        assert table.max_scroll_x > 0, "the test needs a horizontal scroll bar"
        seen = await scrolled_glyphs(app, pilot, table)
        assert not any(seen), seen
        bar = table.horizontal_scrollbar
        assert any(seg.style and seg.style.reverse for seg in bar.render_line(0)), "the thumb is still drawn"


async def test_the_monitors_health_table_scroll_bar_draws_no_eighth_blocks(tmp_path, no_polling):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(120, 30)) as pilot:
        table = (await monitor_showing(app, pilot, big_verdict(), settle=0.3)).table
        assert table.max_scroll_x > 0 and table.max_scroll_y > 0, "the test needs both scroll bars"
        seen = await scrolled_glyphs(app, pilot, table)
        for _ in range(3):
            await pilot.press("pagedown")
            await pilot.pause(0.1)
            seen.append(glyphs_in(app, table))
        assert not any(seen), seen
