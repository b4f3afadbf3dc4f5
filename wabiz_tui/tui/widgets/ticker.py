"""Updating a one-line counter (elapsed time, hosts done) or a status line without a screen layout when it can't move."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.widgets import Static


def set_ticker(widget: Static, text: str) -> None:
    """Show ``text`` in ``widget``, a counter redrawn by a timer.

    ``Static.update`` lays the whole screen out again by default (the widget's height may change):
    20-30 ms on the step-1 screen, twice a second for the elapsed-time counter, next to the panes'
    repaints while they stream. Unchanged text is not redrawn; text of the same length without a
    newline wraps the same way, so the widget keeps its size and only its own line is repainted; so does
    one-line text no wider than the widget's content (a width set by the content with a ``min-width``:
    the step screens' ``#elapsed``, whose first text after a step starts, from empty to
    ``0/5 hosts · 00:00``, was a layout of the whole screen while the panes streamed). A counter whose
    width the layout sets is laid out again only when its height changes (:func:`set_status_text`).
    """
    old = widget.content
    if text == old:
        return
    width = widget.styles.width
    if width is not None and not width.is_auto:
        set_status_text(widget, text)
        return
    # a width set by its content (``width: auto``) with room to spare (``min-width``): text that fits keeps the size
    fits = widget.is_mounted and "\n" not in text and cell_len(text) <= widget.content_size.width
    same_size = isinstance(old, str) and len(old) == len(text) and "\n" not in text
    widget.update(text, layout=not (same_size or fits))


def set_status_text(widget: Static, content: Any) -> None:
    """Show ``content`` in ``widget``, a status line whose width the layout sets (``1fr``, cells, a percentage, or no
    width rule: the container's width): the screen is laid out again only when the new content's height at that width
    differs from the shown one's.

    ``Static.update`` lays the whole screen out (a reflow and a repaint of everything: 25-30 ms at 180x50) in case
    the widget's size changes. A step's status line changes as the step starts and ends, in the same frames as the
    first and last output of its hosts (issue 17's streaming benchmark: the slowest key presses waited behind those
    frames). With a width that does not depend on the content, only the height can change, and it is measured. A
    step's results line (no width rule) changed with each finished host: 50 layouts while 50 hosts started at once.
    """
    width = widget.styles.width
    if not widget.is_mounted or not widget.content_size.width or (width is not None and width.is_auto):
        widget.update(content)
        return
    shown = widget.content_size
    widget.update(content, layout=False)
    widget.clear_cached_dimensions()
    if widget.get_content_height(widget.container_size, widget.app.size, shown.width) != shown.height:
        widget.refresh(layout=True)
