"""Toasts never cover what tells the operator what to do; the upgrade screen opens with its first field focused;
focus and checkboxes read without colour (issue 17, defect 7). Stand-in engines: the layout is what is tested."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from textual.widgets import Footer, Input
from textual.widgets._toast import Toast

from wabiz_tui.tui.messages import SmsReceived
from wabiz_tui.tui.widgets.checkbox import Checkbox
from wabiz_tui.tui.widgets.timeline import Timeline

from .screen_text import drawn_reversed
from .test_snapshots import make_app, show_step


def toasts(app) -> list:
    return list(app.screen.query(Toast))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_toast_covers_neither_the_status_line_nor_the_buttons_nor_the_footer(tmp_path, size):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        app.notify("A demo fault message long enough to wrap over two lines of a narrow toast, as they do",
                   title="Demo fault", severity="warning")
        await pilot.pause(0.3)
        shown = toasts(app)
        assert shown, "no toast shown"
        screen = app.screen
        kept_clear = [screen.query_one("#status"), screen.query_one("#nav"), screen.query_one(Footer),
                      *screen.query("#nav Button")]
        for toast in shown:
            for widget in kept_clear:
                assert not toast.region.overlaps(widget.region), (toast.region, widget, widget.region)


async def test_the_sms_on_step_8_is_a_line_of_the_screen_not_a_toast(tmp_path):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await show_step(app, pilot, 8)
        app.post_message(SmsReceived("+39 333 1234567", "123456"))
        await pilot.pause(0.3)
        assert not toasts(app)
        assert "123456" in str(app.screen.query_one("#sms-hint").render())
        app.goto_step(1)  # elsewhere in the app, the code comes as a toast
        await pilot.pause()
        app.post_message(SmsReceived("+39 333 1234567", "654321"))
        await pilot.pause(0.3)
        assert toasts(app)


async def test_a_demo_fault_on_the_monitor_goes_to_its_timeline_not_a_toast(tmp_path, monkeypatch):
    from wabiz_tui.tui.screens.monitor import MonitorScreen

    async def no_polling(_screen) -> None:
        return None

    monkeypatch.setattr(MonitorScreen, "_poll_loop", no_polling)
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    app.faults = SimpleNamespace(kill_connected_coreapp=lambda verdict: ("killed wacore on wa-host-1", True))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert app.screen.name == "monitor"
        app.clear_notifications()
        await pilot.press("f5")
        await pilot.pause(0.3)
        assert not toasts(app)
        timeline = app.screen.query_one(Timeline)
        assert any("demo fault: killed wacore on wa-host-1" in entry for entry in timeline.entries)


def upgrade_without_colour(tmp_path, monkeypatch):
    """The app (installed, on the wizard) with ``NO_COLOR`` set."""
    monkeypatch.setenv("NO_COLOR", "1")
    return make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")


async def open_upgrade(app, pilot) -> None:
    """Open the upgrade screen (F3)."""
    await pilot.pause()
    await pilot.press("f3")
    await pilot.pause()
    assert app.screen.name == "upgrade"


async def test_the_upgrade_screen_opens_on_its_first_field_and_its_boxes_read_without_colour(tmp_path, monkeypatch):
    app = upgrade_without_colour(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_upgrade(app, pilot)
        assert app.focused is app.screen.query_one("#up-target", Input)
        box = app.screen.query_one("#up-force", Checkbox)
        unticked = box.render().plain
        box.value = True
        await pilot.pause()
        ticked = box.render().plain
        assert unticked != ticked and "X" in ticked and "X" not in unticked.replace("Force", "")
        # the focused box is drawn reversed and bold, visible without colour
        box.focus()
        await pilot.pause()
        label_style = box.get_component_rich_style("toggle--label")
        assert label_style.reverse and label_style.bold
        assert drawn_reversed(box) == " Force a downgrade ", "the CSS says reverse: it must be drawn so"
        app.screen.query_one("#up-target", Input).focus()
        await pilot.pause()
        assert drawn_reversed(box) == ""


async def test_the_upgrade_forms_dbupgrade_select_shows_its_focus_without_colour(tmp_path, monkeypatch):
    """fb trial: the dbupgrade host's Select showed its focus by bold and one shade of background only (bold alone
    with ``NO_COLOR``); its current value is drawn reversed while it has the focus, as the checkboxes are."""
    from textual.widgets import Select

    app = upgrade_without_colour(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_upgrade(app, pilot)
        select = app.screen.query_one("#up-db-host", Select)
        label = select.query_one("#label")
        assert drawn_reversed(label) == ""
        select.focus()
        await pilot.pause()
        assert drawn_reversed(label).strip() == "none (no dbupgrade)"
        app.screen.query_one("#up-target", Input).focus()
        await pilot.pause()
        assert drawn_reversed(label) == ""
