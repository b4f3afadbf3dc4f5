"""Steps 7 and 9: the health panel, expected versus actual state of every node."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from ..steps import StepState
from ..widgets.body_scroll import BodyScroll
from ..widgets.health_table import HealthPanel
from .base import StepScreen


class HealthScreen(StepScreen):
    """A health check step: runs ``GET /v1/health`` and shows the verdict per node and for the cluster."""

    HOST_PANES = False
    RUN_LABEL = "Check health"

    #: when the panel's verdict was taken (epoch seconds; 0: none yet)
    shown_at = 0.0

    def compose_body(self) -> ComposeResult:
        """The health panel (``#health``: the verdict per node and for the cluster) and the hint under it
        (``#health-as-of``: empty unless the verdict shown is the monitor's)."""
        yield HealthPanel(id="health")
        yield Static("", id="health-as-of", classes="hint")

    def show_health(self, verdict: Any, at: float | None = None) -> None:
        """Show ``verdict`` (``domain.health.ClusterVerdict``) in the panel and keep when it was taken in
        :attr:`shown_at` (epoch seconds). ``at``: when the health monitor polled it (epoch seconds; the hint says
        "As of HH:MM:SS", local time); None: the step's own check (``HealthUpdated``), taken now, the hint empty."""
        self.query_one(HealthPanel).show_verdict(verdict)
        self.shown_at = time.time() if at is None else at
        note = "" if at is None else (f"As of {time.strftime('%H:%M:%S', time.localtime(at))}, from the health "
                                      "monitor (F2): newer than this step's own check.")
        self.query_one("#health-as-of", Static).update(Text(note, style="dim"))

    def focus_table(self) -> None:
        """Focus the node table when nothing else is (the first arrow moves through the nodes, no Tab needed)."""
        focused = self.focused
        if focused is None or isinstance(focused, BodyScroll):
            self.query_one(HealthPanel).table.focus()

    async def resumed(self) -> None:
        """Shown again: when the monitor polled since this step's check (a failover may have moved the roles),
        its verdict replaces the step's stale one (issue 17 trial: step 9 showed the roles before a failover)."""
        self.focus_table()
        monitor = getattr(self.app, "_installed_screens", {}).get("monitor")  # only a monitor already built
        result = getattr(monitor, "last_result", None)
        verdict = getattr(result, "verdict", None)
        if verdict is not None and result.polled_at > self.shown_at \
                and self.wapp.state(self.number) is not StepState.RUNNING:
            self.show_health(verdict, at=result.polled_at)
