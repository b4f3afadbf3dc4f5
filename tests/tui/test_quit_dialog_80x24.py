"""The quit question at 80x24 during a demo upgrade (issue 17, s9 trial): its text scrolled and its last sentence
(what quitting does, the exit status) was below the dialog's fold. Every word is on screen with the buttons, while
the run is held and after the words change (the command in flight ended). The real app against the demo."""

from __future__ import annotations

import pytest

from tests.tui.test_operations import until
from tests.tui.test_quit_during_operation import dialog_text
from tests.tui.test_quit_holds_the_run import start_upgrade
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.quit_question import QuitQuestion

from .screen_text import screen_text
from .test_dialog_fits import on_screen



def every_word_shown(app: WabizApp) -> list[str]:
    """The words of the dialog's text that are not on the screen (empty: all are), its scroll area scrolling none."""
    scroll = app.screen.query_one("#confirm-scroll")
    assert scroll.max_scroll_y == 0, f"the text scrolls by {scroll.max_scroll_y} row(s)"
    assert all(on_screen(app, part) for part in ("#confirm-question", "#confirm-yes", "#confirm-no"))
    # the dialog's rows joined without blanks: a word wrapped across two rows (a long path) reads whole
    region = app.screen.query_one("#confirm-dialog").region
    rows = screen_text(app).splitlines()[region.y:region.bottom]
    shown = "".join("".join(row[region.x + 1:region.right - 1].split()) for row in rows)
    return [word for word in dialog_text(app).split() if word not in shown]


@pytest.mark.slow
async def test_the_quit_question_of_a_demo_upgrade_is_read_whole_at_80x24(installed_demo, tmp_path):
    session = installed_demo
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_upgrade(pilot, app, session, 1.5)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, QuitQuestion), "the quit question")
        await pilot.pause()
        assert every_word_shown(app) == []
        await until(pilot, lambda: "no remote command runs now and none starts" in dialog_text(app), "the words to follow", 20)
        await pilot.pause()
        assert every_word_shown(app) == []
        assert app.screen.holds and all(hold.held for hold in app.screen.holds), "the run is held while it is open"
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen, "the upgrade screen")


@pytest.mark.parametrize("demo", [True, False], ids=["demo", "own-profile"])
async def test_the_longest_upgrade_quit_words_fit_at_80x24(demo):
    """A command in flight on three hosts and what an upgrade's quit leaves in the demo (no resume command there:
    its cluster ends with it), and outside it: the resume command with a long profile path."""
    from types import SimpleNamespace

    from wabiz_tui.tui.quitting import DEMO_END, RunningWork, quit_effect

    from .test_dialog_fits import DialogApp

    commands = (("docker-compose -f /home/wa/biz/prod-multiconnect-compose.yml up -d wacore",
                 ("wa-core-1", "wa-core-2", "wa-host-3")),)
    how = (DEMO_END if demo else "`wabiz-tui upgrade /home/operator/.local/share/wabiz-tui/profiles/prod-eu-west.yaml "
           "--resume --yes` (or F3, Resume) continues")
    leaves = f"quitting now leaves the cluster half upgraded (some containers on 2.43.1, others on 2.41.2); {how}."
    work = RunningWork("Upgrade step 5 of 6 (Upgrade Coreapps)", commands[0][1], leaves,
                       effect=quit_effect("upgrade", "coreapp", commands), commands=commands, held=True)
    idle = SimpleNamespace(workflow=None, mc_workflow=None, operation_screens=lambda: [],
                           runner=SimpleNamespace(active=None))
    app = DialogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = QuitQuestion(idle, work)
        dialog.follow = lambda: None  # these words stay (the stand-in app runs nothing: they would say it ended)
        app.push_screen(dialog)
        await pilot.pause()
        await pilot.pause()
        assert "prod-multiconnect-compose.yml" in dialog_text(app)
        assert every_word_shown(app) == []
