"""Steps 7 and 9: the health panel, expected versus actual state of every node."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult

from ..widgets.health_table import HealthPanel
from .base import StepScreen


class HealthScreen(StepScreen):
    """A health check step: runs ``GET /v1/health`` and shows the verdict per node and for the cluster."""

    HOST_PANES = False
    RUN_LABEL = "Check health"

    def compose_body(self) -> ComposeResult:
        yield HealthPanel(id="health")

    def show_health(self, verdict: Any) -> None:
        self.query_one(HealthPanel).show_verdict(verdict)
