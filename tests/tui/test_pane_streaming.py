"""The streaming hot path of the panes and the screens' handler set-up (issue 8), against the fake engine."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import App

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.review import ReviewScreen
from wabiz_tui.tui.widgets.host_log import FLUSH_INTERVAL, HostLogGrid, HostLogPane
from wabiz_tui.workflows.events import HostFinished, HostOutput

from .fake_engine import FakeHaInstall, sample_profile

SIZE = (140, 45)


async def test_the_pane_width_is_measured_inline_and_counts_wide_characters_and_tabs():
    class PaneApp(App):
        def compose(self):
            yield HostLogPane("wa-core-1", "coreapp")

    app = PaneApp()
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(HostLogPane)
        lines = ["short ascii", "完成 " * 20, "a\tb\tc" + "x" * 30]
        pane.write_many(lines)
        pane.flush()
        log = pane.log_widget
        widest = max(cell_len(log._process_line(line)) for line in lines)
        assert widest > len("完成 " * 20)  # the wide line is wider in cells than in characters
        assert log.virtual_size.width == widest  # at once: no thread worker, no call back into the loop
        assert not [w for w in app.workers if w.node is log]
        await pilot.pause()


async def test_a_grid_flushes_all_its_panes_on_one_timer():
    class GridApp(App):
        def compose(self):
            yield HostLogGrid([("wa-host-1", "webapp"), ("wa-host-2", "coreapp")])

    app = GridApp()
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(HostLogGrid)
        panes = grid.panes
        assert len(grid._timers) == 1 and not any(p._timers for p in panes)
        for i, pane in enumerate(panes):
            pane.write_many(f"line {i}-{n}" for n in range(50))
        await pilot.pause(FLUSH_INTERVAL * 3)
        assert [p.log_widget.line_count for p in panes] == [50, 50]


async def test_screen_hooks_run_once_and_panes_are_found_without_a_dom_query_per_line(tmp_path, monkeypatch):
    reviews = []
    monkeypatch.setattr(ReviewScreen, "refresh_review", lambda self: reviews.append(self))
    app = WabizApp(sample_profile(), workflow_factory=lambda p, emit: FakeHaInstall(p, emit=emit),
                   log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.step_screen(2)
        app.push_screen(screen)
        await pilot.pause()
        assert len(reviews) == 1  # Textual runs on_screen_resume of every class: the hook must run once
        assert len([t for t in screen._timers if t._callback == screen._tick]) == 1
        host = app.profile.hosts[0].external_hostname
        queries = []
        original = type(screen).query
        monkeypatch.setattr(type(screen), "query", lambda self, *a: queries.append(a) or original(self, *a))
        for n in range(200):
            screen.handle_event(HostOutput(host, f"line {n}"))
        screen.handle_event(HostFinished(host, True, 0, ""))
        assert len(queries) <= 1
        pane = screen.pane_for(host)
        assert pane is not None and len(pane.history) == 200 and pane.status == "ok"
        assert screen.host_results[host].ok
