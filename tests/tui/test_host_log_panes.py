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


async def test_a_pane_zooms_finds_filters_and_copies(tmp_path, monkeypatch):
    class PaneApp(App):
        log_dir = tmp_path / "state"

        def compose(self):
            yield HostLogPane("wa-core-1", "coreapp")
            yield HostLogPane("wa-core-2", "coreapp")

    app = PaneApp()
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query(HostLogPane).first()
        pane.write_many(f"Creating biz_wacore_{i} ... done" for i in range(200))
        pane.write("ERROR: for wacore  Cannot start service wacore: port is already allocated")
        pane.write_many(f"trailing {i}" for i in range(50))
        await pilot.pause(0.2)
        pane.log_widget.focus()
        await pilot.press("z")  # zoom: the pane fills the screen
        await pilot.pause()
        assert app.screen.maximized is pane and pane.size.width >= 95
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.maximized is None
        await pilot.press("slash", *"already allocated", "enter")  # find: the matching line is scrolled to
        await pilot.pause()
        log = pane.log_widget
        assert log.lines[pane._found].startswith("ERROR:") and log.scroll_y <= pane._found <= log.scroll_y + log.size.height
        await pilot.press("escape")
        pane.log_widget.focus()
        await pilot.press("f", *"biz_wacore_19")  # filter: only the matching lines are shown
        await pilot.pause(0.2)
        assert list(log.lines) == ["Creating biz_wacore_19 ... done"] + [f"Creating biz_wacore_{i} ... done" for i in range(190, 200)]
        pane.log_widget.focus()
        await pilot.press("c")  # copy what is shown: to the clipboard and to a file in the state directory
        await pilot.pause()
        assert copied and copied[0].splitlines() == list(log.lines)
        files = list((tmp_path / "state").glob("copy-*-wa-core-1.log"))
        assert len(files) == 1 and files[0].read_text().splitlines() == list(log.lines)
        pane.set_filter("")
        await pilot.pause()
        assert len(log.lines) == 251


async def test_panes_are_wide_enough_for_docker_compose_ps_at_120_columns(tmp_path):
    app = make_app(tmp_path, [])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panes = list(app.screen.query(HostLogPane))
        assert panes and all(p.size.width >= 70 for p in panes), [p.size.width for p in panes]
