"""The fleet view: every cluster one row, polled live (``workflows.fleet.FleetWatch``); Enter opens one.

Clusters as contexts, as in k9s: the rows say which cluster needs a look (verdict, shards served, standby
Coreapps, failures tolerated now/planned, version, last answer), Enter hands the chosen cluster to the host
(``open_cluster``: the fleet app leaves for that cluster's monitor, ``tui/fleet_run.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Callable, ClassVar, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from ..widgets.key_footer import KeyFooter
from ...workflows.fleet import FleetMember, FleetWatch, answer_text, fleet_row
from ...workflows.observe import Observation

#: (column key, heading) in order; the answer column takes what width is left
COLUMNS = (("cluster", "Cluster"), ("verdict", "Verdict"), ("shards", "Shards"), ("standby", "Standby"),
           ("tolerated", "Tolerated"), ("version", "Version"), ("answer", "Last answer"))
#: how each verdict word is drawn (a word and a colour: readable without colour too)
VERDICT_STYLE = {"healthy": "bold green", "degraded": "bold yellow", "failing": "bold red", "unknown": "bold magenta",
                 "waiting": "dim", "not_installed": "dim"}
#: the order of the summary's counts, the worst first
ORDER = ("failing", "degraded", "unknown", "waiting", "healthy", "not_installed")


class FleetScreen(Screen):
    """One row per member, each updated when its cluster answers, and the answer ages every second.

    ``interval`` and ``timeout`` are seconds (between two polls of a cluster; the most one poll may take);
    ``monitors`` (tests) are handed to :class:`FleetWatch`; ``selected`` is the label of the row the cursor
    starts on (the cluster just left); ``open_cluster(member)`` is called on Enter for a member whose profile
    could be read. ``back`` (the name of the cluster on screen, when the view is opened over its screens with
    ctrl+k) adds Escape: back where the user was.
    """

    DEFAULT_CSS = """
    FleetScreen #fleet-title { padding: 0 1; }
    FleetScreen #fleet-summary { padding: 0 1; }
    FleetScreen #fleet-table { height: 1fr; }
    FleetScreen #fleet-detail { padding: 0 1; height: auto; max-height: 6; }
    """

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("enter", "open", "Open cluster", show=True, priority=True),
        Binding("r", "poll_now", "Poll now"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, members: Sequence[FleetMember], *, interval: float, timeout: float,
                 open_cluster: Callable[[FleetMember], None], monitors=None, selected: str | None = None,
                 back: str | None = None) -> None:
        super().__init__(name="fleet", id="fleet")
        self.members = list(members)
        self.watch = FleetWatch(self.members, interval=interval, timeout=timeout, monitors=monitors)
        self.open_cluster = open_cluster
        self.selected = selected
        self.back = back
        self.updates = 0
        self._stop = asyncio.Event()
        self._watch_task: asyncio.Task | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True)
        keys = (f" · Enter opens one, Esc goes back to {self.back}" if self.back is not None
                else " · Enter opens one, ctrl+k there comes back")
        yield Static(Text.assemble(("Clusters", "bold"), f" · {len(self.members)} cluster(s) · polled every "
                                   f"{self.watch.interval:g} s, at most {self.watch.timeout:g} s each",
                                   (keys, "dim")), id="fleet-title")
        yield Static(id="fleet-summary")
        yield DataTable(id="fleet-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="fleet-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, heading in COLUMNS:
            table.add_column(heading, key=key)
        for i, member in enumerate(self.members):
            table.add_row(*self._cells(i), key=str(i))
        start = next((i for i, m in enumerate(self.members) if m.label == self.selected), 0)
        table.move_cursor(row=start)
        self._summarise()
        self._detail()
        self._watch_task = asyncio.get_running_loop().create_task(self.watch.run(self._on_result, self._stop),
                                                            name="fleet-watch")
        self.set_interval(1.0, self._refresh_ages)

    async def on_unmount(self) -> None:
        self._stop.set()
        if self._watch_task is not None:
            # cancelled, not awaited to its end: a silent cluster's poll in flight must not delay leaving
            self._watch_task.cancel()
            await asyncio.wait({self._watch_task}, timeout=6)  # the clients close; never raises

    def _cells(self, i: int) -> list[Text]:
        member, obs = self.members[i], self.watch.latest[i]
        row = fleet_row(member, obs)
        answer = answer_text(member, obs, time.time(), full=False)  # the whole error is in the detail below
        cells = [Text(row.cluster, "bold"), Text(row.verdict, VERDICT_STYLE.get(row.verdict, "")), Text(row.shards),
                 Text(row.standby), Text(row.tolerated), Text(row.version),
                 Text(answer, "red" if obs is not None and obs.verdict is None or member.profile is None else "")]
        return cells

    def _on_result(self, i: int, obs: Observation) -> None:
        if self._stop.is_set():  # a poll that ended while the screen goes away
            return
        self.updates += 1
        self._show_row(i)
        self._summarise()

    def _show_row(self, i: int) -> None:
        table = self.query_one(DataTable)
        for (key, _), cell in zip(COLUMNS, self._cells(i)):
            table.update_cell(str(i), key, cell, update_width=True)
        if table.cursor_row == i:
            self._detail()

    def _refresh_ages(self) -> None:
        table = self.query_one(DataTable)
        for i, member in enumerate(self.members):
            obs = self.watch.latest[i]
            if obs is not None and obs.verdict is not None:
                table.update_cell(str(i), "answer", Text(answer_text(member, obs, time.time())))

    def _summarise(self) -> None:
        counts = Counter(fleet_row(m, o).verdict for m, o in zip(self.members, self.watch.latest))
        parts: list = []
        for word in ORDER:
            if counts[word]:
                parts += [(f"{counts[word]} {word}", VERDICT_STYLE[word]), "  "]
        self.query_one("#fleet-summary", Static).update(Text.assemble(*parts[:-1]) if parts else "")

    def _detail(self) -> None:
        """The selected cluster in full: its profile file and its whole answer (an error is cut in the row)."""
        i = self.query_one(DataTable).cursor_row
        if not 0 <= i < len(self.members):
            return
        member, obs = self.members[i], self.watch.latest[i]
        where = str(member.path) if member.path is not None else member.label
        text = Text.assemble((member.name, "bold"), f" · {where}\n")
        if member.note:
            text.append(member.note + "\n", "yellow")
        if member.profile is None:
            text.append(member.problem, "red")
        elif obs is not None and obs.verdict is not None:
            text.append(obs.verdict.headline)
        elif obs is not None:
            text.append(answer_text(member, obs), "red")
        self.query_one("#fleet-detail", Static).update(text)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._detail()

    def action_open(self) -> None:
        """Open the selected cluster (a profile that could not be read says why instead)."""
        i = self.query_one(DataTable).cursor_row
        if not 0 <= i < len(self.members):
            return
        member = self.members[i]
        if member.profile is None:
            self.notify(member.problem, title=f"{member.label} cannot be opened", severity="error")
            return
        self.open_cluster(member)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape only where there is somewhere to go back to (the fleet opened over a cluster's screens)."""
        return self.back is not None if action == "back" else True

    def action_back(self) -> None:
        """Back to the cluster's screen the view was opened from."""
        self.app.pop_screen()

    def action_poll_now(self) -> None:
        """Poll every cluster again now (after its poll in progress)."""
        self.watch.poll_now()
