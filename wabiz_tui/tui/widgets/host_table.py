"""The host table of a big cluster (issue 17: 50 hosts made 17 rows of panes 1-3 lines tall): one row per host
(host, role, state, elapsed, last line), failures first then Masters, Webapps, Coreapps, each in natural order
(``wa-core-2`` before ``wa-core-10``), and one pane under it for the selected host; a host that fails is opened at once.

Also the summaries a step shows for many hosts: counts, the failed hosts' names and their last error line
(:func:`host_summary`, :func:`failure_lines`), instead of one paragraph naming every host.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.visual import VisualType
from textual.widgets import DataTable, Static

from .cell_cache import CellCachedTable
from .sized import SizedByLayout
from .ticker import set_status_text

if TYPE_CHECKING:
    from .host_log import HostLogPane

#: How often the elapsed times and last lines are redrawn (seconds).
REFRESH_INTERVAL = 0.5
#: The narrowest the "last line" column gets (characters) when the other columns leave less room.
LAST_LINE_MIN = 12
#: How many failed hosts a summary names before "+N more".
NAMED = 5
_DIGITS = re.compile(r"(\d+)")


#: The row order of the roles after the failures (a host with several roles goes with its first).
ROLE_RANK = {"master": 0, "webapp": 1, "coreapp": 2}


def natural_key(name: str) -> tuple[Any, ...]:
    """``wa-core-10`` after ``wa-core-9``: digit runs compare as numbers."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in _DIGITS.split(name))


def _rank(status: str) -> int:
    return 0 if status.startswith("failed") else 1


def _state(status: str) -> Text:
    if status.startswith("failed"):
        return Text(f"✗ {status}", style="bold red")
    if status == "ok":
        return Text("✔ ok", style="green")
    if status.startswith("running"):
        return Text(f"◐ {status}", style="yellow")
    return Text(f"○ {status}", style="dim")


def _elapsed(seconds: float | None) -> str:
    if seconds is None:
        return ""
    secs = int(seconds)
    return f"{secs // 60}:{secs % 60:02d}"


def named(hosts: Iterable[str], limit: int = NAMED) -> str:
    """``a, b, c`` or ``a, b, c, d, e (+3 more)``, in natural order."""
    names = sorted(hosts, key=natural_key)
    more = f" (+{len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def host_summary(total: int, ok: Iterable[str], failed: Iterable[str]) -> Text:
    """``✔ 47 ok · ✗ 3 failed: wa-core-7, wa-core-19, wa-core-30 · 0 running`` (counts, then the failed names)."""
    ok, failed = list(ok), list(failed)
    running = max(0, total - len(ok) - len(failed))
    text = Text()
    text.append(f"✔ {len(ok)} ok", style="green")
    if failed:
        text.append(" · ")
        text.append(f"✗ {len(failed)} failed: {named(failed)}", style="bold red")
    text.append(f" · {running} not finished" if running else f" · {total} host(s)")
    return text


def failure_lines(results: Mapping[str, Any], last_output: Callable[[str], str], width: int = 160) -> list[str]:
    """One line per failed host of ``results`` (host -> ``HostFinished``), in natural order: ``✗ host: line`` with
    the last line its commands printed (e.g. docker's own error), else the engine's error; at most ``width``
    characters (the pane has the whole output)."""
    lines = []
    for host in sorted((h for h, r in results.items() if not r.ok), key=natural_key):
        line = f"✗ {host}: {failure_words(host, results[host].error, last_output(host))}"
        lines.append(line if len(line) <= width else line[:width - 1] + "…")
    return lines


def without_host(host: str, error: str) -> str:
    """``error`` without a leading ``host: `` (``RemoteError`` texts start with their host; a summary that names the
    host already said ``✗ wa-core-17: wa-core-17: docker-compose ps exited with status 1``, s7 trial)."""
    prefix = f"{host}: "
    return error[len(prefix):] if error.startswith(prefix) else error


