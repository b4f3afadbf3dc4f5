"""A selection list whose ticks read without colour (issue 17, defect 7; the logs screen's hosts).

Textual's ``SelectionList`` draws the same ``X`` in every option's box and tells chosen from not chosen by colour
only: with ``NO_COLOR`` or on a monochrome terminal every host of the logs screen looked chosen. This one draws
the glyphs of :mod:`.checkbox` (``X`` chosen, a blank not), and its option under the cursor is drawn reversed and
bold while the list has the focus.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList as TextualSelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist

from .checkbox import TICKED, UNTICKED

Value = TypeVar("Value")


class SelectionList(TextualSelectionList[Value], Generic[Value]):
    """Textual's ``SelectionList`` (same arguments, messages and CSS type name) with a glyph that follows each
    option's state."""

    DEFAULT_CSS: ClassVar[str] = """
    SelectionList:focus > .option-list--option-highlighted { text-style: bold reverse; }
    """

    def render_line(self, y: int) -> Strip:
        """Textual's line, its box's ``X`` replaced by the option's own glyph."""
        strip = super().render_line(y)
        segments = list(strip)
        # Textual's line: box left, box inside, box right, a space, then the prompt (``SelectionList.render_line``)
        if len(segments) < 4 or segments[1].text != ToggleButton.BUTTON_INNER:
            return strip
        try:
            option = self.get_option_at_index(int(self.scroll_offset.y) + y)
        except OptionDoesNotExist:
            return strip
        glyph = TICKED if option.value in self._selected else UNTICKED
        segments[1] = Segment(glyph, segments[1].style, segments[1].control)
        return Strip(segments, strip.cell_length)
