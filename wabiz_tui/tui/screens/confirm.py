"""A yes/no question in a modal dialog (``y``/Enter confirms, ``n``/Escape refuses)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Asks ``question`` (with ``details`` below it); dismisses with True only on an explicit yes.

    The "No" button has the focus, so a stray Enter never confirms by accident.
    """

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
                yield Static(self.details, id="confirm-details")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes_label}  y", id="confirm-yes", variant="warning")
                yield Button(f"{self.no_label}  n", id="confirm-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        """Close the dialog with ``answer``."""
        self.dismiss(answer)


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
                yield Static(self.details, id="confirm-details")
            yield Input(password=True, placeholder="(password, hidden as you type)", id="password-input")
            with Horizontal(id="confirm-buttons"):
                yield Button("OK  enter", id="password-ok", variant="warning")
                yield Button("Cancel  esc", id="password-cancel", variant="primary")

    def on_mount(self) -> None:
        from textual.widgets import Input

        self.query_one("#password-input", Input).focus()

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
