"""The quit question's hold never outlives it, and one question at a time (issue 17, the s8 review items 1, 2, 10):
the palette's navigation is refused while the question is on top (it swapped a step screen in over it, which
left the run held for good); a question removed any other way gives its hold back, once; a second ctrl+q while
one question is open anywhere on the stack opens none; the dialog's command words are masked as the abort record
is. The real app driven by Pilot against the simulated cluster over real SSH."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.screen import Screen

from tests.tui.test_operations import BACKUP_PASSWORD, SIZE, until
from tests.tui.test_quit_during_operation import dialog_text, slow, webapps
from tests.tui.test_quit_holds_the_run import start_upgrade
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.quit_question import QuitQuestion

pytestmark = pytest.mark.slow


def questions(app: WabizApp) -> list[Screen]:
    return [screen for screen in app.screen_stack if isinstance(screen, QuitQuestion)]


async def from_palette(pilot, app: WabizApp, words: str) -> None:
    """ctrl+p, type ``words``, Enter on the best match."""
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the command palette")
    await pilot.press(*("space" if ch == " " else ch for ch in words))
    await pilot.pause(0.5)
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(app.screen, CommandPalette), "the palette to close")
    await pilot.pause()


async def test_the_quit_question_is_never_left_holding_nor_asked_twice(installed_demo, tmp_path):
    session = installed_demo
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_upgrade(pilot, app, session, 0.3)
        hold = screen.engine.session.hold
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, QuitQuestion), "the quit question")
        dialog = app.screen
        assert hold.held
        # item 1: the palette's "Back to the wizard" swapped the step in over the dialog, unanswered
        for words in ("back to the wizard", "doctor why"):
            await from_palette(pilot, app, words)
            assert app.screen is dialog, (words, app.screen)
            assert hold.held
        # item 2: a second ctrl+q with the question under another screen opens no second question
        await app.push_screen(Screen())
        await pilot.pause()
        await app.action_quit()
        await pilot.pause()
        assert questions(app) == [dialog] and hold.holders == 1
        app.pop_screen()
        await until(pilot, lambda: app.screen is dialog, "the question back on top")
        # item 10: a command's words with a secret in them (the backup password) are masked in the dialog
        hold._flight["wa-web-1"] = [f"printf %s {BACKUP_PASSWORD} >/dev/null"]  # noqa: SLF001 - a command in flight
        dialog.follow()
        await pilot.pause()
        text = dialog_text(app)
        del hold._flight["wa-web-1"]  # noqa: SLF001
        assert "`printf %s" in text and BACKUP_PASSWORD not in text, text
        # item 1: a question removed without its answer gives its hold back, once
        app.pop_screen()
        await until(pilot, lambda: not questions(app) and not dialog.is_attached, "the question to close")
        assert not hold.held and hold.holders == 0
        await until(pilot, lambda: screen.step_states.get(4) is not None and
                    screen.step_states[4].value != "pending", "the upgrade to go on to step 4", 30)
        # the app's exit gives back the hold of a question still open
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, QuitQuestion), "the quit question again")
        assert hold.held
        await pilot.press("y")
    slow(session, webapps(session), 0)
    assert app.return_code == 130
    assert not hold.held
