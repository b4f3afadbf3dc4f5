"""F3/F4/F9 opened from the monitor go back to it and say so; F9's name field has the focus on open and a
placeholder that cannot pass for a typed name (the s8 trial's C5 and M3, issue 17). Pilot, simulated cluster."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input

from tests.tui.test_operations import until
from wabiz_tui.tui.app import WabizApp

pytestmark = pytest.mark.slow


def title(app: WabizApp) -> str:
    return str(app.screen.query_one("#op-title").render())


@pytest.mark.parametrize("key,name", [("f3", "upgrade"), ("f4", "logs"), ("f9", "uninstall")])
async def test_an_operation_opened_from_the_monitor_goes_back_to_it(installed_demo, tmp_path, key, name):
    app = WabizApp(installed_demo.profile, demo=installed_demo, log_dir=tmp_path / "logs", monitor_interval=5,
                   start_on="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.name == "monitor", "the monitor")
        await pilot.press(key)
        await until(pilot, lambda: app.screen.name == name, f"the {name} screen")
        assert "esc back to the monitor" in title(app) and "wizard" not in title(app), title(app)  # F2: the monitor too
        assert "Monitor" in str(app.screen.query_one("#op-leave", Button).label)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen.name == "monitor", "the monitor again")
        # from the wizard, the same screen goes back to the wizard
        await pilot.press("f2")
        await until(pilot, lambda: app.screen.name.startswith("step"), "the wizard")
        await pilot.press(key)
        await until(pilot, lambda: app.screen.name == name, f"the {name} screen again")
        assert "esc back to the wizard" in title(app), title(app)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen.name.startswith("step"), "the wizard again")


async def test_uninstall_focuses_its_name_field_with_a_placeholder_that_reads_as_an_instruction(installed_demo, tmp_path):
    profile = installed_demo.profile
    app = WabizApp(profile, demo=installed_demo, log_dir=tmp_path / "logs", monitor_interval=5, start_on="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.name == "monitor", "the monitor")
        await pilot.press("f9")
        await until(pilot, lambda: app.screen.name == "uninstall", "the uninstall screen")
        await pilot.pause()
        field = app.screen.query_one("#un-name", Input)
        assert app.focused is field
        assert field.placeholder == f"(type {profile.name} here)"
        await pilot.press(*"nope")  # typed at once, no Tab needed
        assert field.value == "nope"
