"""Tab through the upgrade form at 80x24 (issue 17, s7 trial in tmux: the focus seemed lost; not seen under Pilot).

Tried in tmux at 80x24 (``demo``, F3, Tab x 11 with ``capture-pane``): the order was right (version, force,
password, dbupgrade host, EXIT_ON_SUCCESS) but the next five Tabs went into the five empty host panes below the
form, which showed no sign of focus (only the footer gained "z Zoom") while the form scrolled away; the buttons
came after them. Empty panes are not Tab stops now, and a focused pane has a double border (no colour needed).

s9 trial: Tab went version -> "Force a downgrade" -> password; the two fields to fill come first now, the optional
boxes after them."""

from __future__ import annotations

from textual.widgets import Log

from wabiz_tui.tui.widgets.host_log import HostLogPane

from .test_snapshots import make_app
from .test_upgrade_form_secret import open_upgrade

FORM = ["up-target", "up-password", "up-force", "up-db-host", "up-no-exit"]


async def test_tab_goes_through_the_form_then_the_buttons_never_into_empty_panes(tmp_path):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_upgrade(app, pilot)
        assert app.focused is not None and app.focused.id == "up-target"
        order = [app.focused.id]
        for _ in range(12):
            await pilot.press("tab")
            await pilot.pause()
            focused = app.focused
            assert focused is not None, "the focus was lost"
            assert not isinstance(focused, Log), f"Tab went into an empty pane after {order}"
            # what has the focus is on the screen (scrolled to), not below the fold
            assert 0 <= focused.region.y < app.size.height - 1 and focused.region.height > 0, (focused, focused.region)
            order.append(focused.id)
            if focused.id == "up-target":
                break
        assert order[:len(FORM)] == FORM, order
        assert order[-1] == "up-target" and "op-leave" in order and "op-run" in order, order
        assert screen.query(HostLogPane), "the panes are there, only not Tab stops while empty"


async def test_a_pane_with_output_is_a_tab_stop_and_shows_its_focus_without_colour(tmp_path):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_upgrade(app, pilot)
        pane = screen.query(HostLogPane).first()
        pane.set_status("running")
        pane.write("Pulling wacore ... done")
        await pilot.pause(0.2)
        assert pane.log_widget.can_focus
        pane.log_widget.focus()
        await pilot.pause()
        assert pane.styles.border_top[0] == "double"
        app.screen.query_one("#up-target").focus()
        await pilot.pause()
        assert pane.styles.border_top[0] != "double"
