"""A log pane per host: streams one host's output, batched, with follow/pause and save."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from pathlib import Path

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Log

#: How often buffered lines are written to the widgets (seconds). A grid flushes all its panes on one
#: timer, so the screen repaints once per interval, not once per pane (field case R37: batch writes).
FLUSH_INTERVAL = 0.1
#: Lines kept in the widget.
MAX_LINES = 2000
#: Lines kept in memory per pane for saving (ctrl+s). The full output of every run is in the run's
#: log files under the state directory (``<state>/logs/<cluster>-<time>/<host>.log``).
MAX_HISTORY = 10_000


class FollowingLog(Log):
    """A ``Log`` that stays at its end when its size changes while it follows (``auto_scroll``).

    Without this, a pane that shrinks (a message log or a findings list appears under it, the
    terminal is resized) keeps its old scroll offset and hides its last lines.
    """

    def _update_size(self, updates: int, lines: list[str]) -> None:
        # Textual's Log measures every new line's cell width in a thread worker (a Worker, its
        # state messages and a call back into the loop for each write, and pure-Python work that
        # holds the GIL against the UI). Plain ASCII without tabs is one cell per character, so
        # its width is len(); only the other lines go through Textual's measure.
        if not lines:
            return
        widest = 0
        for line in lines:
            width = len(line) if line.isascii() and "\t" not in line else cell_len(self._process_line(line))
            if width > widest:
                widest = width
        self._update_maximum_width(updates, widest)

    def on_resize(self) -> None:
        if self.auto_scroll:
            self.scroll_end(animate=False, immediate=True)
            self.call_after_refresh(self.scroll_end, animate=False)


class HostLogPane(Vertical):
    """One host's live output: a titled ``Log`` fed in batches from a deque.

    The border title names the host and its roles; the subtitle shows the status
    (``waiting``, ``running``, ``ok``, ``failed exit N``) and whether the pane follows new lines.
    """

    def __init__(self, host: str, roles: str, **kwargs) -> None:
        super().__init__(classes="host-pane", **kwargs)
        self.host = host
        self.roles = roles
        self.status = "waiting"
        self.follow = True
        self.history: deque[str] = deque(maxlen=MAX_HISTORY)
        self._pending: deque[str] = deque()
        self.border_title = f"{host} · {roles}" if roles else host

    def compose(self) -> ComposeResult:
        yield FollowingLog(max_lines=MAX_LINES, auto_scroll=True, highlight=False)

    def on_mount(self) -> None:
        self._render_status()
        if not isinstance(self.parent, HostLogGrid):  # a grid flushes its panes together
            self.set_interval(FLUSH_INTERVAL, self.flush)

    @property
    def log_widget(self) -> Log:
        """The ``Log`` inside the pane."""
        return self.query_one(Log)

    def write(self, line: str) -> None:
        """Queue one line (shown at the next flush)."""
        self._pending.append(line)
        self.history.append(line)

    def write_many(self, lines: Iterable[str]) -> None:
        """Queue several lines."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Write every queued line to the widget in one batch."""
        if not self._pending or not self.is_mounted:
            return
        pending = self._pending
        # the Log keeps MAX_LINES: older lines of a big batch would be measured, then pruned at once
        batch = list(pending) if len(pending) <= MAX_LINES else [pending[i] for i in range(len(pending) - MAX_LINES, len(pending))]
        pending.clear()
        self.log_widget.write_lines(batch, scroll_end=self.follow)

    def set_status(self, status: str) -> None:
        """Show ``status`` (running / ok / failed exit N) in the pane border."""
        self.status = status
        self.set_class(status == "running", "-running")
        self.set_class(status == "ok", "-ok")
        self.set_class(status.startswith("failed"), "-failed")
        self._render_status()

    def toggle_follow(self) -> bool:
        """Pause or resume following new lines; returns the new state."""
        self.follow = not self.follow
        self.log_widget.auto_scroll = self.follow
        if self.follow:
            self.log_widget.scroll_end(animate=False)
        self._render_status()
        return self.follow

    def scroll_to_end(self) -> None:
        """Show the last lines now and after the next layout, when the pane follows."""
        self.flush()
        if self.follow and self.is_mounted:
            self.log_widget.scroll_end(animate=False)
            self.call_after_refresh(self.log_widget.scroll_end, animate=False)

    def reset(self) -> None:
        """Forget the shown lines (a new run of the step starts)."""
        self._pending.clear()
        self.log_widget.clear()
        self.set_status("waiting")

    def save(self, directory: Path, prefix: str) -> Path:
        """Write the pane's history (its last :data:`MAX_HISTORY` lines) to ``directory/prefix-host.log``
        and return the path. The run's log files hold the full output."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{prefix}-{self.host}.log"
        path.write_text("\n".join(self.history) + ("\n" if self.history else ""), encoding="utf-8")
        return path

    def _render_status(self) -> None:
        follow = "follow" if self.follow else "paused"
        self.border_subtitle = f"{self.status} · {follow}"


class HostLogGrid(Grid):
    """The panes of every host of a step, side by side."""

    def __init__(self, hosts: list[tuple[str, str]], classes: str = "", **kwargs) -> None:
        super().__init__(classes=f"host-grid {classes}".strip(), **kwargs)
        self._hosts = hosts

    def compose(self) -> ComposeResult:
        for host, roles in self._hosts:
            yield HostLogPane(host, roles)

    def on_mount(self) -> None:
        self.styles.grid_size_columns = max(1, min(len(self._hosts), 3))
        self.set_interval(FLUSH_INTERVAL, self.flush)

    def flush(self) -> None:
        """Write every pane's queued lines in one go (one repaint for all of them)."""
        for pane in self.panes:
            pane.flush()

    def pane(self, host: str) -> HostLogPane | None:
        """The pane of ``host`` (None when the host is not in the plan)."""
        return next((pane for pane in self.panes if pane.host == host), None)

    @property
    def panes(self) -> list[HostLogPane]:
        """Every pane, in plan order."""
        return [child for child in self.children if isinstance(child, HostLogPane)]