def failure_words(host: str, error: str, last: str) -> str:
    """A failed host's cause in one line, without its name: the last line its commands printed (``last``: the
    cause itself, e.g. ``FileNotFoundError: … '/home/wa/biz/prod/docker-compose.yml'``) first, then the engine's
    ``error`` in brackets; either alone when the other is empty; ``failed`` when both are."""
    error = without_host(host, error or "")
    last = last.strip()
    if last and error and last not in error:
        return f"{last} ({error})"
    return last or error or "failed"


class HostTable(CellCachedTable):
    """One row per pane of the grid; the highlighted row's pane is the one shown (:meth:`attach` gives the panes)."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("z", "zoom", "Zoom pane"),
        Binding("enter", "open", "Open pane", show=False),
    ]
    COLUMNS = ("host", "role", "state", "elapsed", "last line")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.panes: dict[str, HostLogPane] = {}
        #: the host whose pane is shown
        self.shown = ""
        self._order: list[str] = []
        self._cells: dict[str, tuple[str, str, str]] = {}

    def attach(self, panes: list[HostLogPane]) -> None:
        """Show these panes' hosts; the first one's pane is shown, the others hidden."""
        self.panes = {p.host: p for p in panes}
        self.add_columns(*self.COLUMNS)
        for pane in panes:
            pane.show(False)
        self.border_title = f"{len(panes)} hosts"
        self._rebuild()
        if panes:
            self.select(self._order[0])
        self._fit_last_line()
        self.set_interval(REFRESH_INTERVAL, self.update_rows)

    def on_resize(self) -> None:
        self._fit_last_line()

    def _fit_last_line(self) -> None:
        """Give the "last line" column the width the other columns leave (at least :data:`LAST_LINE_MIN`).

        An auto-sized column is as wide as its widest cell when the row was added: every last line is empty then,
        so the column stayed as wide as its heading (~9 characters) until a resize measured it again (issue 17,
        s7 trial); its lines are cut at the table's edge instead."""
        column = self.columns.get("last line")  # type: ignore[call-overload]
        room = self.scrollable_content_region.width
        if column is None or room <= 0:
            return
        others = sum(c.get_render_width(self) for c in self.ordered_columns if c is not column)
        width = max(LAST_LINE_MIN, room - others - 2 * self.cell_padding)
        if column.auto_width or column.width != width:
            column.auto_width = False
            column.width = width
            self._require_update_dimensions = True  # DataTable recomputes its virtual width at the next render
            self._clear_caches()
            self.refresh()

    def order(self) -> list[str]:
        """The hosts in table order: failures first, then Masters, Webapps and Coreapps (as the health table: the few
        hosts everything hangs on before the 43 Coreapps), each in natural order."""
        def role(host: str) -> int:
            """The rank of ``host``'s first role in :data:`ROLE_RANK` (an unknown role last)."""
            roles = self.panes[host].roles.replace("+", " ").split()
            return min((ROLE_RANK.get(r, len(ROLE_RANK)) for r in roles), default=len(ROLE_RANK))

        return sorted(self.panes, key=lambda h: (_rank(self.panes[h].status), role(h), natural_key(h)))

    def _rebuild(self) -> None:
        self._order = self.order()
        self.clear()
        self._cells.clear()
        for host in self._order:
            pane = self.panes[host]
            self.add_row(Text(host, style="bold"), pane.roles, *self._row(host), key=host)
        if self.shown in self.panes:
            self.move_cursor(row=self._order.index(self.shown), animate=False)

    def _row(self, host: str) -> tuple[Text, str, str]:
        pane = self.panes[host]
        cells = (pane.status, _elapsed(pane.elapsed), pane.last_line)
        self._cells[host] = cells
        return _state(cells[0]), cells[1], cells[2]

    def update_rows(self) -> None:
        """Redraw what changed: a new failure reorders the rows and opens that host's pane."""
        if not self.panes or not self.is_mounted:
            return
        failed_before = {h for h, cells in self._cells.items() if cells[0].startswith("failed")}
        newly_failed = [h for h in self._order if h not in failed_before and self.panes[h].status.startswith("failed")]
        if self.order() != self._order:
            self._rebuild()
        if newly_failed:
            current = self.panes.get(self.shown)
            if current is None or not current.status.startswith("failed"):
                self.select(sorted(newly_failed, key=natural_key)[0])
        for host in self._order:
            pane = self.panes[host]
            if self._cells.get(host) != (pane.status, _elapsed(pane.elapsed), pane.last_line):
                state, elapsed, last = self._row(host)
                self.update_cell(host, "state", state)
                self.update_cell(host, "elapsed", elapsed)
                self.update_cell(host, "last line", last)
        self._fit_last_line()  # a wider state or elapsed cell leaves less room

    def add_columns(self, *labels: str) -> list:  # type: ignore[override]
        return [self.add_column(label, key=label) for label in labels]

    def select(self, host: str) -> None:
        """Show ``host``'s pane and put the cursor on its row."""
        if host not in self.panes:
            return
        self._show(host)
        row = self._order.index(host)
        if self.cursor_row != row:
            self.move_cursor(row=row, animate=False)

    def _show(self, host: str) -> None:
        if self.shown == host:
            return
        previous = self.panes.get(self.shown)
        if previous is not None:
            previous.show(False)
        self.shown = host
        self.panes[host].show(True)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # only the pane follows the cursor here: moving the cursor again would answer each highlight with another
        host = str(event.row_key.value or "")
        if host in self.panes:
            self._show(host)

    def action_open(self) -> None:
        """Move the focus to the selected host's pane (its keys: zoom, find, filter, copy)."""
        pane = self.panes.get(self.shown)
        if pane is not None:
            pane.log_widget.focus()

    def action_zoom(self) -> None:
        """Zoom the selected host's pane."""
        pane = self.panes.get(self.shown)
        if pane is not None:
            pane.action_zoom()


