"""A short list of findings (``workflows.events.Finding`` or ``domain.diagnosis.Diagnosis``): what the
catalogue recognised, on which host, the line that showed it, and the next action. Each shown once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

#: Colour per finding severity.
SEVERITY_STYLE = {"info": "cyan", "warning": "bold yellow", "error": "bold red"}
#: Findings kept on screen (the newest win).
MAX_SHOWN = 6


def _remedy(item: Any) -> str:
    return getattr(item, "remedy", "") or getattr(item, "next_action", "") or ""


class FindingsList(VerticalScroll):
    """Findings as ``● SEVERITY title · host`` / ``evidence`` / ``→ next action``, one entry per key and host.

    :meth:`add` accumulates (a step's findings); :meth:`replace` shows exactly a new set (the
    monitor's current situations). The widget hides itself while it has nothing to show; the
    stylesheet caps its height and the text scrolls inside it, so it never pushes a screen's main
    widgets (node table, host panes) out of view.
    """

    def __init__(self, *, mask: Callable[[str], str] = lambda s: s, **kwargs: Any) -> None:
        super().__init__(classes="findings", **kwargs)
        self._body = Static("", classes="findings-text")
        self.items: list[Any] = []
        self._seen: set[tuple[str, str]] = set()
        self.mask = mask
        self.border_title = "Findings"

    def compose(self) -> ComposeResult:
        yield self._body

    def on_mount(self) -> None:
        self.display = bool(self.items)

    def add(self, item: Any) -> bool:
        """Show ``item`` unless its (key, host) is already listed; returns True when it was new."""
        ident = (getattr(item, "key", ""), getattr(item, "host", ""))
        if ident in self._seen:
            return False
        self._seen.add(ident)
        self.items.append(item)
        self._redraw()
        return True

    def replace(self, items: Iterable[Any]) -> None:
        """Show exactly ``items`` (deduplicated by key and host); nothing is redrawn when they are the ones shown (a step
        that starts clears an empty list: its redraw laid the whole screen out in the step's first frame)."""
        items = list(items)
        if items == self.items:
            return
        self.items.clear()
        self._seen.clear()
        for item in items:
            ident = (getattr(item, "key", ""), getattr(item, "host", ""))
            if ident not in self._seen:
                self._seen.add(ident)
                self.items.append(item)
        self._redraw()

    def clear(self) -> None:
        """Forget every finding (a new run starts)."""
        self.replace(())

    @property
    def plain(self) -> str:
        """The shown text without colours (for tests and saving)."""
        return self._text().plain

    def _text(self) -> Text:
        text = Text()
        shown = self.items[-MAX_SHOWN:]
        hidden = len(self.items) - len(shown)
        if hidden:
            text.append(f"({hidden} earlier finding(s) not shown)\n", style="dim")
        for i, item in enumerate(shown):
            severity = str(getattr(item, "severity", "info"))
            style = SEVERITY_STYLE.get(severity, "")
            if i:
                text.append("\n")
            text.append("● ", style=style)
            text.append(f"{severity.upper()} ", style=style)
            text.append(self.mask(getattr(item, "title", "")), style="bold")
            host = getattr(item, "host", "")
            if host:
                text.append(f" · {host}", style="bold")
            evidence = getattr(item, "evidence", "")
            if evidence:
                text.append(f"\n  {self.mask(evidence)}", style="dim")
            remedy = _remedy(item)
            if remedy:
                text.append(f"\n  → next: {self.mask(remedy)}")
        return text

    def _redraw(self) -> None:
        self._body.update(self._text())
        self.display = bool(self.items)
