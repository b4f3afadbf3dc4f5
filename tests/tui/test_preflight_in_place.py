"""Step 5's preflight grid changes in place while results arrive (issue 17): a new check's column and a host whose
worst result moves its row do not rebuild the table, so only the new cells are measured (a rebuild measured and drew
all of them again behind a key). Counted, not timed: rebuilds and Textual's ``measure`` calls of the table."""

from __future__ import annotations

import textual.widgets._data_table as data_table_module
from textual.widgets import DataTable

from wabiz_tui.tui.widgets.preflight_table import PreflightTable

from .test_snapshots import make_app, show_step

HOSTS = [f"wa-core-{n}" for n in range(1, 51)]


def shown(grid: DataTable) -> list[list[str]]:
    """The grid as displayed: each row's cells' text, in display order."""
    return [[str(cell.plain) for cell in grid.get_row(row.key)] for row in grid.ordered_rows]


async def test_a_new_column_and_a_moved_row_measure_only_the_new_cells(tmp_path, monkeypatch):
    measured: list[object] = []
    real = data_table_module.measure

    def counting(console, renderable, *args, **kwargs):
        measured.append(renderable)
        return real(console, renderable, *args, **kwargs)

    monkeypatch.setattr(data_table_module, "measure", counting)
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await show_step(app, pilot, 5)
        panel = app.screen.query_one(PreflightTable)
        grid = panel.query_one(DataTable)
        panel.clear(HOSTS)
        for host in HOSTS:
            panel.add(host, "ssh", "ok", "connected")
        panel.add("wa-core-9", "clock", "warning", "3 s off")
        panel.redraw()
        await pilot.pause(0.3)
        assert panel.rebuilds == 1  # the first draw after clear
        assert [row.key.value for row in grid.ordered_rows][:2] == ["wa-core-9", "wa-core-1"]

        measured.clear()
        for host in HOSTS:  # a third check's column; wa-core-40 fails it and moves first
            panel.add(host, "docker", "failure" if host == "wa-core-40" else "ok", "daemon down")
        panel.redraw()
        await pilot.pause(0.3)
        assert panel.rebuilds == 1
        # the new column's 50 cells, its header, the spelled-out failure: not the 150 cells of a rebuild
        assert len(measured) <= len(HOSTS) + 5, len(measured)
        rows = shown(grid)
        assert [r[0] for r in rows[:3]] == ["wa-core-40", "wa-core-9", "wa-core-1"]  # failure, warning, the rest
        assert rows[0][1:] == ["✔", "·", "✗ FAIL"] and rows[1][1:] == ["✔", "⚠", "✔"] and rows[2][1:] == ["✔", "·", "✔"]
        assert grid.row_count == 50 and len(rows[0]) == 4
        assert panel.count("failure") == 1 and panel.count("warning") == 1 and len(panel.checks) == 101

        grid.focus()
        grid.move_cursor(row=0, column=3)
        await pilot.pause()
        assert panel.border_subtitle == "wa-core-40 docker: daemon down"  # the displayed row's own reason

        panel.clear(HOSTS)  # a new run starts from a fresh table
        await pilot.pause()
        assert panel.rebuilds == 2


async def test_the_kept_worst_levels_and_order_are_those_of_every_result(tmp_path):
    """The table keeps each host's worst level as results arrive (not recounted over every result per host); a
    result given again (better or worse) counts as the only one of its check; unknown levels rank after ok."""
    import random

    rank = {"failure": 0, "warning": 1, "ok": 2}
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await show_step(app, pilot, 5)
        panel = app.screen.query_one(PreflightTable)
        panel.clear(HOSTS[:20])
        pick = random.Random(17)
        for _ in range(400):
            host = pick.choice(HOSTS[:25] + [""])  # hosts outside the profile's order and the cluster too
            panel.add(host, pick.choice(["ssh", "clock", "docker", "disk /var"]),
                      pick.choice(["ok", "ok", "ok", "warning", "failure", "skipped"]), "why")
        everyone = list(dict.fromkeys(h for h, _ in panel.checks))
        for host in everyone + ["wa-core-49"]:
            levels = [lv for (h, _n), (lv, _r) in panel.checks.items() if h == host]
            assert panel.worst(host) == (min(levels, key=lambda lv: rank.get(lv, 3)) if levels else "")
        arrived = [h for h in HOSTS[:20] if h in everyone] + [h for h in everyone if h and h not in HOSTS[:20]]
        assert panel.hosts == sorted(arrived, key=lambda h: min(rank.get(panel.worst(h), 3), 2))
        planned = len(set(HOSTS[:20]) | set(arrived))
        assert panel.counter().startswith(f"0/{planned} checked"), "a result is not a host with all its checks in"
        for host in arrived[:7]:
            panel.host_done(host)
        assert panel.counter().startswith(f"7/{planned} checked")
