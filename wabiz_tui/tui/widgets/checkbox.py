"""A checkbox whose state and focus read without colour (issue 17, defect 7; s9 trial).

Textual's ``Checkbox`` draws the same ``X`` ticked or not and tells them apart by colour only: unreadable with
``NO_COLOR`` or on a monochrome terminal. This one draws ``X`` when ticked and a blank when not.

Its focus too was told by colour only: Textual 8 builds the label's style with ``Widget.get_visual_style``, which
keeps bold, dim, italic, underline and strike from the CSS ``text-style`` but drops ``reverse`` (checked in
textual 8.2.8, ``widget.py``), so app.tcss's ``Checkbox:focus > .toggle--label { text-style: bold reverse }`` drew
bold only. :class:`ReversibleLabel` puts the ``reverse`` back.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widgets import Checkbox as TextualCheckbox
from textual.widgets._toggle_button import ToggleButton  # Textual exports it nowhere else

#: What the box holds, ticked and not (ASCII: the same width in every terminal font).
TICKED, UNTICKED = "X", " "

#: The label drawn reversed.
REVERSED = Style(reverse=True)


class ReversibleLabel(ToggleButton):
    """A toggle button whose label is drawn reversed when its CSS ``.toggle--label`` says ``text-style: reverse``
    (Textual draws the rest of that style)."""

    def render(self) -> Content:
        """The button and its label as Textual draws them, the label reversed when the CSS asks for it."""
        content = super().render()
        if not self.get_component_styles("toggle--label").text_style.reverse:
            return content
        label_width = self._label.cell_length + 2  # Textual pads the label with one blank each side
        start = self._button.cell_length if self._button_first else 0
        return content.stylize(REVERSED, start, start + label_width)


class Checkbox(ReversibleLabel, TextualCheckbox):
    """Textual's ``Checkbox`` (same arguments, messages and CSS type name) with a glyph that follows its value and
    a focus seen without colour (its label reversed)."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - the name Textual's ToggleButton reads
        """``X`` when ticked, a blank when not (Textual's is a class constant drawn in both states)."""
        return TICKED if self.value else UNTICKED
