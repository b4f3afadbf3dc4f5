"""Small form building blocks: a labelled input with its own error line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from ...domain.validation import FieldError


class FieldBox(Vertical):
    """A label, an ``Input`` and an error line for one profile field (named by its dotted path)."""

    def __init__(self, label: str, field: str, value: str = "", *, password: bool = False,
                 placeholder: str = "", input_id: str | None = None, classes: str = "", **kwargs) -> None:
        super().__init__(classes=f"field-box {classes}".strip(), **kwargs)
        self.label = label
        self.field = field
        self._value = value
        self._password = password
        self._placeholder = placeholder
        self._input_id = input_id

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield Input(self._value, password=self._password, placeholder=self._placeholder,
                    id=self._input_id, compact=True)
        yield Static("", classes="field-error")

    @property
    def value(self) -> str:
        """The current text of the input."""
        return self.query_one(Input).value

    def set_error(self, error: FieldError | None) -> None:
        """Show ``error`` under the input (or clear it)."""
        self.query_one(".field-error", Static).update(str(error) if error else "")
        self.query_one(Input).set_class(error is not None, "-error")
        self.set_class(error is not None, "-error")


def show_errors(boxes: list[FieldBox], errors: list[FieldError]) -> list[FieldError]:
    """Put each error next to the box of its field; return the errors no box took."""
    by_field = {b.field: b for b in boxes}
    left: list[FieldError] = []
    for box in boxes:
        box.set_error(None)
    for error in errors:
        box = by_field.get(error.field)
        if box is not None:
            box.set_error(error)
        else:
            left.append(error)
    return left
