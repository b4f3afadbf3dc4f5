"""One poller per cluster: a cluster whose Webapp accepts and never answers does not delay another, and
polls of one cluster never overlap. The figures are printed (pytest -s)."""

from __future__ import annotations

import asyncio
import time

from wabiz_tui.exporter.metrics import ClusterState
from wabiz_tui.exporter.scheduler import ClusterPoller, run_pollers

from .helpers import FakeWebapp, SilentServer, installed_profile


def counting(monitor, log: list, busy: dict):
    """Wrap ``monitor.poll_once`` to record when each poll starts and how many run at once."""
    inner = monitor.poll_once

    async def poll_once():
        busy["now"] += 1
        busy["max"] = max(busy["max"], busy["now"])
        log.append(time.monotonic())
        try:
            return await inner()
        finally:
            busy["now"] -= 1

    monitor.poll_once = poll_once
    return monitor


async def test_a_dead_cluster_never_delays_another_and_polls_never_overlap():
    interval, timeout, run_for = 0.1, 1.0, 3.0
    async with SilentServer() as port:
        good_profile, dead_profile = installed_profile("good"), installed_profile("dead", url=f"https://127.0.0.1:{port}")
        good, dead = ClusterState("good", interval, 60.0), ClusterState("dead", interval, 60.0)
        good_log: list[float] = []
        dead_log: list[float] = []
        good_busy, dead_busy = {"now": 0, "max": 0}, {"now": 0, "max": 0}
        pollers = [ClusterPoller(good_profile, good, timeout=timeout,
                                 monitor=counting(FakeWebapp().monitor(good_profile), good_log, good_busy)),
                   ClusterPoller(dead_profile, dead, timeout=timeout)]
        counting(pollers[1].monitor, dead_log, dead_busy)
        stop = asyncio.Event()
        task = asyncio.create_task(run_pollers(pollers, stop))
        await asyncio.sleep(run_for)
        stop.set()
        await asyncio.wait_for(task, timeout + 2)
    gaps = [b - a for a, b in zip(good_log, good_log[1:])]
    dead_gaps = [b - a for a, b in zip(dead_log, dead_log[1:])]
    print(f"\nexporter figures: good cluster {len(good_log)} polls in {run_for:.0f} s, gap max {max(gaps):.3f} s "
          f"(interval {interval} s); dead cluster {len(dead_log)} polls, each ended by the {timeout} s timeout, "
          f"gap min {min(dead_gaps):.3f} s; concurrent polls per cluster max {good_busy['max']}/{dead_busy['max']}")
    assert max(gaps) < interval + 0.25, gaps  # never waited for the dead cluster's 1 s polls
    assert len(good_log) >= run_for / (interval + 0.05) * 0.6
    assert dead.errors["timeout"] >= 2 and good.errors == {k: 0 for k in good.errors}
    assert min(dead_gaps) >= timeout - 0.05  # the next poll starts only once the previous one ended
    assert good_busy["max"] == 1 and dead_busy["max"] == 1
    assert good.last.verdict is not None and dead.last.verdict is None and dead.last.error_kind == "timeout"
