"""One poller per cluster, each on its own schedule: a slow or dead cluster never delays another.

A poller polls, records, then waits until ``interval`` seconds after its poll began (at once when the
poll took longer): polls of one cluster never overlap, and each poll is bounded by ``timeout``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ..config.lock import ClusterLock
from ..config.runstate import read_run_state
from ..domain.model import ClusterProfile
from ..domain.transitions import lock_command
from ..workflows.fleet import repeat
from ..workflows.monitor import HealthMonitor, planned_state_reader
from .metrics import ClusterState
from ..workflows.observe import poll_health


class ClusterPoller:
    """Polls one cluster into ``state``. ``locks`` is the state directory's ``locks/`` (who holds the
    cluster's lock is read after every poll); ``monitor`` defaults to one built from the profile with the
    state's interval and grace, reading the planned operations and the uninstall from the state directory
    (``workflows.monitor.planned_state_reader``; its commands name the profile ``profile_ref``, default its name)."""

    def __init__(self, profile: ClusterProfile, state: ClusterState, *, timeout: float, locks: Path | None = None,
                 monitor: HealthMonitor | None = None, profile_ref: str = ""):
        self.profile, self.state, self.timeout = profile, state, timeout
        self.monitor = monitor or HealthMonitor(profile, interval=state.interval, grace=state.grace,
                                                planned=planned_state_reader(profile, locks, profile_ref=profile_ref))
        self._lock = ClusterLock.for_profile(locks, profile) if locks is not None else None
        self._started_at: float | None = None

    def _follow_run_state(self) -> None:
        # an install or upgrade started (here or by another process): its grace counts from the containers' start
        started = (read_run_state(self.profile) or {}).get("started_at")
        if isinstance(started, (int, float)) and started != self._started_at:
            self._started_at = float(started)
            self.monitor.note_start(at=float(started))

    async def poll(self) -> None:
        """One poll, recorded."""
        self._follow_run_state()
        self.state.record(await poll_health(self.monitor, self.timeout))
        if self._lock is not None:
            self.state.set_operation(lock_command(self._lock.holder())[0])

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set; closes the monitor's client at the end."""
        try:
            await repeat(self.poll, lambda: self.state.interval, stop)
        finally:
            await self.monitor.aclose()


async def run_pollers(pollers: list[ClusterPoller], stop: asyncio.Event) -> None:
    """Run every poller as its own task until ``stop`` is set."""
    await asyncio.gather(*(p.run(stop) for p in pollers))
