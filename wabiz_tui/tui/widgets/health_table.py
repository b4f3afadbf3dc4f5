"""The health panel: expected versus actual state of every node, and the cluster verdict in words.

The table's columns come by priority, left to right: host, a short status word, role and ``gateway_status``
each as one "expected → actual" cell, then the reason (cut to the room left) and the container. At 80
columns the first four fit and the reason has no column (a few characters of it told nothing), nor the container
that ranks below it: the detail panel under the table (:class:`~.node_detail.NodeDetail`) gives the selected row in full, reason first.
What does not fit is reached with the right arrow, a whole column per press (Home/End: the first/last), the Host column
pinned at the left edge. The widths are set here from the cells (not left to DataTable's measuring, done when it is idle:
after live resizes in a terminal the columns stayed at their labels' widths, ``wa-m  ✔ ok   master → prima``) and
checked again on every resize and every answer. Rows come problems
first, then the primary master, Masters, Webapps and Coreapps, hosts in natural order
(``wa-core-2`` before ``wa-core-10``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey

from ...domain.versions import version_of
from .node_detail import LEVEL_STYLE, LEVEL_WORD, NodeDetail, NodeRow
from .scrollbars import WholeCellScrollbars

__all__ = ["COLUMNS", "LEVEL_STYLE", "HealthPanel", "NodeRow", "NodeTable", "column_spans", "natural_key", "rows_for",
           "sort_rows"]

#: (key, label) of the columns, in priority order: the first ones are on screen at 80 columns.
#: The status label is the field's name alone: "exp → act" once, in the role's label beside it, keeps the column as
#: narrow as its cells (beside the wizard's step list at 80 columns the longer label pushed it off screen).
#: The version column (after gateway_status) is on screen only while a node runs another version than the profile's,
#: and only with room left once the reason has its own (:meth:`HealthPanel._columns`).
COLUMNS = (("host", "Host"), ("state", "State"), ("role", "Role exp → act"),
           ("status", "gateway_status"), ("version", "Version"), ("reason", "Reason"), ("container", "Container"))
#: Longest host name shown whole in the table (the detail panel always has it whole).
HOST_MAX = 24
#: The reason column gets the room left on screen, within these bounds (characters); with less room than
#: ``REASON_MIN`` it has no column (the detail panel gives it).
REASON_MIN, REASON_MAX = 20, 100
#: The reason's width from which the container column is kept on screen after it rather than cut.
REASON_ROOMY = 40
#: Columns that are never cut, and the cell padding DataTable adds around each (1 each side).
CELL_PADDING = 2

#: The field's long texts (``domain.health``) and the short words of the table's cells.
SHORT_ROLE = {"primary_master or secondary_master": "master", "primary_master": "primary",
              "secondary_master": "secondary", "not in the plan": "unplanned"}
SHORT_STATUS = {"unregistered (error 1011 while starting)": "unreg", "connected or disconnected": "conn|disc",
                "connected (shard owner) or disconnected (standby)": "conn|disc", "disconnected": "disc",
                "connected": "conn", "unregistered": "unreg", "-": "—", "answers /v1/health": "API"}
#: The order of the rows that are not problems: primary master, Masters, Webapps, Coreapps, the rest.
KIND_ORDER = {"primary": 0, "master": 1, "webapp": 2, "coreapp": 3, "other": 4}
#: Problems first, the worst first.
PROBLEM_ORDER = {"failure": 0, "warning": 1, "waiting": 2}

_DIGITS = re.compile(r"(\d+)")
_ERROR = re.compile(r"^error (\d+)\b")


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key in which the numbers of ``text`` compare as numbers: ``wa-core-2`` < ``wa-core-10``."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in _DIGITS.split(text))


def _level(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _kind(node: Any) -> str:
    expected = node.expected_role or ""
    if expected.startswith("primary_master") or expected in ("master", "primary master"):
        return "master"
    if expected == "coreapp":
        return "coreapp"
    return "other"


def rows_for(verdict: Any, webapps: Sequence[str] = (), polled_host: str | Sequence[str] = "",
             url: str = "") -> list[NodeRow]:
    """The table's rows for ``verdict`` (a ``domain.health.ClusterVerdict``) plus one per Webapp host of the
    plan (``webapps``, EXTERNAL_HOSTNAMEs). ``/v1/health`` lists Masters and Coreapps only, so a Webapp row
    says only what the poll proves: ``polled_host`` (the host, or the hosts sharing the address, of the API URL
    ``url``) answered; the others were not polled. Several hosts behind one address (the demo's loopback, a host
    with several Webapps) answer as one: the row says the URL answered through that address, not which one."""
    polled = (polled_host,) if isinstance(polled_host, str) else tuple(polled_host)
    polled = tuple(h for h in polled if h)
    rows = [NodeRow(n.host, n.container_id if n.container_id not in ("", "-") else "—", _kind(n), n.expected_role or "—", n.actual_role or "—",
                    n.expected_status or "—", n.actual_status or "—", _level(n.level), n.reason or "",
                    getattr(n, "version", ""), getattr(n, "version_action", ""))
            for n in verdict.nodes]
    shared = f" (the address of the API URL {url}, which {', '.join(polled)} share)" if len(polled) > 1 else ""
    versions = {host: (text, why, action) for host, text, why, action in getattr(verdict, "webapp_versions", ())}
    for host in webapps:
        version, differs, action = versions.get(host, ("", "", ""))
        if host in polled:
            row = NodeRow(host, "—", "webapp", "webapp", "webapp", "answers /v1/health", "answered",
                          "ok", f"the Webapp answered this poll of /v1/health{shared}", version)
        else:
            row = NodeRow(host, "—", "webapp", "webapp", "?", "answers /v1/health", "not polled",
                          "unknown", "not polled: the monitor asks the API URL of the profile only "
                          "(a load balancer or another Webapp)", version)
        rows.append(replace(row, level="warning", reason=f"{differs} ({row.reason})", version_action=action)
                    if differs else row)
    return rows


def sort_rows(rows: Iterable[NodeRow]) -> list[NodeRow]:
    """``rows`` problems first (failures, warnings, waiting), then the primary master, Masters, Webapps,
    Coreapps; within each group hosts in natural order."""
    def key(row: NodeRow) -> tuple[Any, ...]:
        """``row``'s key: (group: 0, 1, 2 for a failure, warning, waiting row, else 3 + its kind's
        :data:`KIND_ORDER`; that rank; the host in natural order; the container). The primary master is a kind of its
        own; a Webapp "not polled" counts as ``other`` (last)."""
        kind = "primary" if row.actual_role == "primary_master" else row.kind
        if row.kind == "webapp" and row.actual_status == "not polled":
            kind = "other"  # rows that prove nothing come last: at 80x24 they hid every Coreapp (trial s8 M5)
        group = PROBLEM_ORDER.get(row.level, 3 + KIND_ORDER.get(kind, 4))
        return (group, KIND_ORDER.get(kind, 4), natural_key(row.host), row.container)

    return sorted(rows, key=key)


def _short(text: str, table: dict[str, str]) -> str:
    if text in table:
        return table[text]
    m = _ERROR.match(text)
    return f"err {m.group(1)}" if m else text


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _pair(expected: str, actual: str, table: dict[str, str], style: str, arrow: str = " → ") -> Text:
    return Text.assemble(_short(expected, table), arrow, (_short(actual, table), style))


@lru_cache(maxsize=4096)
def _cells(row: NodeRow, compact: bool = False, signs: bool = False) -> dict[str, Any]:
    """The cells of ``row`` (the reason whole): cached, as most rows are the same from one poll to the next
    (a 37-row answer took 9 ms per poll to redraw without it). The dict is shared: never changed in place.
    ``compact``: arrows without spaces; ``signs``: the state as its sign alone (``◦`` for ``◦ standby``), only when
    the four first columns would not fit whole otherwise (the detail panel and the legend under the table then give
    the state in words)."""
    style = LEVEL_STYLE.get(row.level, "")
    mismatch = row.level in ("failure", "warning")
    word = LEVEL_WORD.get(row.level, row.level)
    arrow = "→" if compact else " → "
    return {"host": _cut(row.host, HOST_MAX),
            "state": Text(word.split(" ", 1)[0] if signs else word, style=style),
            "role": _pair(row.expected_role, row.actual_role, SHORT_ROLE, style if mismatch else "", arrow),
            "status": _pair(row.expected_status, row.actual_status, SHORT_STATUS, style if mismatch else "bold", arrow),
            "version": Text(row.version if version_of(row.version) else "?",
                            style=style if row.reason.startswith("runs v") else "" if row.version else "dim"),
            "reason": row.reason,
            "container": row.container}


def column_spans(table: DataTable) -> list[tuple[int, int]]:
    """Each column's ``[start, end)`` in ``table``'s virtual width (characters), in column order."""
    spans, x = [], 0
    for column in table.ordered_columns:
        width = column.get_render_width(table)
        spans.append((x, x + width))
        x += width
    return spans


def _text_width(value: Any) -> int:
    return cell_len(value.plain if isinstance(value, Text) else str(value))


class NodeTable(WholeCellScrollbars, DataTable):
    """The node table: a row cursor, the Host column pinned, and the arrows scroll sideways by whole columns; its
    scroll bars in whole cells (:mod:`.scrollbars`: no eighth block left at a thumb's end without colour).

    Textual's row-cursor table scrolls one character per → (about 40 presses to reach the container
    column at 120 columns). Here → brings the first column cut or hidden on the right fully on screen, ←
    the one on the left; Home and End (Textual's) go to the first and the last column. With fixed columns,
    DataTable draws the virtual range ``[scroll_x + fixed width, scroll_x + width)`` of the others right of
    them (``_render_line_in_row`` of Textual 8.2).
    """

    class RoomChanged(Message):
        """The columns' room changed without a resize: the vertical scroll bar came or went (the rows' count)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_columns = 1  # the host stays on screen while the others scroll

    def watch_show_vertical_scrollbar(self, _shown: bool) -> None:
        # the columns were fitted to the room beside the bar: after a bar went away (fewer rows) the container column
        # showed its first character at the right edge ("C", "a", fb trial), with a new bar the reason's end was hidden
        self.post_message(self.RoomChanged())

    def relabel(self, key: str, label: str) -> None:
        """Give column ``key`` the header ``label`` and draw it. Textual's DataTable keys its drawn lines on a count
        of changes that a new label does not move (Textual 8.2.8): the old label stayed after a mouse-wheel scroll
        (the rows' count in the Host header on short screens; s11 review), so the caches are cleared."""
        column = self.columns.get(ColumnKey(key))
        if column is None or str(column.label) == label:
            return
        column.label = Text(label)
        self._clear_caches()
        self.refresh()

    def keep_cursor_in_view(self) -> None:
        """Scroll the cursor's row into view (after the table's height changed under it)."""
        if self.row_count:
            self._scroll_cursor_into_view()

    def _fixed_width(self) -> int:
        return sum(c.get_render_width(self) for c in self.ordered_columns[: self.fixed_columns])

    def action_cursor_right(self) -> None:
        left = self.scroll_x
        right = left + self.scrollable_content_region.width
        cut = next(((a, b) for a, b in column_spans(self) if b > right), None)
        if cut is None:
            return
        self.scroll_to(x=min(self.max_scroll_x, max(left + 1, cut[1] - (right - left))), animate=False)

    def action_cursor_left(self) -> None:
        left = self.scroll_x + self._fixed_width()
        cut = [a for a, _b in column_spans(self)[self.fixed_columns:] if a < left]
        if cut:
            self.scroll_to(x=max(0, cut[-1] - self._fixed_width()), animate=False)


