"""A radio button whose state reads without colour (issue 17: step 4's two choices differed only by shade).

Textual's ``RadioButton`` draws the same ``●`` chosen or not and tells them apart by colour only: with ``NO_COLOR``
or on a monochrome terminal both looked chosen. This one draws ``•`` when chosen and a blank when not, as
:mod:`.checkbox` does for the checkboxes; the button under RadioSet's cursor has its label reversed, as the CSS
asks (Textual 8 drops ``reverse`` there: :class:`.checkbox.ReversibleLabel`).
"""

from __future__ import annotations

from textual.widgets import RadioButton as TextualRadioButton

from .checkbox import ReversibleLabel

#: What the button holds, chosen and not.
CHOSEN, NOT_CHOSEN = "•", " "


class RadioButton(ReversibleLabel, TextualRadioButton):
    """Textual's ``RadioButton`` (same arguments, messages and CSS type name) with a glyph that follows its value."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - the name Textual's ToggleButton reads
        """``•`` when chosen, a blank when not (Textual's is a class constant drawn in both states)."""
        return CHOSEN if self.value else NOT_CHOSEN
