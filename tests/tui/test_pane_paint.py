"""What a streaming pane's repaint costs (issue 17): counted, not timed."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.dom import DOMNode
from textual.geometry import Region
from textual.widgets import Log

from wabiz_tui.tui import app as app_module
from wabiz_tui.tui.widgets.host_log import FollowingLog, HostLogGrid


class Panes(App):
    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def compose(self):
        yield HostLogGrid([("wa-core-1", "coreapp"), ("wa-core-2", "coreapp")], id="host-grid", classes="-main")


async def test_a_pane_works_out_its_style_once_per_render_and_draws_what_textuals_log_draws(monkeypatch):
    """Textual's Log asked ``rich_style`` (a walk up every ancestor's styles) for each line it rendered: about a
    quarter of a streaming pane's repaint. The pane works it out once per render; the lines drawn are the same."""
    app = Panes()
    async with app.run_test(size=(120, 30)) as pilot:
        grid = app.query_one(HostLogGrid)
        pane = grid.panes[0]
        pane.set_status("running")
        pane.write_many([f"line {i} " + "x" * (i % 150) for i in range(500)])
        grid.flush()
        await pilot.pause()
        await pilot.pause()
        log = pane.log_widget
        assert isinstance(log, FollowingLog) and log.size.height >= 10
        crop = Region(0, 0, log.size.width, log.size.height)
        asked: list[DOMNode] = []
        original = DOMNode.rich_style.fget

        def rich_style(node):
            asked.append(node)
            return original(node)

        log._render_line_cache.clear()
        log._styles_cache.clear()
        monkeypatch.setattr(DOMNode, "rich_style", property(rich_style))
        drawn = log.render_lines(crop)
        assert sum(1 for node in asked if node is log) == 1
        monkeypatch.setattr(FollowingLog, "render_lines", Log.render_lines)  # Textual's own render
        monkeypatch.setattr(FollowingLog, "rich_style", DOMNode.rich_style)
        log._render_line_cache.clear()
        log._styles_cache.clear()
        asked.clear()
        textual = log.render_lines(crop)
        assert sum(1 for node in asked if node is log) >= log.size.height  # once per line: what was saved
        assert [s.text for s in drawn] == [s.text for s in textual] and drawn == textual
        assert any(s.text.strip().startswith("line 4") for s in drawn)
        assert log._frame_style is None  # nothing kept between renders: a restyle is seen at the next one
