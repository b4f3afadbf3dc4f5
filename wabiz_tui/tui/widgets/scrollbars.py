"""Scroll bars drawn in whole cells, for every widget whose bars sit inside a frame or a table (the host panes, the
health tables).

Textual draws a scroll bar thumb's ends with eighth blocks (``▉▊▋▌▍▎▏`` horizontal, ``▁▂▃▄▅▆▇`` vertical) for
sub-cell precision. Without the colours (``NO_COLOR``, ``tmux capture-pane``) those glyphs read as stray characters:
the s9 trial's C10 (``▊ ▉ ▎`` in the host panes) and the fb trial (``▏``/``▋`` at the end of the health tables'
horizontal bar). The thumb still shows without colour, reversed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.scrollbar import ScrollBar, ScrollBarCorner, ScrollBarRender

if TYPE_CHECKING:
    from textual.widget import Widget

    _Mixin = Widget
else:
    # not a DOMNode at run time: Textual takes a widget's CSS type names from its first DOMNode base
    # (``DOMNode._css_bases``), which must stay the Textual widget's (``DataTable``, ``Log``)
    _Mixin = object

#: A scroll bar or the corner between two (what Textual creates on first use).
AnyBar = TypeVar("AnyBar", ScrollBar, ScrollBarCorner)


class WholeCellScrollBarRender(ScrollBarRender):
    """Textual's scroll bar drawn in whole cells: its thumb is reversed blanks, with no eighth block at its ends."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * len(ScrollBarRender.VERTICAL_BARS)
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * len(ScrollBarRender.HORIZONTAL_BARS)


class WholeCellScrollbars(_Mixin):
    """Mixin (first base, before the Textual widget) giving a widget's scroll bars :class:`WholeCellScrollBarRender`
    when Textual creates them (on first use). :meth:`_new_scrollbar` is the hook a subclass extends."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's vertical scroll bar, drawn in whole cells."""
        created = self._vertical_scrollbar is None
        return self._new_scrollbar(super().vertical_scrollbar, created)

    @property
    def horizontal_scrollbar(self) -> ScrollBar:
        """Textual's horizontal scroll bar, drawn in whole cells."""
        created = self._horizontal_scrollbar is None
        return self._new_scrollbar(super().horizontal_scrollbar, created)

    def _new_scrollbar(self, bar: AnyBar, created: bool) -> AnyBar:
        """``bar`` (just ``created`` by Textual, or not) with the whole-cell renderer."""
        if created and isinstance(bar, ScrollBar):
            bar.renderer = WholeCellScrollBarRender
        return bar
