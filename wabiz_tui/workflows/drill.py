"""A failover drill: kill a connected Coreapp over SSH, measure how long until a standby serves its
shard, then start the killed Coreapp again so it becomes the new standby.

Meant for the demo and for rehearsing on a staging cluster; it causes a real, short outage of one
shard.
"""

from __future__ import annotations

import asyncio
import time

from ..api.client import ApiError
from ..domain.health import Level
from ..domain.model import HostSpec, Role
from .base import Procedure
from .stepinfo import StepInfo
from .events import Message

DRILL_STEPS: tuple[StepInfo, ...] = (
    StepInfo(1, "kill", "Kill a connected Coreapp", "docker-compose kill wacore on the host of a connected Coreapp."),
    StepInfo(2, "takeover", "Standby takes over", "Poll GET /v1/health until every shard is served again."),
    StepInfo(3, "restart", "Restart the killed Coreapp", "up -d wacore on that host: it comes back as a standby."),
    StepInfo(4, "health", "Health check", "GET /v1/health: healthy, with a standby again."),
)


class FailoverDrill(Procedure):
    """Runs the drill; :attr:`takeover_seconds` holds the measured takeover time once step 2 passed."""

    steps = DRILL_STEPS
    procedure = "drill"
    takeover_seconds: float | None = None
    victim: str = ""
    _kill_time: float = 0.0

    async def kill_connected_coreapp(self) -> bool:
        """Step 1: pick a connected Coreapp from the health answer and kill its container over SSH."""
        def refuse(summary: str, next_action: str) -> bool:
            """Mark step 1 started and failed with ``summary`` and ``next_action``; returns False (what the step
            returns)."""
            self._start(1)
            return self._finish(1, False, summary, next_action)

        try:
            verdict = await self.poll_health(registered=True)
        except ApiError as exc:
            return refuse(f"cannot read health: {exc}", exc.next_action)
        owners = verdict.connected_coreapps
        if not owners:
            return refuse("no connected Coreapp to kill", "run the drill on a registered, healthy cluster")
        if verdict.standby == 0:
            return refuse("no standby Coreapp: killing a connected one would leave its shard unserved",
                          "add a Coreapp first (Multiconnect step M3)")
        self.victim = owners[0]
        host = self.profile.host(self.victim)
        return await self._on_hosts(1, (host,), self._kill, f"killing the Coreapp on {self.victim}")

    async def _kill(self, host: HostSpec) -> str:
        self._kill_time = time.monotonic()
        await self._checked(host, self.invocation(host).command("kill", Role.COREAPP.service), "docker-compose kill wacore",
                            "check docker on the host")
        return "killed"

    async def wait_takeover(self) -> bool:
        """Step 2: poll until every shard is served again; records :attr:`takeover_seconds`."""
        ok = await self._wait_health(2, True, lambda v: v.shards_served >= v.shards_expected)
        if ok:
            self.takeover_seconds = time.monotonic() - self._kill_time
            self.emit(Message(f"a standby took over the shard of {self.victim} after {self.takeover_seconds:.1f} s", notice=True))
        return ok

    async def restart_victim(self) -> bool:
        """Step 3: ``up -d wacore`` on the killed Coreapp's host."""
        host = self.profile.host(self.victim)
        return await self._on_hosts(3, (host,), lambda h: self._up(h, (Role.COREAPP,)), f"restarting the Coreapp on {self.victim}")

    async def health_restored(self) -> bool:
        """Step 4: wait until the cluster is healthy again."""
        return await self._wait_health(4, True, lambda v: v.level is Level.OK)

    async def run_all(self) -> bool:
        """All four steps, stopping at the first failure."""
        for step in (self.kill_connected_coreapp, self.wait_takeover, self.restart_victim, self.health_restored):
            if not await step():
                return False
            await asyncio.sleep(0)
        return True
