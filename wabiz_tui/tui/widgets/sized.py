"""Widgets that scroll nothing and ask for no second layout of the screen once a layout has given them their size.

Textual's ``virtual_size`` is a layout reactive: a widget whose size a layout has just changed asks for another
layout of the whole screen (for its scrollbars), though its size was set by that very layout and it scrolls nothing
(Textual 8.2, ``Widget._size_updated``). Issue 17: the footer's Cancel key appearing as a step starts, and the status
line and elapsed counter resized in the same frame (s11: 20-40 ms each, twice while the panes' first lines arrived).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


class SizedByLayout:
    """Mixin for a widget class (before the Textual class in the bases): its size updates ask for no second layout."""

    def _size_updated(self, size: Any, virtual_size: Any, container_size: Any, layout: bool = True) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)  # type: ignore[misc]


class LineStatic(SizedByLayout, Static):
    """A ``Static`` for a status line or a counter beside it (no scrolling)."""
