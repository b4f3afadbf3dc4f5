"""Step 5's preflight table header on one line (issue 17, s9 trial): ``disk /var/lib/docker`` was headed ``disk`` /
``docker`` on two rows. At 80, 120 and 200 columns with 50 hosts every header is one line, the columns fit the
panel when the media is a named volume, and two disk checks keep their paths' last parts apart."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from wabiz_tui.tui.widgets.preflight_table import PreflightTable, column_label

from .screen_text import screen_text
from .test_preflight_compact import fill
from .test_snapshots import make_app, show_step


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_header_is_one_line_and_every_column_fits(tmp_path, size):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        panel, grid = await fill(app, pilot)
        labels = [str(column.label) for column in grid.ordered_columns]
        assert grid.header_height == 1 and not [label for label in labels if "\n" in label], labels
        assert grid.virtual_size.width <= grid.scrollable_content_region.width, "a column is cut"
        header = grid.region.y
        line = screen_text(app).splitlines()[header]
        assert all(label in line for label in labels), (labels, line)
        assert "docker" not in screen_text(app).splitlines()[header + 1].split("wa-core")[0], "a header's 2nd row"
        if not panel.compact:
            assert "disk" in labels and "DB" in labels


async def test_a_second_disk_check_names_both_paths_in_one_line(tmp_path):
    assert column_label("disk /var/lib/docker", ["disk /var/lib/docker", "docker"]) == "disk"
    both = ["disk /var/lib/docker", "disk /mnt/wamedia/", "media", "media shared"]
    assert [column_label(n, both) for n in both] == ["disk docker", "disk wamedia", "media", "media shared"]
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(160, 40)) as pilot:
        await show_step(app, pilot, 5)
        panel = app.screen.query_one(PreflightTable)
        panel.clear(["wa-core-1", "wa-core-2"])
        panel.add("wa-core-1", "disk /var/lib/docker", "ok", "enough room")
        panel.redraw()
        await pilot.pause(0.3)
        grid = panel.query_one(DataTable)
        assert [str(c.label) for c in grid.ordered_columns] == ["host", "disk"]
        panel.add("wa-core-1", "disk /mnt/wamedia", "warning", "little room")  # arrives later: the first is renamed
        panel.redraw()
        await pilot.pause(0.3)
        assert [str(c.label) for c in grid.ordered_columns] == ["host", "disk docker", "disk wamedia"]
