"""The detail panel under the health table: everything about the selected node, nothing cut.

The table keeps its columns short so that they fit at 80 columns; this panel gives the selected row in
full: expected and actual role and ``gateway_status`` in the API's own words, the reason, the next
action for that node, and the keys of the actions on it (monitor only).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...domain.versions import version_of

#: Colour per row level (``domain.health.Level`` values, and ``unknown`` for a Webapp nobody polled).
LEVEL_STYLE = {"ok": "bold green", "standby": "cyan", "waiting": "yellow", "warning": "bold yellow",
               "failure": "bold red", "unknown": "dim", "removed": "dim"}
#: The short status word of each level, with a sign that reads without colour (``NO_COLOR``, monochrome).
LEVEL_WORD = {"ok": "✔ ok", "standby": "◦ standby", "waiting": "… wait", "warning": "⚠ warn",
              "failure": "✗ FAIL", "unknown": "· n/a", "removed": "– removed"}


@dataclass(frozen=True)
class NodeRow:
    """One row of the health table: a node of the verdict (Master, Coreapp) or a Webapp of the plan.

    ``kind`` is ``master``, ``coreapp``, ``webapp`` or ``other`` (a node the plan does not name);
    ``level`` a ``domain.health.Level`` value, ``unknown`` or ``removed`` (the cluster was uninstalled: the row says
    what was there, never a verdict of a poll that did not happen); the texts are the verdict's, in full.
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
    #: the version its container runs (``v2.43.1``) or why it is not known; "" when the images were not read
    version: str = ""
    #: what to do about its version when that is its only problem (``NodeVerdict.version_action``), else ""
    version_action: str = ""

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
    if row.level == "removed":
        return "nothing to do: the cluster was uninstalled on purpose; the wizard (F2) installs it again"
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
    if row.level == "warning" and row.version_action:
        # its version is its only problem: the version's action (trial s9: "finish the upgrade" as the reason,
        # then "restart it" as the next action)
        return row.version_action
    if row.level == "warning":
        return "read its logs (l); if it does not settle, restart it (R)"
    if row.level == "waiting":
        return "wait: it is starting or taking over; read its logs (l) if it lasts"
    if row.level == "unknown":
        return "the monitor polls one address; run doctor (d) to check this Webapp itself"
    return "nothing to do"


class NodeDetail(Vertical):
    """The selected row in full; ``actions`` adds the keys of the node actions (the monitor has them).

    Two parts: the reason and the next action (wrapped, never cut: they are what the panel is for; at 80×24 a
    3-line cap left ``reason: as expected before`` and the rest cut, s7 trial), then expected/actual role,
    ``gateway_status`` and the container, which the table's row already shows in short and which short screens
    (``Screen.-short``) drop to leave the first part its lines.
    """

    DEFAULT_CSS: ClassVar[str] = """
    NodeDetail { height: auto; }
    NodeDetail > Static { height: auto; }
    """

    def __init__(self, *, actions: bool = False, **kwargs: Any) -> None:
        super().__init__(classes="node-detail", **kwargs)
        self.actions = actions
        self.row: NodeRow | None = None
        #: when the versions shown were read (epoch seconds; 0: not read)
        self.read_at = 0.0
        self.plain = ""
        #: the reason and next action part, as shown (empty before a row)
        self.why_text = Text()

    def compose(self) -> ComposeResult:
        yield Static("", classes="node-detail-why")
        yield Static("", classes="node-detail-more")

    def _version(self, row: NodeRow) -> Text:
        """The row's version for the panel: ``runs v2.43.1`` (``read at 21:40:12`` in the part below), bold when it
        differs from the profile's, or why it is not known."""
        if version_of(row.version):
            return Text(f"runs {row.version}", style="bold" if " runs v" in f" {row.reason}" else "")
        return Text(row.version, style="yellow")

    def show(self, row: NodeRow | None) -> None:
        """Show ``row`` (nothing for None)."""
        self.row = row
        why, more = self.query_one(".node-detail-why", Static), self.query_one(".node-detail-more", Static)
        if row is None:
            self.plain = ""
            self.why_text = Text()
            why.update("")
            more.update("")
            return
        style = LEVEL_STYLE.get(row.level, "")
        # the container id in the part short screens keep: at 80 columns it has no column (trial s8 C9)
        container = f" {row.container}" if row.container not in ("", "—") else ""
        # the version only where a face read it (the monitor): the wizard's health steps read no image
        version = Text.assemble(" · ", self._version(row)) if row.version else ""
        text = Text.assemble(("▸ ", "bold"), (row.host, "bold"), f" {row.kind}{container} · ",
                             (LEVEL_WORD.get(row.level, row.level), style), version, " · reason: ", row.reason or "—")
        text.append("\n  next: ", style="bold")
        text.append(next_action(row))
        rest = Text(f"  role: expected {row.expected_role} → actual {row.actual_role}")
        rest.append(f" · gateway_status: expected {row.expected_status} → actual ")
        rest.append(row.actual_status, style=style)
        rest.append(f"\n  container {row.container or '—'}")
        if self.read_at:
            at = time.strftime("%H:%M:%S", time.localtime(self.read_at))
            rest.append(f" · versions read at {at}" + (" (r reads again)" if self.actions else ""))
        if self.actions:
            rest.append(" · enter: actions on this node (l logs · R restart · S stop · s shell · d doctor)", style="dim")
        self.plain = text.plain + "\n" + rest.plain
        self.why_text = text
        why.update(text)
        more.update(rest)
