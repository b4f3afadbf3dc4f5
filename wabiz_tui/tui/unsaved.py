"""Quitting the wizard with edits not yet in the profile file (issue 17, s9 trial N8: ``wabiz-tui wizard PATH``,
fields edited, Ctrl+Q left at once and the edits were gone).

The dialog saves and leaves while it is still on top: closed first, it resumed the step beneath, which rebuilt its
host panes (a host renamed) while the app was taken down ("MountError ... BodyScroll", exit 1: s9 fresh-user
trial). It closes only when the app stays (cancel, or a save refused), and then the step with the problem is shown.

The wizard writes the profile file at the install's end (step 9, ``workflows.ha_install``); before that the values
live in the forms and in the app's profile only. With nothing running, Ctrl+Q then asks, like the quit question
asks while something runs: "Save and quit" writes them (the form's checks first, the file rewritten in place with
its comments: ``config.rewrite.update_profile_file``), "Quit without saving" leaves them, "Cancel" stays. A form
with a problem, or a file changed by someone else meanwhile, is said and the app stays: nothing is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from .app import WabizApp
    from .screens.base import StepScreen

#: The answers of :class:`UnsavedQuestion` (Cancel, Escape: None).
SAVE, DISCARD = "save", "discard"


def edited_steps(app: WabizApp) -> list[StepScreen]:
    """The wizard's step screens whose form differs from what it showed when built or last saved, in step order."""
    return [screen for _number, screen in sorted(app._screens.items())
            if screen.is_mounted and screen.saved_form is not None and screen.form_values() != screen.saved_form]


def profile_differs(app: WabizApp) -> bool:
    """Whether ``app``'s profile (the forms' values its steps took) differs from its file: the file is written at
    the install's end only. A file that cannot be read is not compared (edited forms still ask; saving says why)."""
    from ..config.profile import ProfileError, profile_from_dict, profile_to_dict, read_profile_text
    from ..config.yamlload import load_yaml

    if app.profile_path is None:
        return False
    try:
        on_disk = profile_from_dict(load_yaml(read_profile_text(app.profile_path)))
    except (ProfileError, OSError, ValueError):
        return False
    return profile_to_dict(on_disk) != profile_to_dict(app.profile)


def unsaved_words(app: WabizApp) -> str:
    """What would be lost, for the question: the steps with edited forms, and the profile file."""
    steps = edited_steps(app)
    named = ", ".join(f"step {s.step.tag} ({s.step.title})" for s in steps)
    edited = f"Edited and not saved: {named}." if steps else "Values the steps took are not in the file yet."
    return (f"{edited}\n\nSave and quit writes them into {app.profile_path} (its comments and order kept); quit "
            "without saving leaves the file as it is; cancel goes back to the wizard.")


class UnsavedQuestion(ModalScreen["int | None"]):
    """Save and quit (``s``), quit without saving (``d``), or cancel (``n``, Escape). The first two leave the app
    with the dialog on top (module doc); cancel dismisses it with None, a save refused with the number of the step
    to fix (its form says why). Cancel has the focus: a stray Enter loses nothing."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("s", "answer('save')", "Save and quit"),
        Binding("d", "answer('discard')", "Quit without saving"),
        Binding("n,escape", "answer('')", "Cancel"),
    ]

    def __init__(self, details: str) -> None:
        super().__init__(classes="confirm-screen unsaved-confirm")
        self.details = details
        #: True once an answer started the exit: later answers are ignored.
        self._leaving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(Text("The profile has unsaved changes. Save them before quitting?", style="bold"),
                         id="confirm-question")
            yield Static(self.details, id="confirm-details")
            with Horizontal(id="confirm-buttons"):
                yield Button("Save and quit  s", id="unsaved-save", variant="success")
                yield Button("Quit without saving  d", id="unsaved-discard", variant="warning")
                yield Button("Cancel  esc", id="unsaved-cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#unsaved-cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer({"unsaved-save": SAVE, "unsaved-discard": DISCARD}.get(event.button.id or "", ""))

    def action_answer(self, answer: str) -> None:
        """Act on ``answer`` (:data:`SAVE`, :data:`DISCARD`, "" for cancel): leave, or close the dialog."""
        app: WabizApp = self.app  # type: ignore[assignment]
        if self._leaving:  # a second key while the app exits: the file is written once, no screen collected twice
            return
        if answer == DISCARD:
            self._leaving = True
            app._leave()
        elif answer == SAVE:
            refused = save_edits(app)
            if refused is None:
                self._leaving = True
                app._leave()
            else:
                self.dismiss(refused or None)
        else:
            self.dismiss(None)


def save_edits(app: WabizApp) -> int | None:
    """Check the edited forms and write the profile file: None once written; else the number of the step whose form
    has a problem (said on its status line), or 0 when the file cannot be written (said in a notification)."""
    from ..config.profile import ProfileError
    from ..config.rewrite import update_profile_file

    for screen in edited_steps(app):
        errors = screen.collect()
        if errors:
            screen.set_status(Text(f"Not saved: {len(errors)} field(s) to fix first: {errors[0]}", style="bold red"))
            app.notify(f"Not saved: fix step {screen.step.tag} first ({errors[0]}).", severity="error")
            return screen.number
    assert app.profile_path is not None  # asked only with a profile file
    try:
        update_profile_file(app.profile_path, app.profile)
    except (ProfileError, OSError) as exc:  # ProfileChanged: edited meanwhile, never overwritten
        app.notify(f"Not saved: {getattr(exc, 'strerror', None) or exc}", severity="error", timeout=15)
        return 0
    for screen in app._screens.values():
        screen.keep_form_values()
    return None


def ask_unsaved(app: WabizApp) -> bool:
    """Ask (:class:`UnsavedQuestion`) when the wizard of a profile file (not the demo's) has edits the file lacks;
    False when there are none (the caller leaves)."""
    if app.profile_path is None or app.demo is not None:
        return False
    if any(isinstance(screen, UnsavedQuestion) for screen in app.screen_stack):
        return True  # one question at a time
    if not edited_steps(app) and not profile_differs(app):
        return False

    def answered(refused: int | None) -> None:
        """The app stays (cancel, or a save refused): show the step whose form has the problem."""
        if refused:
            app.goto_step(refused)

    app.push_screen(UnsavedQuestion(unsaved_words(app)), answered)
    return True
