"""The detail panel under the health table: everything about the selected node, nothing cut.

The table keeps its columns short so that they fit at 80 columns; this panel gives the selected row in
full: expected and actual role and ``gateway_status`` in the API's own words, the reason, the next
action for that node, and the keys of the actions on it (monitor only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import Static

#: Colour per row level (``domain.health.Level`` values, and ``unknown`` for a Webapp nobody polled).
LEVEL_STYLE = {"ok": "bold green", "standby": "cyan", "waiting": "yellow", "warning": "bold yellow",
               "failure": "bold red", "unknown": "dim"}
#: The short status word of each level, with a sign that reads without colour (``NO_COLOR``, monochrome).
LEVEL_WORD = {"ok": "✔ ok", "standby": "◦ standby", "waiting": "… wait", "warning": "⚠ warn",
              "failure": "✗ FAIL", "unknown": "· n/a"}


@dataclass(frozen=True)
class NodeRow:
    """One row of the health table: a node of the verdict (Master, Coreapp) or a Webapp of the plan.

    ``kind`` is ``master``, ``coreapp``, ``webapp`` or ``other`` (a node the plan does not name);
    ``level`` a ``domain.health.Level`` value or ``unknown``; the texts are the verdict's, in full.
    """

    host: str
    container: str
    kind: str
    expected_role: str
    actual_role: str
    expected_status: str
    actual_status: str
    level: str
    reason: str

    @property
    def key(self) -> str:
        """The row's key in the table: host and planned role (stable while the container changes)."""
        return f"{self.host}|{self.kind if self.kind != 'other' else 'other:' + self.container}"

    @property
    def problem(self) -> bool:
        """True for the rows an operator must look at first (waiting, warning, failure)."""
        return self.level in ("failure", "warning", "waiting")


def next_action(row: NodeRow) -> str:
    """What to do about ``row`` in words (the cluster's next action stays in the verdict's own line)."""
    service = {"master": "master", "coreapp": "wacore", "webapp": "waweb"}.get(row.kind, "")
    if row.actual_status == "missing":
        return (f"start it again: docker-compose up -d {service} on {row.host} (R restarts it from here); "
                "if it stops again, read its logs (l) or run doctor (d)")
    if row.kind == "other":
        return f"add {row.host} with this role to the profile, or stop this container (S)"
    if row.level == "failure" and "1014" in row.reason and "connection to" in row.reason:
        # the Webapp could not connect to the node: a blocked port or path as often as a dead node, and a restart
        # opens no port (issue 16 trial: a DOCKER-USER rule on the Webapp host)
        return "run doctor (d) first: the Webapp cannot connect to this node (a blocked port or path, or the node down); "\
               "restart it (R) only if doctor finds nothing on the way"
    if row.level == "failure":
        return "read its logs (l), then restart it (R) or run doctor (d) on its host"
    if row.level == "warning":
        return "read its logs (l); if it does not settle, restart it (R)"
    if row.level == "waiting":
        return "wait: it is starting or taking over; read its logs (l) if it lasts"
    if row.level == "unknown":
        return "the monitor polls one address; run doctor (d) to check this Webapp itself"
    return "nothing to do"


class NodeDetail(Static):
    """The selected row in full; ``actions`` adds the keys of the node actions (the monitor has them)."""

    def __init__(self, *, actions: bool = False, **kwargs: Any) -> None:
        super().__init__("", classes="node-detail", **kwargs)
        self.actions = actions
        self.row: NodeRow | None = None
        self.plain = ""

    def show(self, row: NodeRow | None) -> None:
        """Show ``row`` (nothing for None)."""
        self.row = row
        if row is None:
            self.plain = ""
            self.update("")
            return
        style = LEVEL_STYLE.get(row.level, "")
        # most important first: a short screen shows only the first lines (app.tcss / HealthPanel's CSS)
        text = Text.assemble(("▸ ", "bold"), (row.host, "bold"), f" {row.kind} · ",
                             (LEVEL_WORD.get(row.level, row.level), style), " · reason: ", row.reason or "—")
        text.append("\n  next: ", style="bold")
        text.append(next_action(row))
        text.append(f"\n  role: expected {row.expected_role} → actual {row.actual_role}")
        text.append(f" · gateway_status: expected {row.expected_status} → actual ")
        text.append(row.actual_status, style=style)
        text.append(f"\n  container {row.container or '—'}")
        if self.actions:
            text.append(" · enter: actions on this node (l logs · R restart · S stop · s shell · d doctor)", style="dim")
        self.plain = text.plain
        self.update(text)
