"""The per-host results line of steps 5 and 6 (trial s9: a line "✔ wa-core-1: ok  ✔" ended with a lone ✔, its host on
the next line): each host's result stays whole on one line, at any width."""

from __future__ import annotations

import pytest
from rich.text import Text

from wabiz_tui.tui.widgets.host_table import flow
from wabiz_tui.workflows.events import HostFinished, StepStarted

from .test_snapshots import make_app, show_step

HOSTS = ("wa-web-1", "wa-master-1", "wa-master-2", "wa-core-1", "wa-core-2", "wa-core-3")


def test_flow_breaks_between_entries_only():
    entries = [Text(f"✔ {h}: ok") for h in HOSTS]
    for width in (20, 33, 40, 57, 200):
        lines = flow(entries, width).plain.split("\n")
        assert all(len(line) <= width for line in lines), (width, lines)
        assert [e for line in lines for e in line.split("  ")] == [e.plain for e in entries], (width, lines)
    assert "\n" not in flow(entries, 0).plain  # not laid out yet: one line


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_no_line_of_the_results_ends_with_a_lone_mark(tmp_path, size):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await show_step(app, pilot, 6)
        screen = app.screen
        screen.handle_event(StepStarted(6, "step 6", HOSTS))
        for host in HOSTS:
            screen.handle_event(HostFinished(host, True, 0, ""))
        await pilot.pause()
        await pilot.pause()
        results = screen.query_one("#results")
        region = results.content_region
        lines = ["".join(seg.text for seg in strip).rstrip() for strip in results.render_lines(region.reset_offset)]
        lines = [line for line in lines if line]
        assert len(lines) > 1, lines  # the six hosts do not fit on one line: the case of the trial
        for line in lines:
            assert not line.endswith(("✔", "✗")), lines
            assert line.startswith("✔ ") and line.endswith(": ok"), lines
        assert sum(line.count("✔") for line in lines) == len(HOSTS)
