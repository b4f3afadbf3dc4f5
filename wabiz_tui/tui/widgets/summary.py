"""The monitor's summary: mode, shards, standby, failures tolerated, primary master, last poll, errors."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.widgets import Static

#: How each ``ApiError.kind`` is named to the user (a 401 is a credentials problem, not an outage).
ERROR_KINDS = {"auth": "401 credentials refused", "unreachable": "Webapp unreachable", "tls": "TLS certificate problem",
               "not_tls": "the Webapp port does not speak TLS",
               "dns": "DNS: Webapp name not resolved", "timeout": "Webapp timed out", "http": "Webapp HTTP error"}


def error_label(error: Any) -> str:
    """``Webapp HTTP error 503`` / ``401 credentials refused`` for an ``api.client.ApiError``."""
    kind = getattr(error, "kind", "http") or "http"
    label = ERROR_KINDS.get(kind, kind)
    status = getattr(error, "status", 0)
    if kind == "http" and status:
        label += f" {status}"
    return label


def describe_mode(verdict: Any) -> str:
    """``HA (1 shard)`` or ``Multiconnect (2 shards)``."""
    shards = verdict.shards_expected
    return "HA (1 shard)" if shards <= 1 else f"Multiconnect ({shards} shards)"


class MonitorSummary(Static):
    """Two or three lines above the node table; ``show`` takes a ``workflows.monitor.PollResult``.

    A poll that failed keeps the last verdict's figures (marked stale) and adds a red line naming the
    kind of error (credentials, unreachable, TLS, DNS, timeout, HTTP status) and the next action.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("Waiting for the first poll of GET /v1/health…", **kwargs)
        self.verdict: Any = None
        self.result: Any = None
        self.plain = ""

    def show(self, result: Any, *, interval: float, bell: bool, paused: bool, mask=lambda s: s) -> None:
        """Redraw from ``result`` (the verdict, or the error with the previous verdict kept)."""
        self.result = result
        if result.verdict is not None:
            self.verdict = result.verdict
        text = Text()
        v = self.verdict
        not_installed = result.verdict is None and result.error is None and result.notice.startswith("not installed")
        if not_installed:  # the last answer's shards and masters are gone with the cluster: not shown as current
            text.append(f"{result.notice} · not polled · no alerts", style="bold")
        elif v is not None:
            served_ok = v.shards_served >= v.shards_expected
            tolerated_ok = v.failures_tolerated >= v.failures_planned
            text.append(describe_mode(v), style="bold")
            text.append("  ·  shards served ")
            text.append(f"{v.shards_served}/{v.shards_expected}", style="bold green" if served_ok else "bold red")
            text.append("  ·  standby coreapps ")
            text.append(str(v.standby), style="bold" if v.standby else "bold yellow")
            text.append("  ·  failures tolerated now ")
            text.append(f"{v.failures_tolerated}", style="bold green" if tolerated_ok else "bold yellow")
            text.append(f" (planned {v.failures_planned})")
            text.append("  ·  primary master ")
            text.append(v.primary_master or "none", style="bold" if v.primary_master else "bold red")
            if result.verdict is None:
                text.append("  (stale: last good answer)", style="dim")
        else:
            text.append("No health answer yet", style="bold yellow")
        stamp = time.strftime("%H:%M:%S", time.localtime(result.polled_at))
        polled = "" if not_installed else f"last poll {stamp} · latency {result.latency * 1000:.0f} ms · "
        text.append(f"\n{polled}every {interval:g} s"
                    f" (+/- to change) · bell {'on' if bell else 'off'} (b)"
                    f" · {'paused (p to resume)' if paused else 'polling (p to pause)'}", style="dim")
        if result.error is not None:
            nxt = getattr(result.error, "next_action", "")
            text.append(f"\n✗ {error_label(result.error)}: {mask(str(result.error))}", style="bold red")
            if nxt:
                text.append(f" — next: {mask(nxt)}", style="red")
        self.plain = text.plain
        self.update(text)
