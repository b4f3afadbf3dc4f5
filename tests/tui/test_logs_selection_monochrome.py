"""The logs screen's host choice reads without colour (issue 17, defect 7, as the checkboxes): with ``NO_COLOR``
a host left out must look different from a chosen one, and the option under the cursor must be visible."""

from __future__ import annotations

from textual.widgets import SelectionList

from .test_snapshots import make_app


def box_of(selection: SelectionList, index: int) -> str:
    """The three characters of option ``index``'s box as drawn (``▐X▌`` or ``▐ ▌``)."""
    strip = selection.render_line(index)
    return "".join(segment.text for segment in strip)[:3]


async def test_the_chosen_hosts_and_the_cursor_read_without_colour(tmp_path, monkeypatch):
    """Before: every host showed ``▐X▌``, chosen or not; only the X's colour differed."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        assert app.screen.name == "logs"
        hosts = app.screen.query_one("#lg-hosts", SelectionList)
        hosts.focus()
        await pilot.pause()
        assert [box_of(hosts, i) for i in range(3)] == ["▐X▌"] * 3  # all chosen by default
        await pilot.press("down", "space")  # leave wa-host-2 out
        await pilot.pause()
        assert list(hosts.selected) == ["wa-host-1", "wa-host-3"]
        assert [box_of(hosts, i) for i in range(3)] == ["▐X▌", "▐ ▌", "▐X▌"]
        # the option under the cursor is reversed and bold while the list has the focus
        style = hosts.get_component_rich_style("option-list--option-highlighted")
        assert style.reverse and style.bold
