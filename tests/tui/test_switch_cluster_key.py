"""ctrl+k ("switch cluster") reaches the app from a text field of a screen (issue 17): Textual's ``Input`` binds
ctrl+k to "delete to the end of the line" and ate it. In a dialog (a password, a confirmation) the field keeps it:
leaving the app from a question would be a surprise."""

from __future__ import annotations

from textual.widgets import Input

from tests.exporter.helpers import installed_profile
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.fleet import FleetScreen
from wabiz_tui.tui.screens.confirm import PasswordScreen


async def test_ctrl_k_in_a_form_field_switches_cluster(tmp_path):
    """Before: with the upgrade's version field focused, ctrl+k cleared the field and the app stayed; now the fleet
    view opens over the form (Escape comes back to it, ``test_fleet_from_cluster``)."""
    app = WabizApp(installed_profile("milano"), start_on="wizard", log_dir=tmp_path / "logs", monitor_interval=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        field = app.screen.query_one("#up-target", Input)
        field.focus()
        field.value = "2.53.2"
        field.cursor_position = 0
        await pilot.pause()
        assert app.focused is field
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen) and field.value == "2.53.2"


async def test_ctrl_k_in_a_dialog_field_stays_with_the_field(tmp_path):
    app = WabizApp(installed_profile("milano"), start_on="wizard", log_dir=tmp_path / "logs", monitor_interval=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(PasswordScreen("Backup password", "for the settings backup"))
        await pilot.pause()
        field = app.screen.query_one(Input)
        field.focus()
        await pilot.press(*"secret")
        field.cursor_position = 2
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert app.is_running and app.return_value is None
        assert field.value == "se"  # Input's own ctrl+k: delete to the end of the line
