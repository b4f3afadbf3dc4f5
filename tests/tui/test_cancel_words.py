"""The palette's "Cancel the running step" (``action_cancel_step``) over the quit question, and the words of a
cancel (s8 trial 2 N3): over the dialog it is refused as navigation is ("Close this dialog first."), the run goes
on held; cancelled with a command in flight the line names what was stopped; between two commands it says none
was cut. The real app driven by Pilot against the simulated cluster over real SSH."""

from __future__ import annotations

import pytest

from tests.tui.test_operations import SIZE, status, until
from tests.tui.test_quit_during_operation import slow, webapps
from tests.tui.test_quit_holds_the_run import start_upgrade
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.quitting import cancel_words
from wabiz_tui.tui.screens.confirm import ConfirmScreen

pytestmark = pytest.mark.slow


def test_the_cancel_words_say_what_was_stopped():
    assert cancel_words(()) == "it was between two remote commands: none was running, none was cut"
    assert cancel_words((("up -d waweb", ("wa-web-1",)),)) == "its remote commands were stopped (`up -d waweb` on wa-web-1)"
    assert "were stopped" not in cancel_words(None) and "any remote command" in cancel_words(None)


async def test_cancel_over_the_quit_question_is_refused_and_a_cancel_names_what_it_stopped(installed_demo, tmp_path):
    session = installed_demo
    web = webapps(session)
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_upgrade(pilot, app, session, 60)
        await until(pilot, lambda: screen.engine.session.hold.in_flight(), "a command of step 3 in flight", 30)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question")
        app.action_cancel_step()  # what the palette's "Cancel the running step" calls
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.runner.active is not None
        assert "Close this dialog first." in notes, notes
        [(command, hosts)] = screen.engine.session.hold.in_flight()
        await pilot.press("n")  # keep running
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the question to close")
        app.action_cancel_step()
        await until(pilot, lambda: "cancelled" in status(app), "the cancelled line", 30)
        line = status(app)
        assert f"its remote commands were stopped (`{command}` on {', '.join(hosts)})" in line, line
    slow(session, web, 0)
