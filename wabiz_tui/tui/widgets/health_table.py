"""The health panel: expected versus actual state of every node, and the cluster verdict in words."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

#: Colour per verdict level (``domain.health.Level`` values).
LEVEL_STYLE = {"ok": "bold green", "standby": "cyan", "waiting": "yellow", "warning": "bold yellow",
               "failure": "bold red"}

COLUMNS = (("host", "Host"), ("container", "Container"), ("verdict", "Verdict"), ("exp_role", "Expected role"),
           ("act_role", "Actual role"), ("exp_status", "Expected gateway_status"),
           ("act_status", "Actual gateway_status"), ("reason", "Reason"))
#: Longest text shown in a cell before it is cut with an ellipsis (the reason column is never cut).
CELL_MAX = 26


def _cut(text: str) -> str:
    return text if len(text) <= CELL_MAX else text[: CELL_MAX - 1] + "…"


def _level(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _node_key(node: Any) -> str:
    role = node.expected_role or f"?{node.actual_role}:{node.container_id}"
    return f"{node.host}|{role}"


def _cells(node: Any) -> dict[str, Any]:
    level = _level(node.level)
    return {"host": node.host, "container": node.container_id or "—",
            "verdict": Text(level, style=LEVEL_STYLE.get(level, "")),
            "exp_role": _cut(node.expected_role or "—"), "act_role": _cut(node.actual_role or "—"),
            "exp_status": _cut(node.expected_status or "—"), "act_status": _cut(node.actual_status or "—"),
            "reason": node.reason or ""}


class HealthPanel(Vertical):
    """The cluster verdict, a table of nodes (one row each, updated in place), then the next action.

    ``show_verdict`` takes a ``domain.health.ClusterVerdict``. Rows are keyed by host and expected
    role, so a new answer only changes the cells that moved and the cursor stays where it was.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(classes="health-panel", **kwargs)
        self.verdict: Any = None

    def compose(self) -> ComposeResult:
        yield Static("No health answer yet: run the step (ctrl+r).", classes="health-headline")
        # the rows come right under the verdict: "look at the rows in red" must point at something visible
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", classes="health-reason")
        yield Static("", classes="health-next")
        yield Static("", classes="health-summary")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted node's full reason under the table (the column may be off-screen)."""
        self._show_reason(event.row_key.value if event.row_key is not None else None)

    def _show_reason(self, key: str | None) -> None:
        line = self.query_one(".health-reason", Static)
        table = self.table
        if key is None or key not in table.rows:
            line.update("")
            return
        host, level, reason = (table.get_cell(key, c) for c in ("host", "verdict", "reason"))
        line.update(Text.assemble(("▸ ", "bold"), (f"{host} ", "bold"), level if isinstance(level, Text) else str(level),
                                  f": {reason}"))

    @property
    def table(self) -> DataTable:
        """The node table."""
        return self.query_one(DataTable)

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
        self._update_rows(verdict.nodes)

    def _update_rows(self, nodes: Any) -> None:
        table = self.table
        wanted = {_node_key(n): _cells(n) for n in nodes}
        with self.app.batch_update():
            for row_key in list(table.rows):
                if row_key.value not in wanted:
                    table.remove_row(row_key)
            for key, cells in wanted.items():
                if key in table.rows:
                    for column, value in cells.items():
                        if str(table.get_cell(key, column)) != str(value):
                            table.update_cell(key, column, value, update_width=True)
                else:
                    table.add_row(*cells.values(), key=key)
        if table.row_count:
            row_key, _ = table.coordinate_to_cell_key((min(table.cursor_row, table.row_count - 1), 0))
            self._show_reason(row_key.value)
