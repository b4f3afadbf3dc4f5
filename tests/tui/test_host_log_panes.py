"""The host log panes: found by host without a DOM query, flushed with only what the widget keeps, and
following their last line when they shrink (fast; stand-in engine or a bare pane)."""

from __future__ import annotations

from textual.app import App

from wabiz_tui.tui.widgets.host_log import MAX_LINES, HostLogPane

from .test_wizard_navigation import SIZE, make_app


async def test_a_following_pane_shows_its_last_line_after_it_shrinks():
    class PaneApp(App):
        def compose(self):
            yield HostLogPane("wa-core-1", "coreapp")

    app = PaneApp()
    async with app.run_test(size=(60, 30)) as pilot:
        pane = app.query_one(HostLogPane)
        pane.styles.height = 20
        pane.write_many(f"Creating biz_wacore_{i} ... done" for i in range(60))
        await pilot.pause(0.2)
        pane.styles.height = 10  # e.g. the message log appeared under the panes when the step ended
        await pilot.pause(0.2)
        log = pane.log_widget
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y


async def test_pane_lookup_is_a_dict_and_flush_hands_the_log_only_what_it_keeps(tmp_path):
    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        host = app.profile.hosts[0].external_hostname
        pane = screen.pane_for(host)
        assert isinstance(pane, HostLogPane) and pane.host == host
        calls = []
        original = screen.query
        screen.query = lambda *a, **k: calls.append(a) or original(*a, **k)  # type: ignore[method-assign]
        assert screen.pane_for(host) is pane and screen.pane_for(app.profile.hosts[1].external_hostname)
        assert calls == []  # no DOM query per line
        written: list[int] = []
        widget = pane.log_widget
        orig_write = widget.write_lines
        widget.write_lines = lambda lines, scroll_end=None: written.append(len(list(lines))) or orig_write(  # type: ignore[method-assign]
            [], scroll_end=scroll_end)
        pane.write_many(f"line {i}" for i in range(MAX_LINES * 3))
        pane.flush()
        assert written == [MAX_LINES]
        assert len(pane.history) == MAX_LINES * 3  # the saved history keeps more than the widget
