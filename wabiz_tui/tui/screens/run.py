"""Steps 5 and 6: start the client and check the containers, one live log pane per host."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from ...workflows.events import HostFinished
from ..widgets.host_log import TABLE_ABOVE
from ..widgets.host_table import FlowLine, host_summary
from ..widgets.ticker import set_status_text
from .base import StepScreen


class RunScreen(StepScreen):
    """A step whose body is the host panes (``up -d`` per role, ``ps``), with per-host results."""

    PANES_MAIN = True

    def compose_body(self) -> ComposeResult:
        """The results line above the host panes; until a run it shows the panes' keys (follow, save, zoom, find,
        filter, copy)."""
        yield FlowLine("ctrl+l follow/pause the panes · ctrl+s save them to files · in a pane: z zoom, / find, "
                     "f filter, c copy", id="results", classes="hint")

    def step_started(self, hosts: tuple[str, ...] = ()) -> None:
        """As the base; the results line then says that the step runs on every host in parallel."""
        super().step_started(hosts)
        set_status_text(self.query_one("#results", Static), "Running on every host in parallel…")

    def handle_event(self, event: Any) -> None:
        """As the base; after each finished host, redraw the results line: ``✔ host: ok`` or ``✗`` and the failure of
        each finished host, or above :data:`TABLE_ABOVE` hosts the counts and the failed names."""
        super().handle_event(event)
        if isinstance(event, HostFinished):
            self._show_results()

    def _show_results(self) -> None:
        if self.total_hosts > TABLE_ABOVE:  # counts and the failed names (the host table has the rest)
            results = self.host_results
            set_status_text(self.query_one("#results", Static), host_summary(
                self.total_hosts, [h for h, r in results.items() if r.ok], [h for h, r in results.items() if not r.ok]))
            return
        self.query_one("#results", FlowLine).show_entries(
            Text(f"✔ {host}: ok", style="green") if r.ok else Text(f"✗ {self.describe_failure(host)}", style="bold red")
            for host, r in self.host_results.items())
