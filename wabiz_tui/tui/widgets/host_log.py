"""A log pane per host: streams one host's output, batched, with follow/pause and save; a pane can be zoomed to the
whole screen, scrolled sideways, searched, filtered to the lines that match, and copied (issue 17).

:class:`HostLogGrid` lays the panes out: side by side, as many columns as are at least :data:`PANE_MIN_WIDTH` wide,
for a handful of hosts; above :data:`TABLE_ABOVE` hosts, a host table (``widgets.host_table``) and the one pane of
the selected host.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar, Self

from rich.cells import cell_len
from rich.style import Style
from textual._context import NoActiveAppError
from textual.geometry import Region, Size
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.scrollbar import ScrollBarCorner
from textual.strip import Strip
from textual.widgets import Input, Log

from .scrollbars import WholeCellScrollbars, AnyBar

#: How often buffered lines are written to the widgets (seconds). A grid flushes all its panes on one
#: timer, so the screen repaints once per interval, not once per pane (field case R37: batch writes).
FLUSH_INTERVAL = 0.1
#: Lines kept in the widget.
MAX_LINES = 2000
#: Lines kept in memory per pane for saving (ctrl+s). The full output of every run is in the run's
#: log files under the state directory (``<state>/logs/<cluster>-<time>/<host>.log``).
MAX_HISTORY = 10_000
#: Narrowest a pane side by side with others may be: ``docker-compose ps`` puts its State column past 50
#: characters (``biz_wacore_1   /opt/whatsapp/bin/wait_on_ ...   Up   6250/tcp, …``), so at 120 columns the panes
#: are one under the other rather than 24 characters wide.
PANE_MIN_WIDTH = 70
#: Lowest a pane may be (its border and three lines) before the panes go side by side to fit.
PANE_MIN_HEIGHT = 5
#: Lines a pane shows that the host's commands did not print: the command. The engine's error and next action and
#: the screen's failure line are written as notes (``write(..., note=True)``; the engine's come as
#: :class:`~wabiz_tui.workflows.events.EngineNote`), not told by their text: compose's own ``ERROR:`` lines are output.
_NOT_OUTPUT = ("$ ",)
#: Above this many hosts a step shows a host table and the selected host's pane instead of one pane per host.
TABLE_ABOVE = 6


def grid_columns(width: int, height: int, hosts: int) -> int:
    """How many columns of panes (1 to 3) ``hosts`` panes take in a grid ``width`` x ``height`` cells large.

    As few as keep each pane :data:`PANE_MIN_HEIGHT` rows tall, as many as are :data:`PANE_MIN_WIDTH` wide: at 120
    columns the panes are wide enough for ``docker-compose ps``; in a short terminal (80x24) they go side by side
    so that each still shows a few lines (z zooms one).
    """
    by_width = width // PANE_MIN_WIDTH
    by_height = -(-hosts // max(1, height // PANE_MIN_HEIGHT))
    return max(1, min(hosts, 3, max(by_width, by_height)))


class FollowingLog(WholeCellScrollbars, Log):
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

    def _update_maximum_width(self, updates: int, size: int) -> None:
        # Textual's Log sets its virtual size, a reactive that lays out the whole screen again (a full reflow and
        # repaint, 12-30 ms at 180x50) on every write while a pane holds fewer than MAX_LINES lines: each flush of
        # a step's first 2,000 lines per host (issue 17). A pane's size does not depend on its lines (its height
        # is a fraction of the grid's), so only the scroll range changes: set without a layout, with the
        # scrollbars brought up to date (whose own reactives still ask for a layout if one appears or goes).
        if updates != self._updates:
            return
        self._width = max(size, self._width)
        wanted = Size(self._width, self.line_count)
        if wanted == self.virtual_size:
            return
        if self.styles.auto_dimensions or not self.is_mounted:
            self.virtual_size = wanted
            return
        self.set_reactive(Log.virtual_size, wanted)
        self._scroll_update(wanted)
        self.refresh()

    def write_lines(self, lines: Iterable[str], scroll_end: bool | None = None) -> Log:
        """Textual's ``Log.write_lines`` for lines that hold no line break (a pane's lines come split): what the
        widget will keep (``max_lines``) is appended and measured once, without splitting each line again."""
        lines = lines if isinstance(lines, list) else list(lines)
        if any("\n" in line for line in lines):
            return super().write_lines(lines, scroll_end)
        if self.max_lines is not None and len(lines) > self.max_lines:
            lines = lines[-self.max_lines:]
        follow = self.auto_scroll if scroll_end is None else scroll_end
        at_end = self.is_vertical_scroll_end
        start = len(self._lines)
        self._lines.extend(lines)
        if self.max_lines is not None and len(self._lines) > self.max_lines:
            pruned = len(self._lines) - self.max_lines
            self._prune_max_lines()
            start = max(0, start - pruned)
        self._update_size(self._updates, lines)
        self.refresh_lines(start, len(lines))
        if follow and not self.is_vertical_scrollbar_grabbed and at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self.refresh()
        return self

    # Textual creates a widget's scrollbars on first use but styles them only when a restyle of the widget finds them
    # shown: every rule then goes from unset to set, which lays the whole screen out (a reflow and a repaint of
    # everything, 25-30 ms at 180x50). A pane's first status change after its first screenful (a host starts or
    # ends) did that while its host streamed, once per pane (issue 17). Styled at creation instead: the scrollbar is
    # not mounted yet, so no layout is asked, and a later restyle finds its rules unchanged.
    @property
    def scrollbar_corner(self) -> ScrollBarCorner:
        created = self._scrollbar_corner is None
        return self._new_scrollbar(super().scrollbar_corner, created)

    def _new_scrollbar(self, bar: AnyBar, created: bool) -> AnyBar:
        if created:
            self.app.stylesheet.apply(bar)
        return super()._new_scrollbar(bar, created)

    # Textual's Log asks ``rich_style`` for every line it renders: a walk up the widget's ancestors combining their
    # colours, about a quarter of a streaming pane's repaint (issue 17). The style cannot change within one render,
    # so it is worked out once per ``render_lines`` call.
    _frame_style: Style | None = None

    @property
    def rich_style(self) -> Style:
        frame = self._frame_style
        return frame if frame is not None else super().rich_style

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame_style = super().rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._frame_style = None

    def on_resize(self) -> None:
        if self.auto_scroll:
            self.scroll_end(animate=False, immediate=True)
            self.call_after_refresh(self.scroll_end, animate=False)


class HostLogPane(Vertical):
    """One host's live output: a titled ``Log`` fed in batches from a deque.

    The border title names the host and its roles; the subtitle shows the status
    (``waiting``, ``running``, ``ok``, ``failed exit N``) and whether the pane follows new lines.
    Keys while the pane has focus: ``z`` zoom (the pane fills the screen; again or esc to restore), ``/`` find
    (enter: next match, ``n``/``N`` next/previous), ``f`` filter (only the lines that match), ``c`` copy (to the
    clipboard and to a file in the state directory), left/right scroll sideways.
    """

    ALLOW_MAXIMIZE = True
    #: the status subtitle last set (its text, and Textual's content for it), and whether it is being set (its repaint
    #: is its border row's)
    _subtitle: tuple[str, object] | None = None
    _subtitle_row = False
    #: a change of the status classes is being applied (only the pane is restyled)
    _status_restyle = False
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("z", "zoom", "Zoom"),
        Binding("slash", "find", "Find"),
        Binding("n", "find_next", "Next", show=False),
        Binding("N", "find_previous", "Previous", show=False),
        Binding("f", "filter", "Filter"),
        Binding("c", "copy", "Copy"),
        Binding("escape", "close_bar", "Close", show=False),
    ]

    def __init__(self, host: str, roles: str, **kwargs) -> None:
        super().__init__(classes="host-pane", **kwargs)
        self.host = host
        self.roles = roles
        self.status = "waiting"
        self.follow = True
        self.history: deque[str] = deque(maxlen=MAX_HISTORY)
        self._pending: deque[str] = deque()
        self.border_title = f"{host} · {roles}" if roles else host
        #: the last line written that is not a step heading (the host table's "last line")
        self.last_line = ""
        #: the last line the host's commands printed (not the command itself nor the engine's error notes)
        self.last_output = ""
        #: time.monotonic() when the host started running and when it finished (None: not yet)
        self.started: float | None = None
        self.ended: float | None = None
        #: the filter in force ("" none) and the last search with the line it found (-1 none)
        self.filter = ""
        self.query_text = ""
        self._found = -1
        #: lines were not written to the widget while the pane was hidden: reload from the history when shown
        self._stale = False
        self._bar_mode = ""
        #: lines written since the last reset (a reload shows this run's lines, as the widget did)
        self._run_lines = 0
        self._log: Log | None = None

    def compose(self) -> ComposeResult:
        log = FollowingLog(max_lines=MAX_LINES, auto_scroll=True, highlight=False)
        # not a Tab stop while the host waits with nothing to show: at 80x24 Tab after the upgrade form went
        # through five empty panes below the fold before the buttons, and the focus looked lost (issue 17)
        log.can_focus = False
        yield log

    def on_mount(self) -> None:
        self._render_status()
        if not isinstance(self.parent, HostLogGrid):  # a grid flushes its panes together
            self.set_interval(FLUSH_INTERVAL, self.flush)

    @property
    def log_widget(self) -> Log:
        """The ``Log`` inside the pane."""
        if self._log is None or self._log.parent is not self:
            self._log = self.query_one(Log)
        return self._log

    def write(self, line: str, *, note: bool = False) -> None:
        """Queue one line (shown at the next flush). A ``note`` (the engine's own error or next action) is shown but
        is not the host's last output, nor its last line unless its command printed nothing (the line before it, the
        host's own, says why)."""
        self._pending.append(line)
        self.history.append(line)
        self._run_lines += 1
        if note:
            if line.strip() and (not self.last_line or self.last_line.startswith("$ ")):
                self.last_line = line
        elif line.strip() and not line.startswith("── "):
            self.last_line = line
            if not line.startswith(_NOT_OUTPUT):
                self.last_output = line

    def write_many(self, lines: Iterable[str]) -> None:
        """Queue several lines, in order (one call for a batch of a host's output)."""
        lines = list(lines)
        if not lines:
            return
        self._pending.extend(lines)
        self.history.extend(lines)
        self._run_lines += len(lines)
        last = output = None
        for line in reversed(lines):
            if line.strip() and not line.startswith("── "):
                if last is None:
                    last = line
                if not line.startswith(_NOT_OUTPUT):
                    output = line
                    break
        if last is not None:
            self.last_line = last
        if output is not None:
            self.last_output = output

    def flush(self) -> None:
        """Write every queued line to the widget in one batch."""
        if not self._pending or not self.is_mounted:
            return
        pending = self._pending
        if not self.display:  # hidden behind the host table: the history has them, shown when selected
            pending.clear()
            self._stale = True
            return
        if self.filter:
            batch = [line for line in pending if self._matches(line)]
        else:
            # the Log keeps MAX_LINES: older lines of a big batch would be measured, then pruned at once
            batch = list(pending) if len(pending) <= MAX_LINES else [pending[i] for i in range(len(pending) - MAX_LINES, len(pending))]
        pending.clear()
        if batch:
            log = self.log_widget
            log.can_focus = True
            log.write_lines(batch, scroll_end=self.follow)

    def reload(self) -> None:
        """Rewrite the widget from the history (the pane was hidden, or the filter changed)."""
        self._pending.clear()
        self._stale = False
        if not self.is_mounted:
            return
        run = list(self.history)[-self._run_lines:] if self._run_lines else []
        lines = [line for line in run if self._matches(line)] if self.filter else run
        log = self.log_widget
        log.clear()
        log.write_lines(lines[-MAX_LINES:], scroll_end=self.follow)
        if self.follow:  # a pane just shown has no size yet: its end once laid out
            self.call_after_refresh(log.scroll_end, animate=False)
        self._render_status()

    def show(self, shown: bool = True) -> None:
        """Show or hide the pane (the host table shows one at a time); a pane shown again is brought up to date."""
        self.display = shown
        if shown:
            self._apply_status_class()
            if self._stale:
                self.reload()

    def set_status(self, status: str) -> None:
        """Show ``status`` (running / ok / failed exit N) in the pane border."""
        if status.startswith("running") and (self.started is None or self.ended is not None):
            self.started, self.ended = time.monotonic(), None
        elif (status == "ok" or status.startswith("failed")) and self.ended is None:
            self.ended = time.monotonic()
        self.status = status
        if status != "waiting" and self.is_mounted:
            self.log_widget.can_focus = True
        if self.display:  # a hidden pane gets its colours when shown: restyling 50 panes held a key press 2 s
            self._apply_status_class()
        self._render_status()

    def _apply_status_class(self) -> None:
        status = self.status
        state = ("-running" if status.startswith("running") else "-ok" if status == "ok"
                 else "-failed" if status.startswith("failed") else "")
        wanted = {c for c in self.classes if c not in ("-running", "-ok", "-failed")} | ({state} if state else set())
        if wanted != set(self.classes):
            self._status_restyle = True
            try:
                self.set_classes(wanted)  # one restyle, not one per class
            finally:
                self._status_restyle = False

    def update_node_styles(self, animate: bool = True) -> None:
        """As Textual's: restyle the pane and everything in it; for a change of the status classes only the pane."""
        # The status classes' rules (``.host-pane.-running`` / ``-ok`` / ``-failed``, app.tcss) set the pane's own
        # border and subtitle colour, which nothing in it inherits, and no rule selects a widget inside a pane by them
        # (tests/tui/test_layout_requests.py checks both). Textual restyles the pane's log, its scrollbars and its
        # corner too: 3-4 ms of the UI loop per pane, five at once as five hosts start streaming (issue 17).
        if self._status_restyle:
            try:
                self.app.stylesheet.update_nodes([self], animate=animate)
            except NoActiveAppError:  # as Textual's: no app yet, nothing to restyle
                pass
            return
        super().update_node_styles(animate)

    @property
    def elapsed(self) -> float | None:
        """Seconds the host has run (until it finished), None before it started."""
        if self.started is None:
            return None
        return (self.ended if self.ended is not None else time.monotonic()) - self.started

    def toggle_follow(self) -> bool:
        """Pause or resume following new lines; returns the new state."""
        self.follow = not self.follow
        self.log_widget.auto_scroll = self.follow
        if self.follow:
            self.log_widget.scroll_end(animate=False)
        self._render_status()
        return self.follow

    def scroll_to_end(self) -> None:
        """Show the last lines now and after the next layout, when the pane follows (a hidden pane when shown: the
        end of a step scrolled the 49 hidden panes of a 50-host step too, creating their scrollbars, 26 ms of the
        UI loop in ``bench/responsive_bench.py``'s start of 50 hosts)."""
        self.flush()
        if self.follow and self.is_mounted and self.display:
            self.log_widget.scroll_end(animate=False)
            self.call_after_refresh(self.log_widget.scroll_end, animate=False)

    def reset(self) -> None:
        """Forget the shown lines (a new run of the step starts)."""
        self._pending.clear()
        if not self.display:  # emptied when shown (reload): clearing 50 hidden Logs re-laid out the screen
            self._stale = True
        elif self.log_widget.line_count:
            self.log_widget.clear()
        self.last_line = self.last_output = ""
        self._run_lines = 0
        self.started = self.ended = None
        self.set_status("waiting")

    def save(self, directory: Path, prefix: str) -> Path:
        """Write the pane's history (its last :data:`MAX_HISTORY` lines) to ``directory/prefix-host.log``
        and return the path. The run's log files hold the full output."""
        return self._write_file(directory / f"{prefix}-{self.host}.log", list(self.history))

    @staticmethod
    def _write_file(path: Path, lines: list[str]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        return path

    # ---- zoom, find, filter, copy ------------------------------------------------------------------
    def action_zoom(self) -> None:
        """Fill the screen with this pane (Textual's maximize), or give the screen back."""
        screen = self.screen
        if screen.maximized is self:
            screen.minimize()
        else:
            screen.maximize(self, container=False)
            self.log_widget.focus()

    def action_find(self) -> None:
        """Open the find bar: enter jumps to the next line containing the text (case-insensitive)."""
        self._open_bar("find", "(find: text, enter for the next match, esc to close)")

    def action_filter(self) -> None:
        """Open the filter bar: only the lines containing the text are shown (empty: all)."""
        self._open_bar("filter", "(filter: only lines containing this text; esc: all lines)")

    def _open_bar(self, mode: str, placeholder: str) -> None:
        bars = self.query(".pane-bar")
        if bars:
            bar = bars.first(Input)
        else:  # mounted on first use: an Input in each of 50 panes made every restyle slower
            bar = Input(classes="pane-bar", compact=True)
            self.mount(bar)
        self._bar_mode = mode
        bar.placeholder = placeholder
        bar.value = self.filter if mode == "filter" else self.query_text
        bar.display = True
        bar.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc is the pane's only while it has something to close (a bar, the zoom); else it goes on to the screen."""
        if action == "close_bar":
            bars = self.query(".pane-bar")
            return bool(bars and bars.first().display) or self.screen.maximized is self
        return True

    def action_close_bar(self) -> None:
        """Close the find/filter bar (a filter is dropped); a zoomed pane is restored when no bar is open."""
        bars = self.query(".pane-bar")
        bar = bars.first(Input) if bars else None
        if bar is not None and bar.display:
            bar.display = False
            if self._bar_mode == "filter":
                self.set_filter("")
            self._bar_mode = ""
            self.log_widget.focus()
        elif self.screen.maximized is self:
            self.screen.minimize()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._bar_mode == "filter":
            self.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._bar_mode == "find":
            if event.value != self.query_text:  # a new search starts from the top
                self._found = -1
            self.query_text = event.value
            self.find(event.value)
        else:
            self.log_widget.focus()

    def set_filter(self, text: str) -> None:
        """Show only the lines containing ``text`` (case-insensitive; "" shows every line)."""
        self.filter = text
        self.reload()

    def _matches(self, line: str) -> bool:
        return self.filter.lower() in line.lower()

    def find(self, text: str, backwards: bool = False) -> int:
        """Scroll to the next (or previous) shown line containing ``text``, after the last one found; returns its
        index in the shown lines, or -1 (said in the border) when no line contains it."""
        self.flush()
        lines = self.log_widget.lines
        needle = text.lower()
        if not needle or not lines:
            return -1
        n = len(lines)
        start = self._found if self._found >= 0 else (n if backwards else -1)
        for step in range(1, n + 1):
            i = (start - step) % n if backwards else (start + step) % n
            if needle in lines[i].lower():
                self._found = i
                if self.follow:
                    self.toggle_follow()  # stay on the match while new lines arrive
                self.log_widget.scroll_to(y=max(0, i - 1), animate=False)
                self.border_subtitle = f"{self.status} · match at line {i + 1} of {n} (n next, N previous)"
                return i
        self._found = -1
        self.border_subtitle = f"{self.status} · {text!r} not found"
        return -1

    def action_find_next(self) -> None:
        """The next line containing the last search."""
        if self.query_text:
            self.find(self.query_text)
        else:
            self.action_find()

    def action_find_previous(self) -> None:
        """The previous line containing the last search."""
        if self.query_text:
            self.find(self.query_text, backwards=True)

    def copy_text(self) -> str:
        """The lines a copy takes: the matching ones under a filter, else the history."""
        lines = [line for line in self.history if self._matches(line)] if self.filter else list(self.history)
        return "\n".join(lines)

    def action_copy(self) -> None:
        """Copy the pane to the clipboard (the terminal's OSC 52, which some terminals ignore) and to a file in the
        state directory, whose path is said."""
        text = self.copy_text()
        self.app.copy_to_clipboard(text)
        directory = getattr(self.app, "log_dir", None)
        if directory is None:
            from ...config.paths import app_paths

            directory = app_paths().logs
        lines = text.split("\n") if text else []
        path = Path(directory) / f"copy-{time.strftime('%Y%m%d-%H%M%S')}-{self.host}.log"
        try:
            self._write_file(path, lines)
        except OSError as exc:
            self.notify(f"Copied {len(lines)} line(s) of {self.host} to the clipboard; the file {path} could not be "
                        f"written ({exc.strerror or exc})", severity="warning")
            return
        self.notify(f"Copied {len(lines)} line(s) of {self.host} to the clipboard (if the terminal allows it) and to "
                    f"{path}", title="Pane copied", timeout=10)

    def _render_status(self) -> None:
        follow = "follow" if self.follow else "paused"
        shown = f" · filter {self.filter!r}" if self.filter else ""
        subtitle = f"{self.status} · {follow}{shown}"
        # Textual's border_subtitle repaints the whole pane on every assignment, unchanged or not: the log, its
        # scrollbars and the border, 25 of the 41 widgets a step's first repaint drew with 5 hosts (issue 17: the five
        # panes' "waiting" set again as the step starts). Unchanged, nothing is repainted; changed, the bottom border
        # row that shows it.
        if self._subtitle is not None and self._subtitle == (subtitle, self._border_subtitle):  # another may set it
            return
        self._subtitle_row = True
        try:
            self.border_subtitle = subtitle
        finally:
            self._subtitle_row = False
        self._subtitle = (subtitle, self._border_subtitle)

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        """As Textual's ``Widget.refresh``; for a new subtitle (from :meth:`_render_status`) only the bottom border row,
        where the subtitle is drawn, is repainted."""
        if self._subtitle_row and not (regions or layout or recompose) and self.is_mounted and self.outer_size:
            left, top = self.content_offset
            outer = self.outer_size
            regions = (Region(-left, outer.height - 1 - top, outer.width, 1),)  # content coordinates, as _set_dirty's
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)


class HostLogGrid(Container):
    """The panes of every host of a step: side by side for a handful of hosts, else a host table with the
    selected host's pane (:data:`TABLE_ABOVE`)."""

    DEFAULT_CSS = """
    HostLogGrid { layout: grid; }
    HostLogGrid.-table { layout: vertical; min-height: 20; }
    HostLogGrid.-table > HostTable { height: 40%; min-height: 6; }
    HostLogPane > .pane-bar { dock: bottom; }
    """

    def __init__(self, hosts: list[tuple[str, str]], classes: str = "", **kwargs) -> None:
        super().__init__(classes=f"host-grid {classes}".strip(), **kwargs)
        self._hosts = hosts
        #: True when the hosts are too many for one pane each
        self.tabled = len(hosts) > TABLE_ABOVE
        self.set_class(self.tabled, "-table")
        #: (terminal size, host count) the column count was fitted for
        self._fitted_for: tuple[Size, int] | None = None
        #: the grid's own height when the column count was last fitted
        self._fitted_height: int | None = None

    def compose(self) -> ComposeResult:
        if self.tabled:
            from .host_table import HostTable

            yield HostTable(id=f"{self.id or 'host-grid'}-table")
        for host, roles in self._hosts:
            pane = HostLogPane(host, roles)
            if self.tabled:
                # Hidden and sized (inline, as the app's .host-pane rules size the panes of a grid) before they are
                # mounted: set once mounted, each asked for a layout of the screen (100 of the 409 layout requests
                # the panes made as a 50-host screen was built) and the first layout placed 50 panes to hide 49.
                pane.display = False
                pane.styles.height = "1fr"
            yield pane

    def on_mount(self) -> None:
        if self.tabled:
            from .host_table import HostTable

            self.query_one(HostTable).attach(self.panes)
            self.styles.min_height = 20  # inline: the app's .host-grid rules size a grid of panes, not a table
        else:
            self._fit_columns()
        self.set_interval(FLUSH_INTERVAL, self.flush)

    def on_resize(self) -> None:
        if not self.tabled:
            self._fit_columns()

    def _fit_columns(self) -> None:
        # Refitted for a new terminal size, or when the grid's own height moved by a pane or more (the preflight
        # folding away at step 5): refitted on every resize of the grid, the count flapped between 2 and 3 (issue 17,
        # s7 trial) as the step's messages and the scroll bars came and went a row or two at a time.
        fitted_for = (self.app.size, len(self._hosts))
        if (fitted_for == self._fitted_for and self._fitted_height is not None
                and abs(self.size.height - self._fitted_height) < PANE_MIN_HEIGHT):
            return
        if self.size.area:
            self._fitted_for = fitted_for
            self._fitted_height = self.size.height
        width, height = self.size if self.size.area else self.app.size
        columns = grid_columns(width, height, len(self._hosts))
        if self.styles.grid_size_columns != columns:
            self.styles.grid_size_columns = columns

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