def flow(entries: Sequence[Text], width: int, gap: str = "  ") -> Text:
    """``entries`` on one text, ``gap`` between two, a line break instead of the gap before an entry that would not
    fit in ``width`` cells (``width`` <= 0: one line): a line never ends inside an entry. Textual wraps at any space,
    so ``✔ wa-core-1: ok  ✔ wa-core-2: ok`` ended a line with a lone ``✔`` (trial s9)."""
    text = Text()
    used = 0
    for entry in entries:
        size = entry.cell_len
        if used and width > 0 and used + len(gap) + size > width:
            text.append("\n")
            used = 0
        elif used:
            text.append(gap)
            used += len(gap)
        text.append_text(entry)
        used += size
    return text


class FlowLine(SizedByLayout, Static):
    """A :class:`Static` that shows either any content (:meth:`update`) or entries laid out by :func:`flow` for its
    width (:meth:`show_entries`), laid out again when it is resized; its own resize asks for no second layout
    (``widgets.sized``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the entries shown (empty while other content is)
        self.entries: tuple[Text, ...] = ()

    def show_entries(self, entries: Iterable[Text]) -> None:
        """Show ``entries`` (each never broken at a line's end unless wider than the widget); the screen is laid out
        again only when that changes the line's height (``ticker.set_status_text``: a host finishing, or the line
        resized by the step's start frame, was a layout of the whole screen of its own)."""
        kept = tuple(entries)
        set_status_text(self, flow(kept, self.content_size.width))
        self.entries = kept

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """As :meth:`Static.update`; the entries are forgotten."""
        self.entries = ()
        super().update(content, layout=layout)

    def on_resize(self, event: events.Resize) -> None:
        """Lay the entries out again for the new width."""
        if self.entries:
            self.show_entries(self.entries)
