"""A checkbox whose state reads without colour (issue 17, defect 7).

Textual's ``Checkbox`` draws the same ``X`` ticked or not and tells them apart by colour only: unreadable with
``NO_COLOR`` or on a monochrome terminal. This one draws ``X`` when ticked and a blank when not.
"""

from __future__ import annotations

from textual.widgets import Checkbox as TextualCheckbox

#: What the box holds, ticked and not (ASCII: the same width in every terminal font).
TICKED, UNTICKED = "X", " "


class Checkbox(TextualCheckbox):
    """Textual's ``Checkbox`` (same arguments, messages and CSS type name) with a glyph that follows its value."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - the name Textual's ToggleButton reads
        """``X`` when ticked, a blank when not (Textual's is a class constant drawn in both states)."""
        return TICKED if self.value else UNTICKED
