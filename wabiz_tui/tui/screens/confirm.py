"""A yes/no question in a modal dialog (``y``/Enter confirms, ``n``/Escape refuses).

The details scroll inside the dialog and the dialog never grows past the screen: its buttons stay on screen at
any size (a 50-host quit question at 80x24 pushed them below it: the s8 trial's M2)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Asks ``question`` (with ``details`` below it); dismisses with True only on an explicit yes.

    The "No" button has the focus, so a stray Enter never confirms by accident.
    """

    #: Rows of the screen left free around the dialog (one above, one below) when its details are long.
    FREE_ROWS = 2

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, details: str | Text = "", *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="confirm-screen")
        self.question = question
        self.details = details
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(Text(self.question, style="bold"), id="confirm-question")
            if self.details:
                with VerticalScroll(id="confirm-scroll", can_focus=False):
                    yield Static(self.details, id="confirm-details")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes_label}  y", id="confirm-yes", variant="warning")
                yield Button(f"{self.no_label}  n", id="confirm-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()
        fit_details(self)

    def on_resize(self) -> None:
        fit_details(self)

    def set_words(self, question: str, details: str | Text) -> None:
        """Show ``question`` and ``details`` instead of the words the dialog opened with (a live question)."""
        self.question, self.details = question, details
        self.query_one("#confirm-question", Static).update(Text(question, style="bold"))
        found = self.query("#confirm-details")
        if found:
            found.first(Static).update(details)
        fit_details(self)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        """Close the dialog with ``answer``."""
        self.dismiss(answer)


#: Rows of a dialog around its details besides its padding and the screen's rows kept free (``FREE_ROWS``): border
#: 2, buttons 3 and their margin 1, the question's margin 1.
DIALOG_ROWS = 7


def fit_details(screen: ModalScreen) -> None:
    """Cap the details' scroll area of ``screen``'s dialog to what the screen leaves once the question and the
    buttons are placed (at least 3 rows): the buttons are always on screen; the details scroll. The dialog's width
    and padding are read from its style (the quit question's differ from the others')."""
    found = screen.query("#confirm-scroll")
    if not found:
        return
    styles = screen.query_one("#confirm-dialog").styles
    width = styles.width.cells if styles.width is not None and styles.width.is_cells else None
    padding = styles.padding
    # the dialog's text width: its width on this screen less the border (1+1) and the padding
    inside = max(10, min(width or screen.size.width, screen.size.width) - 2 - padding.left - padding.right)
    asked = -(-len(str(getattr(screen, "question", ""))) // inside) or 1  # rows of the wrapped question
    others = 4 if screen.query("#password-input") else 0  # the password field: 3 rows and its margin
    frame = DIALOG_ROWS + padding.top + padding.bottom + getattr(screen, "FREE_ROWS", 2)
    found.first().styles.max_height = max(3, screen.size.height - frame - asked - others)


class PasswordScreen(ModalScreen["str | None"]):
    """Asks for a password (never shown); Enter submits, Escape cancels (dismisses with None)."""

    BINDINGS: ClassVar[list[Binding]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, details: str = "") -> None:
        super().__init__(classes="confirm-screen password-screen")
        self.question = question
        self.details = details

    def compose(self) -> ComposeResult:
        from textual.widgets import Input

        with Vertical(id="confirm-dialog"):
            yield Static(Text(self.question, style="bold"), id="confirm-question")
            if self.details:
                with VerticalScroll(id="confirm-scroll", can_focus=False):
                    yield Static(self.details, id="confirm-details")
            yield Input(password=True, placeholder="(password, hidden as you type)", id="password-input")
            with Horizontal(id="confirm-buttons"):
                yield Button("OK  enter", id="password-ok", variant="warning")
                yield Button("Cancel  esc", id="password-cancel", variant="primary")

    def on_mount(self) -> None:
        from textual.widgets import Input

        self.query_one("#password-input", Input).focus()
        fit_details(self)

    def on_resize(self) -> None:
        fit_details(self)

    def on_input_submitted(self, event) -> None:
        event.stop()
        self.dismiss(event.value or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        from textual.widgets import Input

        event.stop()
        self.dismiss(self.query_one("#password-input", Input).value or None
                     if event.button.id == "password-ok" else None)

    def action_cancel(self) -> None:
        """Close without a password."""
        self.dismiss(None)