class HealthPanel(Vertical):
    """The cluster verdict, a table of nodes (one row each, updated in place), the selected node in full,
    then the next action.

    ``show_verdict`` takes a ``domain.health.ClusterVerdict``. Rows are keyed by host and planned role, so
    a new answer only changes the cells that moved and the cursor stays on its node. The Webapps of the
    app's profile get rows of their own (``/v1/health`` does not list them). ``actions``: the detail panel
    names the keys of the node actions (the monitor's). ``fill``: the table takes the height left in its
    scrolled body (:attr:`fill`).
    """

    # not scoped: the short-screen rule starts at the Screen
    SCOPED_CSS: ClassVar[bool] = False
    DEFAULT_CSS: ClassVar[str] = """
    HealthPanel DataTable { max-height: 60vh; scrollbar-size-horizontal: 1; }
    HealthPanel .node-detail { height: auto; }
    HealthPanel .health-rows { height: 1; display: none; }
    Screen.-short HealthPanel .node-detail-more { display: none; }
    """

    #: Below 34 rows (``Screen.-short``): the table never goes below a header and three rows (the problems come first).
    SHORT_TABLE_MIN: ClassVar[int] = 4

    def __init__(self, *, actions: bool = False, short_share: int = 13, fill: bool = True, **kwargs: Any) -> None:
        super().__init__(classes="health-panel", **kwargs)
        #: the table takes the height its scrolled body leaves (:meth:`_fit_table`); False where the panel has a
        #: height of its own beside other content in that body (the upgrade screen's: the room left there was
        #: negative and the table shrank to three nodes)
        self.fill = fill
        #: below 34 rows, the lines the table and the detail's reason and next action share: the table gives the
        #: detail the lines its wrapped text needs (at 80×24 a fixed 3-line detail cut the reason, s7 trial); the
        #: CSS max-height stays the cap. The monitor, with its summary and timeline, passes fewer.
        self.short_share = short_share
        self.verdict: Any = None
        self.actions = actions
        #: the rows on display, in table order
        self.rows: list[NodeRow] = []
        self._cells: list[dict[str, Any]] = []
        self._reason_width = -1  # none yet: the first rows choose the columns
        self._fitted_room = -1  # the room (characters) the columns were fitted to
        self._hint = ""  # the row hint's text (:meth:`_show_row_count`)

    def compose(self) -> ComposeResult:
        yield Static("No health answer yet: run the step (ctrl+r).", classes="health-headline")
        # the rows come right under the verdict: "look at the rows in red" must point at something visible
        table = NodeTable(cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS[:4] + COLUMNS[5:]:  # the version column only while versions differ
            table.add_column(label, key=key)
        yield table
        yield Static("", classes="health-rows")
        yield NodeDetail(actions=self.actions)
        yield Static("", classes="health-next")
        yield Static("", classes="health-summary")

    @property
    def table(self) -> NodeTable:
        """The node table."""
        return self.query_one(NodeTable)

    @property
    def detail(self) -> NodeDetail:
        """The detail panel of the selected row."""
        return self.query_one(NodeDetail)

    @property
    def selected(self) -> NodeRow | None:
        """The row under the cursor (None when the table is empty)."""
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key((min(table.cursor_row, table.row_count - 1), 0))
        return next((r for r in self.rows if r.key == row_key.value), None)

    def on_mount(self) -> None:
        self.watch(self.table, "scroll_y", lambda _y: self._show_row_count(), init=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted node in full under the table (its long cells may be cut or off-screen)."""
        key = event.row_key.value if event.row_key is not None else None
        self.detail.show(next((r for r in self.rows if r.key == key), None))
        self._share_short_screen()

    def on_resize(self, _event: events.Resize) -> None:
        if self.rows:
            self._update_rows(self.rows)  # rebuilds when the fitted widths changed
        self._share_short_screen()

    def on_node_table_room_changed(self, event: NodeTable.RoomChanged) -> None:
        """Fit the columns again to the table's new room (:class:`NodeTable.RoomChanged`)."""
        event.stop()
        if self.rows and self._drawn_room() != self._fitted_room:
            self._update_rows(self.rows)

    def _share_short_screen(self) -> None:
        """Fit the table's height now and after the next layout (the detail's and the hint's heights are known
        then)."""
        self._fit_table()
        self.call_after_refresh(self._fit_table)

    def _fit_table(self) -> None:
        """The table as tall as the room its screen leaves under the panel's other lines: the scrolled body's
        height less its other widgets and the verdict, row hint, detail and next action (issue 17: step 9 at
        200x50 showed 18 of 50 rows over 12 empty lines). On a short screen (below 34 rows) it is instead capped so
        that the selected node's reason and next action (wrapped to the panel's width) and the row hint fit in
        ``short_share`` lines with it (at 80×24 a fixed 3-line detail cut the reason, s7 trial); never below
        :attr:`SHORT_TABLE_MIN` lines. Then the row hint is brought up to date."""
        if not self.is_mounted:
            return
        table = self.table
        hint = 1 if self.query_one(".health-rows", Static).display else 0
        if self.screen.has_class("-short"):
            width = max(20, self.size.width or self.app.size.width)
            why = self.detail.why_text
            lines = len(why.wrap(self.app.console, width)) if why.plain else 0
            room: int | None = self.short_share - lines - hint
        else:
            room = None
            body = next((a for a in self.ancestors if isinstance(a, ScrollableContainer)), None) if self.fill else None
            if body is not None and body.size.height and self.size.height:
                inside = next((c for c in body.children if c is self or self in c.ancestors), self)
                around = sum(c.outer_size.height for c in body.children if c is not inside and c.display)
                own = sum(c.outer_size.height for c in self.children if c is not table and c.display)
                room = body.scrollable_content_region.height - around - own - table.styles.margin.top
        height = max(self.SHORT_TABLE_MIN, room) if room is not None else None
        if (table.styles.max_height.value if table.styles.max_height is not None else None) != height:
            table.styles.max_height = height
            self.call_after_refresh(table.keep_cursor_in_view)  # a shorter table had left the cursor's row below it
        self._show_row_count()

    def _show_row_count(self) -> None:
        """The line under the table: which rows are on screen when not all of them are (``nodes 1-5 of 7 shown · ↓
        for the rest``; at 80x24 wa-core-3 appeared only after a press of ↓ with no sign that it was there, issue 17),
        and what the state signs mean while the State column shows signs alone. On a short screen the rows' count
        is the Host column's header instead (``1-3/7↓``), as it has no line to spare."""
        table = self.table
        hint = self.query_one(".health-rows", Static)
        total = table.row_count
        shown = max(0, table.scrollable_content_region.height - table.header_height)
        first = min(total, int(table.scroll_y) + 1)
        last = min(total, int(table.scroll_y) + shown)
        parts, label = [], "Host"
        if table.size.height and total and (first > 1 or last < total):
            if self.screen.has_class("-short"):  # no line to spare (the reason and next action need them): the header
                label = f"{first}-{last}/{total}{'↓' if last < total else '↑'}"
            else:
                more = " · ↓ for the rest" if last < total else " · ↑ for the first"
                parts.append(f"nodes {first}-{last} of {total} shown{more}")
        table.relabel("host", label)
        signs = {r.level for r, c in zip(self.rows, self._cells) if c["state"].plain != LEVEL_WORD.get(r.level, "")}
        if signs:
            parts.append(" · ".join(LEVEL_WORD[lv] for lv in LEVEL_WORD if lv in signs))
        said = "  ·  ".join(parts)
        if said != self._hint:
            self._hint = said
            hint.update(Text(said, style="dim"))
            hint.display = bool(parts)

    def _room(self) -> int:
        """The table's room for choosing its columns: its width less a vertical scroll bar's, shown or not, so that the
        columns chosen do not change when the bar comes or goes with the rows' count (a column that came with 2 more
        characters brought a horizontal bar, hence a vertical one, and went again). :meth:`_edge` fits the columns to
        the room actually drawn."""
        table = self.table
        if not table.size.width:
            return (self.size.width or self.app.size.width) - 2
        # likewise the scrolled body's bar on a short screen, where the body scrolls to the detail under the table or
        # not depending on the lines around it: step 9 showed ``◦`` where step 7 said ``◦ standby`` (issue 17); on
        # taller screens the table is fitted to the body's room (:meth:`_fit_table`), so the body does not scroll
        body = next((a for a in self.ancestors if isinstance(a, ScrollableContainer)), None)
        bar = (body.styles.scrollbar_size_vertical if body is not None and not body.show_vertical_scrollbar
               and self.screen.has_class("-short") else 0)
        return table.size.width - table.styles.scrollbar_size_vertical - bar

    def _drawn_room(self) -> int:
        """The room the table draws its columns in now (without the vertical scroll bar when it shows one)."""
        table = self.table
        return table.scrollable_content_region.width if table.size.width else self._room()

    def _edge(self, keys: list[str], widths: dict[str, int]) -> dict[str, int]:
        """``widths`` (content widths of the columns ``keys``) with the column before one that would be cut at the
        drawn room's right edge widened to push it off screen, whole, to the right arrow: a column showing one
        character ("C", "d", "7": the container's, fb trial at 120 columns) or two told nothing."""
        room, x = self._drawn_room(), 0
        for i, key in enumerate(keys):
            end = x + widths[key] + CELL_PADDING
            if x < room < end and i > 1:
                return {**widths, keys[i - 1]: widths[keys[i - 1]] + room - x}
            x = end
        return widths

    def _row_cells(self, rows: list[NodeRow]) -> list[dict[str, Any]]:
        """Each row's cells (:func:`_cells`): the first of whole, compact arrows, then signs for the state, that
        leaves the reason a column (by priority: a ``◦ standby`` state widened State and the reason vanished with
        ~20 columns free, trial s8 C1), else the first whose four first columns fit whole. The state keeps its word
        (``◦ standby``) wherever it fits: step 9 showed a bare ``◦`` where step 7 said ``◦ standby`` (issue 17)."""
        tiers = [[_cells(r, compact, signs) for r in rows] for compact, signs in ((False, False), (True, False),
                                                                                  (True, True))]
        fitting = [cells for cells in tiers if sum(w + CELL_PADDING for key, w in self._content_widths(cells).items()
                                                   if key in ("host", "state", "role", "status")) <= self._room()]
        return next((cells for cells in fitting if self._fit_reason(cells)), fitting[0] if fitting else tiers[-1])

    def _fit_reason(self, cells: list[dict[str, Any]], version: bool = False) -> int:
        """The reason column's width: the room the columns before it (``cells``: each row's; ``version``: with the
        version column) leave on screen, within bounds."""
        width = self._room()
        used = CELL_PADDING  # the reason's padding
        widths = {key: w + CELL_PADDING for key, w in self._content_widths(cells).items()
                  if key != "reason" and (version or key != "version")}
        used += sum(w for key, w in widths.items() if key != "container")
        if width - used < REASON_MIN:
            return 0  # no reason column: the detail panel gives it
        if width - used - widths["container"] >= REASON_ROOMY:  # the container too, when the reason keeps room
            used += widths["container"]
        return min(REASON_MAX, width - used)

    def _columns(self, cells: list[dict[str, Any]]) -> tuple[int, bool]:
        """(the reason's width, whether the version column is on screen). The version column is shown only while
        versions differ (``ClusterVerdict.versions_differ``), and ranks below the reason: it takes room the reason
        keeps its least width without, or the room left at the right of the four first columns when the reason has
        no column anyway (80 columns); the detail panel always gives the selected node's version."""
        width = self._fit_reason(cells)
        if not getattr(self.verdict, "versions_differ", False):
            return width, False
        if width:
            narrower = self._fit_reason(cells, version=True)
            return (narrower, True) if narrower else (width, False)
        widths = self._content_widths(cells)
        needed = sum(widths[key] + CELL_PADDING for key in ("host", "state", "role", "status", "version"))
        return 0, needed <= self._room()

    @staticmethod
    def _content_widths(cells: list[dict[str, Any]]) -> dict[str, int]:
        """Each column's content width (characters, without padding): its label or its widest cell."""
        return {key: max([cell_len(label)] + [_text_width(c[key]) for c in cells]) for key, label in COLUMNS}

    def _webapps(self) -> tuple[tuple[str, ...], tuple[str, ...], str]:
        """The profile's Webapp hosts, the ones whose address the API URL names (by name or SSH address: with every
        host on 127.0.0.1 all of them; trial s8 M5) and the URL."""
        profile = getattr(self.app, "profile", None)
        if profile is None:
            return (), (), ""
        from ...domain.model import Role

        hosts = tuple(profile.hosts_with(Role.WEBAPP))
        url = getattr(profile.webapp, "url", "") or ""
        url_host = urlsplit(url).hostname or ""
        by_name = [h.external_hostname for h in hosts if url_host == h.external_hostname]
        polled = by_name or [h.external_hostname for h in hosts if url_host and url_host == h.ssh.host]
        return tuple(h.external_hostname for h in hosts), tuple(polled), url

    def show_verdict(self, verdict: Any) -> None:
        """Display ``verdict``: headline, next action, counts and one row per node."""
        self.verdict = verdict
        level = _level(verdict.level)
        style = LEVEL_STYLE.get(level, "")
        headline = self.query_one(".health-headline", Static)
        headline.update(Text.assemble((f" {level.upper()} ", f"reverse {style}"), "  ", (verdict.headline, style)))
        nxt = verdict.next_action or "nothing to do"
        problems = "".join(f"\n  • {p}" for p in verdict.problems)
        self.query_one(".health-next", Static).update(Text(f"Next action: {nxt}{problems}"))
        self.query_one(".health-summary", Static).update(Text(
            f"shards served {verdict.shards_served}/{verdict.shards_expected} · standby coreapps "
            f"{verdict.standby} · primary master {verdict.primary_master or 'none'}", style="dim"))
        webapps, polled, url = self._webapps()
        self.detail.read_at = getattr(verdict, "versions_read_at", 0.0)
        self._update_rows(sort_rows(rows_for(verdict, webapps, polled, url)))

    def show_not_installed(self, notice: str) -> None:
        """The cluster is not installed (``notice``: ``workflows.monitor.PollResult.notice``, e.g. "not installed
        (uninstalled at 15:07)"): the rows of the last answer become "removed" rows saying so, with no verdict of a
        poll that did not happen (s7 trial: after F9 the rows still said ``✔ ok``, "the Webapp answered this poll")."""
        headline = self.query_one(".health-headline", Static)
        headline.update(Text.assemble((" NOT INSTALLED ", "reverse bold"), "  ", (notice, "bold")))
        self.query_one(".health-next", Static).update(Text(
            "Next action: nothing to do (uninstalled on purpose: no alerts); the wizard (F2) installs it again"))
        self.query_one(".health-summary", Static).update(Text(f"{notice} · not polled", style="dim"))
        removed = [NodeRow(r.host, "—", r.kind, r.expected_role, "—", r.expected_status, "removed", "removed", notice)
                   for r in self.rows]
        self._update_rows(sort_rows(removed))

    def _update_rows(self, rows: list[NodeRow], *, rebuild: bool = False) -> None:
        table = self.table
        selected = self.selected
        order_changed = [r.key for r in rows] != [r.key for r in self.rows]
        before = {r.key: r.level for r in self.rows}
        # a row that turned into a problem (or came as one into a table already shown) is brought into view
        worse = [r.key for r in rows if r.level in PROBLEM_ORDER and self.rows
                 and PROBLEM_ORDER.get(before.get(r.key, ""), 9) > PROBLEM_ORDER[r.level]]
        self.rows = rows
        self._fitted_room = self._drawn_room()
        self._cells = self._row_cells(rows)
        width, version = self._columns(self._cells)
        self._reason_width = width
        # the reason ranks above the container: with no room for the reason, no container column either (a bare
        # container id where the reason should be read as the answer, s7 trial at 120 columns); the detail gives both
        keys = [key for key, _label in COLUMNS if (width or key not in ("reason", "container"))
                and (version or key != "version")]
        fitted = self._content_widths(self._cells)
        if width:
            fitted["reason"] = min(fitted["reason"], width)
        fitted = self._edge(keys, fitted)
        rebuild = rebuild or [(c.key.value, c.width, c.auto_width) for c in table.ordered_columns] != [
            (key, fitted[key], False) for key in keys]
        wanted = {r.key: {k: (_cut(r.reason, fitted["reason"]) if k == "reason" else cells[k]) for k in keys}
                  for r, cells in zip(rows, self._cells)}
        with self.app.batch_update():
            if rebuild:
                table.clear(columns=True)
                for key, label in COLUMNS:
                    if key in keys:
                        table.add_column(label, key=key, width=fitted[key])
            for row_key in list(table.rows):
                if row_key.value not in wanted:
                    table.remove_row(row_key)
            for key, cells in wanted.items():
                if key in table.rows:
                    for column, value in cells.items():
                        if table.get_cell(key, column) != value:
                            table.update_cell(key, column, value)  # widths: set above
                else:
                    table.add_row(*cells.values(), key=key)
            if order_changed or rebuild:
                # DataTable cannot move a row, but sorts: each row's own status cell object gives its rank
                rank = {id(table.get_cell(key, "state")): i for i, key in enumerate(wanted)}
                table.sort("state", key=lambda cell: rank[id(cell)])
                if selected is not None and selected.key in wanted:  # the cursor follows its node
                    index = table.get_row_index(selected.key)
                    if index != table.cursor_row:
                        table.move_cursor(row=index, animate=False, scroll=not worse)
            if worse:  # failures first: the new one is at the top, where a scrolled table hid it (issue 17)
                first = min(table.get_row_index(key) for key in worse)
                if first < table.scroll_y:
                    table.scroll_to(y=first, animate=False, immediate=True)
        now = self.selected
        if now != self.detail.row:
            self.detail.show(now)
        self._share_short_screen()
