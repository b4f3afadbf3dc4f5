"""The preflight's results: the cluster-level advice, a host × check table coloured by level, and the
reason of every warning and failure (the highlighted cell's reason under the table)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical
from textual.widgets import DataTable, Static

from ...domain.preflight import FAILURE, OK, WARNING
from .cell_cache import CellCachedTable

_CELL = {OK: ("✔ ok", "green"), WARNING: ("⚠ warn", "bold yellow"), FAILURE: ("✗ FAIL", "bold red")}
#: Table cells: a sign for ok and warning (the colour says the rest); a failure is spelled out.
_GRID_CELL = {OK: ("✔", "green"), WARNING: ("⚠", "bold yellow"), FAILURE: ("✗ FAIL", "bold red")}
_RANK = {FAILURE: 0, WARNING: 1, OK: 2}
#: The key of the table's first column (a check is never named so).
_HOST_COLUMN = "\0host"
#: Below this many terminal columns the table has one row per host in short words (host, verdict, the checks that
#: did not pass) and the selected row's reasons under it: at 80x24 nine check columns were cut after the sixth
#: and the cluster advice left room for 2 of 50 rows (issue 17, s7 trial).
COMPACT_BELOW = 110
#: The compact table's columns: (key, header).
_COMPACT = (("\0verdict", "verdict"), ("\0problems", "not ok"))
#: Short words of the compact table's verdict column (readable without colour).
_WORD = {OK: ("ok", "green"), WARNING: ("warn", "bold yellow"), FAILURE: ("FAIL", "bold red")}
#: Seconds between two rebuilds of the table while results arrive.
REDRAW_EVERY = 0.25


def column_label(name: str, names: Iterable[str] = ()) -> str:
    """A check's column header on one line: a path is left out (``disk /var/lib/docker`` -> ``disk``) unless another
    of ``names`` (the checks shown) starts with the same word, then its last part stays (``disk docker`` beside
    ``disk wamedia``); other words stay (``media shared``). The full name is in the reasons and in the highlighted
    cell's subtitle. On two lines (``disk`` / ``docker``) the header took two rows (s9 trial)."""
    first, _, rest = name.partition(" ")
    if rest.startswith("/"):
        alike = any(other != name and other.partition(" ")[0] == first for other in names)
        rest = rest.rstrip("/").rsplit("/", 1)[-1] if alike else ""
    first = _SHORT.get(first, first)
    return f"{first} {rest}" if rest else first


#: Header words shortened so that every column fits beside the step list at 120 columns.
_SHORT = {"database": "DB"}


