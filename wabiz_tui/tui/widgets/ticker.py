"""Updating a one-line counter (elapsed time, hosts done) without a screen layout when it can't move."""

from __future__ import annotations

from textual.widgets import Static


def set_ticker(widget: Static, text: str) -> None:
    """Show ``text`` in ``widget``, a counter redrawn by a timer.

    ``Static.update`` lays the whole screen out again by default (the widget's height may change):
    20-30 ms on the step-1 screen, twice a second for the elapsed-time counter, next to the panes'
    repaints while they stream. Unchanged text is not redrawn; text of the same length without a
    newline wraps the same way, so the widget keeps its size and only its own line is repainted.
    """
    old = widget.content
    if text == old:
        return
    same_size = isinstance(old, str) and len(old) == len(text) and "\n" not in text
    widget.update(text, layout=not same_size)
