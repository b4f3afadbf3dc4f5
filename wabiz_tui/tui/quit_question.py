"""The quit question while something runs, kept true while it is open (the s8 trial's M1).

Opening it holds every engine of the app (``workflows.hold``): no new remote command or step starts until the
operator answers; the commands already running go on to their end, and the words follow them live (which
command runs on which hosts, or none). So what the dialog says at the moment of the answer is what a quit does.
"n" releases the hold and the run goes on; "y" records the abort with what it cut and leaves with status 130.

The dialog gives its hold back however it closes (answered, or swapped out some other way: it is released when
it leaves the screen stack, and on the app's exit), and gives it back once: the hold is counted
(``Hold.hold``/``release``), so another holder's hold stays. The app opens one quit question at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .quitting import QUIT_EXIT, RunningWork, record_quit, running_work
from .screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from .app import WabizApp

#: Seconds between two refreshes of the words besides those a command's start or end triggers (a step that
#: ends on a health answer runs no command).
REFRESH_EVERY = 0.5


def _holds(app: WabizApp) -> list[Any]:
    engines = [app.workflow, app.mc_workflow] + [screen.engine for screen in app.operation_screens()]
    return [hold for engine in engines if (hold := getattr(getattr(engine, "session", None), "hold", None))]


class QuitQuestion(ConfirmScreen):
    """"``what`` is running. Quit anyway?" with words that follow the run while it is held (module doc)."""

    #: The whole screen's height is the dialog's: at 80x24 its last sentence was below its fold (s9 trial).
    FREE_ROWS = 0

    def __init__(self, app: WabizApp, work: RunningWork) -> None:
        self._wapp = app
        self.holds = _holds(app)
        self._holding = True
        for hold in self.holds:
            hold.hold()
        work = running_work(app) or work  # the words of the run held
        super().__init__(work.question, work.details, yes="Quit and abort", no="Keep running")
        self.add_class("quit-confirm")

    def on_mount(self) -> None:
        """Follow the held engines: on each change of their commands in flight, and every :data:`REFRESH_EVERY` s."""
        super().on_mount()
        for hold in self.holds:
            hold.listeners.append(self.follow)
        self.set_interval(REFRESH_EVERY, self.follow)

    def on_unmount(self) -> None:
        """Stop following, and give the hold back (:meth:`release`) whatever closed the dialog."""
        for hold in self.holds:
            if self.follow in hold.listeners:
                hold.listeners.remove(self.follow)
        self.release()  # closed without an answer (a screen switched in over it): the run must not stay held

    def follow(self) -> None:
        """Say what runs now (the commands in flight end one by one; a step may end on a health answer)."""
        if not self.is_attached:
            return
        work = running_work(self._wapp)
        if work is None:
            self.set_words("It ended while this question was open. Quit?",
                           "Nothing runs any more and nothing is left half done: quitting now leaves at once "
                           "(status 0).")
        elif (work.question, work.details) != (self.question, self.details):
            self.set_words(work.question, work.details)

    def release(self) -> None:
        """Give back this dialog's hold (once: later calls do nothing); the run goes on unless another holds it."""
        if not self._holding:
            return
        self._holding = False
        for hold in self.holds:
            hold.release()


def release_all(app: WabizApp) -> None:
    """Give back the hold of every quit question on ``app``'s screen stack (the app leaves)."""
    for screen in app.screen_stack:
        if isinstance(screen, QuitQuestion):
            screen.release()


def ask_quit(app: WabizApp, work: RunningWork) -> None:
    """Push the quit question for ``work`` on ``app`` (module doc)."""
    dialog = QuitQuestion(app, work)

    def answered(yes: bool | None) -> None:
        """"Keep running" (or no answer): the run goes on; "Quit and abort": record what it cuts and leave (130)."""
        if not yes:
            dialog.release()
            return
        current = running_work(app)
        if current is None:  # it ended while the question was open: nothing is left half done
            app._leave()
            return
        app.quit_note = record_quit(current)
        app._leave(QUIT_EXIT)

    app.push_screen(dialog, answered)