class PreflightTable(Vertical):
    """Shows ``CheckDone`` results as they arrive; :meth:`add` one, :meth:`clear` before a new run.

    :meth:`fold` shrinks the panel to its one-line :attr:`verdict` (step 5 then needs the room for
    its host panes); :meth:`clear` unfolds it.
    """

    def __init__(self, mask: Callable[[str], str] = str, **kwargs) -> None:
        super().__init__(classes="preflight", **kwargs)
        self.mask = mask
        #: (host, check name) -> (level, reason), in arrival order ("" host: the cluster).
        self.checks: dict[tuple[str, str], tuple[str, str]] = {}
        #: host -> its worst level so far, hosts in the order of their first result (kept by :meth:`add`: ranking
        #: 50 hosts went over every result for each host, 700 times in a preflight)
        self._worst: dict[str, str] = {}
        #: hosts whose own checks are all in (their ``HostFinished`` of the host checks): :meth:`host_done`
        self._done: set[str] = set()
        self._dirty = False
        self._order: list[str] = []
        #: what the table shows: (hosts, check names) of its rows and columns, and each cell's (label, style)
        self._drawn: tuple[list[str], list[str]] | None = None
        self._shown: dict[tuple[str, str], tuple[str, str]] = {}
        #: the compact table's (verdict, not ok) cells per host
        self._compact_shown: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {}
        self._texts: dict[str, tuple[str, list]] = {}
        #: whole rebuilds of the table (one per :meth:`clear`; results change it in place)
        self.rebuilds = 0
        self.border_title = "Preflight"

    def compose(self) -> ComposeResult:
        yield Static("", classes="preflight-verdict")
        yield Static("", id="preflight-cluster")
        table = CellCachedTable(id="preflight-grid", zebra_stripes=True, cursor_type="cell")
        yield Static("", id="preflight-detail")
        yield table
        yield Static("", id="preflight-reasons")

    # ---- data -------------------------------------------------------------------------------
    def add(self, host: str, name: str, level: str, reason: str) -> None:
        """Record one check's result (redrawn on the next refresh)."""
        replaced = (host, name) in self.checks
        self.checks[(host, name)] = (level, self.mask(reason))
        if replaced:  # a result given again: the host's worst may be better now
            levels = [lv for (h, _n), (lv, _r) in self.checks.items() if h == host]
            self._worst[host] = min(levels, key=lambda lv: _RANK.get(lv, 3))
        elif host not in self._worst or _RANK.get(level, 3) < _RANK.get(self._worst[host], 3):
            self._worst[host] = level
        if not self._dirty:
            self._dirty = True
            # at most one rebuild per REDRAW_EVERY: 50 hosts send ~460 results, each rebuild redraws every row
            self.set_timer(REDRAW_EVERY, self.redraw)

    def host_done(self, host: str) -> None:
        """``host`` has every one of its checks in (the preflight's ``HostFinished`` for it): it counts as checked in
        :meth:`counter`, as it does in the step's ``N/50 hosts`` status counter and progress bar, which count the same
        events (issue 17: the title said ``50/50 hosts`` from each host's first result while the status line said
        ``0/50``)."""
        if host not in self._done:
            self._done.add(host)
            if not self._dirty:
                self._dirty = True
                self.set_timer(REDRAW_EVERY, self.redraw)

    def clear(self, hosts: list[str] | tuple[str, ...] = ()) -> None:
        """Forget the results of an earlier run; ``hosts`` gives the order of the rows (the profile's)."""
        self.checks.clear()
        self._worst.clear()
        self._done.clear()
        self._order = list(hosts)
        self._drawn = None
        self.remove_class("-folded")
        self.redraw()

    def fold(self) -> None:
        """Show only the verdict line (the table and reasons come back with the next :meth:`clear`)."""
        self.add_class("-folded")
        self.border_subtitle = ""
        self.query_one(".preflight-verdict", Static).update(self.verdict)

    @property
    def verdict(self) -> str:
        """``✔ Preflight passed: 1 warning(s) in 53 checks`` (or the failures' count)."""
        failures, warnings = self.count(FAILURE), self.count(WARNING)
        counts = f"{warnings} warning(s) in {len(self.checks)} checks"
        if failures:
            return f"✗ Preflight failed: {failures} failure(s), {counts}"
        return f"✔ Preflight passed: {counts}"

    def count(self, level: str) -> int:
        """How many checks ended at ``level``."""
        return sum(1 for lv, _ in self.checks.values() if lv == level)

    def failures(self) -> list[str]:
        """``host check: reason`` of every failure, in arrival order."""
        return [f"{host or 'cluster'} {name}: {reason}" for (host, name), (lv, reason) in self.checks.items()
                if lv == FAILURE]

    @property
    def hosts(self) -> list[str]:
        """The hosts with results: those with a failure first, then those with a warning, then the rest; each group
        in the profile's order, then any other in arrival order (with 50 hosts a problem far down the profile
        was below the table's edge)."""
        return self._ranked([h for h in self._order if h in self._worst]
                            + [h for h in self._worst if h and h not in self._order])

    def _ranked(self, ordered: list[str]) -> list[str]:
        """``ordered`` with failures first, then warnings, then the rest (a host without results yet among the
        rest), each group keeping its order."""
        def rank(host: str) -> int:
            """0 for a failure, 1 for a warning, 2 for anything else (no result yet included)."""
            return min(_RANK.get(self._worst.get(host, ""), 3), _RANK[OK])

        return sorted(ordered, key=rank)

    @property
    def names(self) -> list[str]:
        """The host check names, in arrival order."""
        return list(dict.fromkeys(n for h, n in self.checks if h))

    @property
    def compact(self) -> bool:
        """One row per host in short words (a terminal narrower than :data:`COMPACT_BELOW` columns)."""
        return self.app.size.width < COMPACT_BELOW

    def on_resize(self) -> None:
        if self._drawn is not None and (self._drawn[1] == ["\0compact"]) != self.compact:
            self._drawn = None
            self.redraw()
        elif self.compact:
            self._fit_compact_height()

    def _fit_compact_height(self) -> None:
        """The compact table as tall as the scrolled step body leaves room for under the panel's other lines: the
        rows that fit are on screen, the rest one scroll of the table away (not below the body's fold)."""
        body = next((a for a in self.ancestors if isinstance(a, ScrollableContainer)), None)
        if body is None or not body.size.height:
            return
        other = sum(w.outer_size.height for w in self.query(Static) if w.display)
        room = max(5, body.scrollable_content_region.height - 2 - other)
        grid = self.query_one(DataTable)
        if grid.styles.max_height is None or grid.styles.max_height.value != room:
            grid.styles.max_height = room

    def worst(self, host: str) -> str:
        """``host``'s worst level ("" while it has no result)."""
        return self._worst.get(host, "")

    def not_ok(self, host: str) -> list[tuple[str, str, str]]:
        """``(check, level, reason)`` of ``host``'s checks that did not pass: failures, then warnings."""
        found = [(n, lv, r) for (h, n), (lv, r) in self.checks.items() if h == host and lv != OK]
        return sorted(found, key=lambda p: _RANK.get(p[1], 3))

    def counter(self) -> str:
        """``32/50 checked · 1 failed · 3 warning(s)``: hosts with all their checks in (:meth:`host_done`) of
        those planned, then the failed and warning checks as :attr:`verdict` and step 5's status line count them
        (:meth:`count`, cluster-level checks included: a per-host count read ``0 warning`` over ``passed with 1
        warning(s)``, trial s8 N9)."""
        hosts = self._order + [h for h in self.hosts if h not in self._order]
        checked = sum(1 for h in hosts if h in self._done)
        return (f"{checked}/{len(hosts)} checked · {self.count(FAILURE)} failed · "
                f"{self.count(WARNING)} warning(s)")

    # ---- drawing ----------------------------------------------------------------------------
    def redraw(self) -> None:
        """Bring the advice line, the table and the reasons up to :attr:`checks`: only the cells that changed
        while the hosts and checks are the same (a rebuild redraws and re-lays out the whole screen)."""
        self._dirty = False
        if not self.is_mounted:
            return
        self.display = bool(self.checks)
        self._set_text("#preflight-cluster", self._cluster_text())
        table = self.query_one(DataTable)
        # every planned host has its row from the first result on (its cells "·" until it answers): the rows then
        # stay while results arrive, and only the cells that changed are drawn again
        # failures first (a row moves only when a host's worst level changes: then the rows are re-sorted in place)
        names, hosts = self.names, self._ranked(self._order + [h for h in self.hosts if h not in self._order])
        self.border_title = f"Preflight · {self.counter()}" if hosts else "Preflight"
        self.set_class(self.compact, "-compact")
        if self.compact:
            self._redraw_compact(table, hosts)
            self.call_after_refresh(self._fit_compact_height)
            return
        self._set_text("#preflight-detail", Text())
        if (hosts, names) != self._drawn:
            self._reshape(table, hosts, names)
        for host in hosts:
            for name in names:
                cell = self._cell(host, name)
                if self._shown.get((host, name)) != cell:
                    wider = len(cell[0]) > len(self._shown.get((host, name), ("",))[0])
                    self._shown[(host, name)] = cell
                    table.update_cell(host, name, Text(*cell), update_width=wider)  # a failure is spelled out
        self._set_text("#preflight-reasons", self._reasons_text())

    def _compact_cells(self, host: str) -> tuple[tuple[str, str], tuple[str, str]]:
        word = _WORD.get(self.worst(host), ("·", "dim"))
        names = self.names
        problems = ", ".join(column_label(n, names) for n, _lv, _r in self.not_ok(host))
        return word, (problems, word[1] if problems else "")

    def _redraw_compact(self, table: DataTable, hosts: list[str]) -> None:
        """Host, verdict and the checks that did not pass, one row per host; a rebuild only when the rows' order
        changes (a host's worst level changed), else only the cells that changed."""
        if self._drawn != (hosts, ["\0compact"]):
            self.rebuilds += 1
            row = table.cursor_row
            table.clear(columns=True)
            table.cursor_type, table.header_height = "row", 1
            table.add_column("host", key=_HOST_COLUMN)
            for key, label in _COMPACT:
                table.add_column(label, key=key)
            self._shown = {}
            self._compact_shown = {}
            for host in hosts:
                cells = self._compact_cells(host)
                self._compact_shown[host] = cells
                table.add_row(Text(host, style="bold"), *(Text(*c) for c in cells), key=host)
            self._drawn = (hosts, ["\0compact"])
            if table.row_count and row:
                table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        else:
            for host in hosts:
                cells = self._compact_cells(host)
                if self._compact_shown.get(host) != cells:
                    self._compact_shown[host] = cells
                    for (key, _label), cell in zip(_COMPACT, cells):
                        table.update_cell(host, key, Text(*cell), update_width=True)
        self._show_detail(table)

    def _show_detail(self, table: DataTable) -> None:
        """The selected row's checks that did not pass, each with its reason (compact table)."""
        if not table.row_count:
            self._set_text("#preflight-detail", Text())
            return
        host = str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value or "")
        text = Text(f"{host}: ", style="bold")
        problems = self.not_ok(host)
        if not problems:
            text.append("every check passed" if self.worst(host) else "no answer yet")
        for i, (name, level, reason) in enumerate(problems):
            label, style = _CELL.get(level, ("·", "dim"))
            text.append(("; " if i else "") + f"{label} {name}: ", style=style)
            text.append(reason)
        self._set_text("#preflight-detail", text)

    def _cell(self, host: str, name: str) -> tuple[str, str]:
        level, _ = self.checks.get((host, name), ("", ""))
        return _GRID_CELL.get(level, ("·", "dim"))

    def _reshape(self, table: DataTable, hosts: list[str], names: list[str]) -> None:
        """Bring the table's rows and columns to ``hosts`` and ``names`` in place: a new check's column and a new
        host's row are added, rows that moved are re-sorted; only the new cells are measured (a rebuild measured and
        drew every cell again: 50-88 ms of the UI thread behind a key with 50 hosts). Rebuilt only after
        :meth:`clear`. The cells whose level changed are updated by :meth:`redraw`."""
        drawn_hosts, drawn_names = self._drawn or ([], [])
        relabelled = any(column_label(n, names) != column_label(n, drawn_names) for n in drawn_names)
        if (self._drawn is None or names[:len(drawn_names)] != drawn_names or not set(drawn_hosts) <= set(hosts)
                or relabelled):  # a second "disk <path>" check: the first one's header names its path now
            self._rebuild(table, hosts, names)
            return
        blank = self._cell("", "")
        for name in names[len(drawn_names):]:  # checks only arrive: a new one is the last column
            table.add_column(column_label(name, names), key=name, default=Text(*blank))
            self._shown.update(((host, name), blank) for host in drawn_hosts)
        known = set(drawn_hosts)
        for host in hosts:
            if host not in known:
                self._shown.update(((host, n), blank) for n in names)
                table.add_row(Text(host, style="bold"), *(Text(*blank) for _ in names), key=host)
        if [str(key.value) for key in (row.key for row in table.ordered_rows)] != hosts:
            position = {host: i for i, host in enumerate(hosts)}
            table.sort(_HOST_COLUMN, key=lambda label: position[label.plain])
        self._drawn = (hosts, names)

    def _rebuild(self, table: DataTable, hosts: list[str], names: list[str]) -> None:
        """The whole table again, from :attr:`checks` (the first draw after :meth:`clear`)."""
        self.rebuilds += 1
        cursor = table.cursor_coordinate
        table.clear(columns=True)
        table.cursor_type, table.header_height = "cell", 1
        table.add_column("host", key=_HOST_COLUMN)
        for name in names:
            table.add_column(column_label(name, names), key=name)
        self._shown = {(h, n): self._cell(h, n) for h in hosts for n in names}
        for host in hosts:
            table.add_row(Text(host, style="bold"), *(Text(*self._shown[(host, n)]) for n in names), key=host)
        self._drawn = (hosts, names)
        if table.row_count and cursor.row:
            table.move_cursor(row=min(cursor.row, table.row_count - 1), column=cursor.column, animate=False)

    def _set_text(self, selector: str, text: Text) -> None:
        """Update a Static only when its text changed (each update lays the screen out again)."""
        shown = (text.plain, list(text.spans))
        if self._texts.get(selector) != shown:
            self._texts[selector] = shown
            self.query_one(selector, Static).update(text)

    def _cluster_text(self) -> Text:
        text = Text()
        cluster = [(name, lv, reason) for (host, name), (lv, reason) in self.checks.items() if not host]
        if cluster:
            text.append("Cluster advice: ", style="bold")
        passed = [name for name, level, _ in cluster if level == OK]
        if passed and self.compact:  # a count, and the problems' names: their reasons are under the table
            text.append(f"✔ {len(passed)} ok", style="green")
            for name, level, _reason in cluster:
                if level != OK:
                    label, style = _CELL.get(level, ("·", "dim"))
                    text.append(f" · {label} {name}", style=style)
            return text
        if passed:  # one line for what passed: only warnings and failures need their reason on screen
            text.append(f"✔ ok: {', '.join(passed)}", style="green")
        for name, level, reason in cluster:
            if level == OK:
                continue
            label, style = _CELL.get(level, ("·", "dim"))
            text.append(f"\n  {label} {name}: ", style=style)
            text.append(reason)
        return text

    def _reasons_text(self) -> Text:
        text = Text()
        problems = sorted(((host, name, lv, reason) for (host, name), (lv, reason) in self.checks.items()
                           if (host or self.compact) and lv != OK), key=lambda p: _RANK.get(p[2], 3))
        for host, name, level, reason in problems:
            label, style = _CELL.get(level, ("·", "dim"))
            text.append(f"{label} {host or 'cluster'} {name}: ", style=style)
            text.append(f"{reason}\n")
        return text

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Compact table: the selected row's reasons under it."""
        if self.compact:
            self._show_detail(event.data_table)

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        """Show the highlighted cell's reason (ok checks too) in the border subtitle."""
        host = str(event.cell_key.row_key.value or "")
        column = event.coordinate.column
        names = self.names
        if column == 0 or column > len(names):
            self.border_subtitle = host
            return
        name = names[column - 1]
        level, reason = self.checks.get((host, name), ("", ""))
        self.border_subtitle = f"{host} {name}: {reason}" if reason else ""
