"""The monitor's event timeline: what changed in the cluster, one timestamped line each."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

#: Colour per timeline severity (``workflows.monitor.TimelineEntry.severity``, plus ``fault`` and ``note``).
SEVERITY_STYLE = {"info": "green", "warning": "bold yellow", "alert": "bold red", "fault": "bold magenta",
                  "note": "dim"}
MAX_ENTRIES = 1000


class Timeline(RichLog):
    """Timestamped entries, newest at the bottom, coloured by severity; ``entries`` keeps their text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_lines=MAX_ENTRIES, wrap=True, markup=False, highlight=False, auto_scroll=True, **kwargs)
        self.entries: list[str] = []
        #: the styled lines, kept to wrap them again at a new width
        self._styled: list[Text] = []
        self._wrapped_at = 0
        self.border_title = "Timeline"

    def add(self, at: float, text: str, severity: str = "info") -> None:
        """Append one entry (``at`` in epoch seconds)."""
        stamp = time.strftime("%H:%M:%S", time.localtime(at))
        self.entries.append(f"{stamp} {text}")
        del self.entries[:-MAX_ENTRIES]
        line = Text.assemble((f"{stamp} ", "dim"), (text, SEVERITY_STYLE.get(severity, "")))
        self._styled.append(line)
        del self._styled[:-MAX_ENTRIES]
        self._write(line)

    def _write(self, line: Text) -> None:
        width = self.scrollable_content_region.width
        if width > 20:
            self._wrapped_at = width
        self.write(line, width=width if width > 20 else None)  # wrap at the pane, not the console width

    def on_resize(self, event: Resize) -> None:
        """Wrap every entry again at the new width: the findings panel beside it appears and goes, the terminal is
        resized (RichLog keeps lines as rendered when written, cut once the pane narrows)."""
        width = self.scrollable_content_region.width
        if width <= 20 or width == self._wrapped_at or not self._styled:
            return
        self.clear()
        for line in self._styled:
            self._write(line)

    def add_entries(self, entries: Iterable[Any]) -> None:
        """Append ``workflows.monitor.TimelineEntry`` objects."""
        for e in entries:
            self.add(e.at, e.text, e.severity)

    @property
    def text(self) -> str:
        """Every entry, one per line (for tests and saving)."""
        return "\n".join(self.entries)
