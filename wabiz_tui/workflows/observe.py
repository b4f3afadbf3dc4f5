"""One bounded poll as the readers of many clusters see it: :func:`poll_health` wraps ``HealthMonitor.poll_once()``.

The exporter, ``wabiz-tui health --all`` and the TUI's fleet view work on :class:`Observation`, so when the
monitor's poll result changes shape only this module follows it (moved here from ``exporter/source.py`` so the
faces that may not import the exporter share it).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from ..domain.exitcodes import READING_EXIT
from ..domain.health import ClusterVerdict, Level
from .monitor import HealthMonitor, PollResult


@dataclass(frozen=True)
class Finding:
    """A diagnosis that holds at this poll: catalogue ``key`` and ``severity`` (info, warning, error)."""

    key: str
    severity: str


@dataclass(frozen=True)
class Observation:
    """One poll as the exporter sees it.

    ``answered_at`` is the epoch time of the poll's end (seconds), ``latency`` its duration in seconds;
    ``verdict`` is None when the poll failed, then ``error_kind`` says why (the ``ApiError.kind`` of
    ``api.client``: unreachable, tls, dns, auth, timeout, http, not_tls, config; ``format`` when the
    answer was not a health answer) and ``message`` the error in words (``api.client`` errors carry no secret).
    ``findings`` are every diagnosis that holds now. ``not_installed``: the cluster was not polled because
    wabiz-tui uninstalled it (then ``verdict`` is None and ``error_kind`` ""). ``failover``: the monitor's failover
    state (``domain.transitions.FailoverStatus.state``: none, in_progress, impossible, overdue, done).
    """

    answered_at: float
    latency: float
    verdict: ClusterVerdict | None
    error_kind: str = ""
    findings: tuple[Finding, ...] = ()
    message: str = ""
    not_installed: bool = False
    failover: str = "none"
    #: the operation left midway (``workflows.monitor.IncompleteOperation.operation``: "upgrade", "uninstall"), "" for none
    incomplete: str = ""


async def poll_health(monitor: HealthMonitor, timeout: float) -> Observation:
    """Poll ``monitor`` once, at most ``timeout`` seconds (a Webapp that accepts and never answers gives
    ``error_kind="timeout"``). Never raises for API problems."""
    start = time.monotonic()
    try:
        result = await asyncio.wait_for(monitor.poll_once(), timeout)
    except asyncio.TimeoutError:
        return Observation(time.time(), time.monotonic() - start, None, "timeout",
                           message=f"no answer within {timeout:g} s")
    kind, message = "", ""
    if result.verdict is None and result.error is not None:
        # the monitor turns a non-health body into an ApiError of kind http with this message
        kind = "format" if str(result.error).startswith("health answer not understood") else result.error.kind
        message = str(result.error)
    findings = tuple(Finding(d.key, d.severity) for d in result.current_findings)
    return Observation(result.polled_at, result.latency, result.verdict, kind, findings, message=message,
                       not_installed=_not_installed(result), failover=result.failover.state,
                       incomplete=result.incomplete.operation if result.incomplete is not None else "")


def _not_installed(result: PollResult) -> bool:
    return result.verdict is None and result.error is None and result.notice.startswith("not installed")


_VERDICT_OF = {Level.OK: "healthy", Level.STANDBY: "healthy", Level.WAITING: "degraded", Level.WARNING: "degraded",
               Level.FAILURE: "failing"}

#: a reading (:func:`reading`) -> the ``health`` exit code (the monitoring-plugin convention)
HEALTH_EXIT_OF = READING_EXIT


def reading(verdict: ClusterVerdict | None, error_kind: str, not_installed: bool) -> str:
    """The one reading of a poll, for every face (``health``'s exit code, the exporter's verdict, the fleet):
    healthy / degraded / failing / unknown / not_installed. A failed poll is failing, except when the profile's
    own settings cannot be used (``error_kind`` "config", e.g. its CA file is gone): then the health is unknown."""
    if not_installed:
        return "not_installed"
    if verdict is None:
        return "unknown" if error_kind == "config" else "failing"
    return _VERDICT_OF[verdict.level]


def reading_of(result: PollResult) -> str:
    """:func:`reading` of a monitor's poll result."""
    return reading(result.verdict, result.error.kind if result.error is not None else "", _not_installed(result))


def verdict_word(obs: Observation | None) -> str:
    """:func:`reading` of an observation; "unknown" for no poll yet."""
    if obs is None:
        return "unknown"
    return reading(obs.verdict, obs.error_kind, obs.not_installed)
