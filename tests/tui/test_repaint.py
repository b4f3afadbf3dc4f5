"""A step screen's partial repaint draws only the widgets under what changed and writes what Textual's writes."""

from __future__ import annotations

import io
import random

from rich.console import Console
from textual._compositor import Compositor
from textual.widget import Widget
from textual.widgets import Button, ProgressBar, Static

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.repaint import AreaCompositor, changed_areas
from wabiz_tui.tui.widgets.host_log import HostLogPane

from .fake_engine import FakeHaInstall, sample_profile


def written(update) -> str:
    """The bytes an update writes to the terminal."""
    console = Console(width=200, height=60, file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      legacy_windows=False, safe_box=False)
    return update.render_segments(console)


def both_updates(compositor: AreaCompositor, widgets: list[Widget]) -> tuple[str, str, int, int]:
    """Textual's partial update and this one for ``widgets`` repainted: what each writes and how many widgets each drew."""
    for widget in widgets:
        widget.refresh()
    compositor.update_widgets(set(widgets))
    regions = set(compositor._dirty_regions)
    drawn = [0]
    originals = {}
    for widget in compositor.visible_widgets:
        originals[widget] = widget.render_lines

        def counting(crop, _original=widget.render_lines):
            drawn[0] += 1
            return _original(crop)

        widget.render_lines = counting  # type: ignore[method-assign]
    try:
        textual = written(Compositor.render_partial_update(compositor))
        by_textual, drawn[0] = drawn[0], 0
        compositor._dirty_regions.update(regions)
        ours = written(compositor.render_partial_update())
    finally:
        for widget, original in originals.items():
            widget.render_lines = original  # type: ignore[method-assign]
    return textual, ours, by_textual, drawn[0]


async def test_a_step_screens_repaint_draws_the_widgets_under_the_changes_and_writes_what_textual_writes(tmp_path):
    """A step's start changes its step-list item (top left), the buttons (bottom right), the status line and the
    panes: Textual drew every widget of the screen for it (issue 17, the key waits of a step's first frame)."""
    app = WabizApp(sample_profile(), workflow_factory=lambda p, emit: FakeHaInstall(p, emit=emit),
                   log_dir=tmp_path / "logs")
    async with app.run_test(size=(180, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        compositor = screen._compositor
        assert isinstance(compositor, AreaCompositor)
        panes = list(screen.query(HostLogPane))
        for pane in panes:
            pane.log_widget.write_lines([f"{pane.host} line {i} " * 4 for i in range(40)])
        await pilot.pause()
        await pilot.pause()
        start = [screen.query("StepItem").first(), screen.query_one("#run", Button), screen.query_one("#next", Button),
                 screen.query_one("#status", Static), screen.query_one(ProgressBar), *panes,
                 *(p.log_widget for p in panes)]
        textual, ours, by_textual, by_us = both_updates(compositor, start)
        assert ours == textual and textual
        assert by_us < by_textual / 2, (by_us, by_textual)
        everything = [w for w in compositor.visible_widgets if w is not screen]
        rng = random.Random(17)
        for _ in range(30):
            textual, ours, by_textual, by_us = both_updates(compositor, rng.sample(everything, rng.randint(1, 6)))
            assert ours == textual and by_us <= by_textual


def test_changed_areas_cover_every_region_and_merge_those_that_touch():
    from textual.geometry import Region

    regions = [Region(0, 0, 2, 2), Region(2, 0, 2, 2), Region(10, 10, 1, 1), Region(30, 0, 5, 40), Region(31, 5, 1, 1)]
    areas = changed_areas(regions)
    assert sorted(areas) == [Region(0, 0, 4, 2), Region(10, 10, 1, 1), Region(30, 0, 5, 40)]
    assert all(any(area.contains_region(r) for area in areas) for r in regions)
