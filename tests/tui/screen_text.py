"""The text a screen shows, line by line, as a terminal would draw it (colours dropped): for tests that read what
is on screen, and for a look at a layout while changing it."""

from __future__ import annotations

import io

from rich.console import Console


def screen_text(app) -> str:
    """What ``app``'s current screen draws on its terminal, one line per terminal row (no colour, no style)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def drawn_reversed(widget) -> str:
    """The text of ``widget``'s first row that is drawn reversed (what shows focus with ``NO_COLOR``)."""
    return "".join(seg.text for seg in widget.render_line(0) if seg.style is not None and seg.style.reverse)
