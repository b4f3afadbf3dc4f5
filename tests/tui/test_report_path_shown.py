"""Trial s8 M10 (the report path) and C6 (M1's first Tab stop). M10: the wizard said "report.md and report.json in the run's log folder demo-...-install" (no path);
at M4 (120x40) the messages box was scrolled to the folder's name only, at 80x24 step 9 to a fragment of the line.
The report's whole path is on screen at both sizes, on a line of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from .screen_text import screen_text
from .test_snapshots import make_app, show_step

PATH = Path("/root/.local/state/wabiz-tui/logs/demo-20261205-164811-install/report.md")


@pytest.mark.parametrize("number", [9, 13], ids=["9", "M4"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_reports_whole_path_is_on_screen(tmp_path, size, number):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await show_step(app, pilot, number)
        for i in range(6):  # a full messages box: the report line must not scroll away with it
            app.screen.add_message(f"message {i}: " + "words " * 12)
        app.say_report("install", PATH)
        await pilot.pause()
        await pilot.pause()
        line = app.screen.query_one("#step-report", Static)
        r = line.region
        assert r.height and r.bottom <= size[1] - 1, "above the footer"
        rows = screen_text(app).splitlines()[r.y:r.bottom]
        drawn = "".join(row[r.x:r.right].strip() for row in rows)
        assert str(PATH) in drawn, drawn


async def test_m1s_shard_select_is_the_forms_first_tab_stop(tmp_path):
    """Trial s8 C6: M1's shard select needed two Tabs, the first stop (the form's scroll box) showed no focus."""
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await show_step(app, pilot, 10)
        form = app.screen.query_one("#shards-form")
        chain = app.screen.focus_chain
        assert form not in chain
        assert app.screen.query_one("#shards") in chain
