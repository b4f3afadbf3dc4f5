"""A dialog's buttons stay on screen at 80x24 whatever its text, and the quit question gives many hosts as a count
and ranges (the s8 trial's M2: 43 Coreapp names pushed "Quit and abort y / Keep running n" below the screen)."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.app import App

from wabiz_tui.domain.hostnames import host_ranges
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.quitting import RunningWork, quit_effect
from wabiz_tui.tui.screens.confirm import ConfirmScreen, PasswordScreen

class DialogApp(App):
    """A bare app with the wabiz-tui style sheet (the dialogs' rules are in it)."""

    CSS_PATH = str(Path(sys.modules[WabizApp.__module__].__file__).parent / "app.tcss")


CORES = tuple(f"wa-core-{n}" for n in range(1, 44))


def test_many_names_read_as_a_count_and_ranges():
    assert host_ranges(CORES) == "43 hosts: wa-core-1…wa-core-43"
    assert host_ranges(["wa-web-2", "wa-web-1"]) == "wa-web-1, wa-web-2"
    assert host_ranges([*CORES[:3], "wa-core-7", "wa-master-1"]) == "5 hosts: wa-core-1…wa-core-3, wa-core-7, wa-master-1"
    assert host_ranges([f"h{n}" for n in range(1, 20, 2)], limit=3) == "10 hosts: h1, h3, h5 (+7 more)"


def quit_work() -> RunningWork:
    commands = (("up -d wacore", CORES),)
    return RunningWork("Upgrade step 5 of 6 (Upgrade Coreapps)", CORES, "the cluster is half upgraded; resume.",
                       effect=quit_effect("upgrade", "coreapp", commands), commands=commands, held=True)


def on_screen(app: App, selector: str) -> bool:
    region = app.screen.query_one(selector).region
    return region.height > 0 and region.bottom <= app.size.height and region.y >= 0


async def test_the_quit_question_of_43_hosts_names_ranges_and_keeps_its_buttons_on_screen():
    work = quit_work()
    assert "wa-core-2," not in work.details and "43 hosts: wa-core-1…wa-core-43" in work.details
    app = DialogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ConfirmScreen(work.question, work.details, yes="Quit and abort", no="Keep running"))
        await pilot.pause()
        await pilot.pause()
        assert all(on_screen(app, part) for part in ("#confirm-question", "#confirm-yes", "#confirm-no"))


async def test_any_dialog_keeps_its_buttons_on_screen_the_long_text_scrolls():
    long_text = "\n".join(f"{name}: up -d wacore with WA_API_VERSION 2.43.1" for name in CORES)  # a plan of 43 lines
    app = DialogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ConfirmScreen("Upgrade cluster demo from 2.41.2 to 2.43.1? Downtime is expected.", long_text))
        await pilot.pause()
        await pilot.pause()
        assert all(on_screen(app, part) for part in ("#confirm-question", "#confirm-yes", "#confirm-no"))
        app.pop_screen()
        app.push_screen(PasswordScreen("The backup's password", long_text))
        await pilot.pause()
        await pilot.pause()
        assert all(on_screen(app, part) for part in ("#confirm-question", "#password-input", "#password-ok"))
