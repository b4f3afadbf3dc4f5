"""Issue 17, defect 6: a master takeover gets a "took over after N s" line in the timeline, as a Coreapp's does."""

from __future__ import annotations

from wabiz_tui.workflows.monitor import HealthMonitor

from .test_monitor import poll_until, ssh_run


async def test_primary_master_takeover_is_timed(installed):
    monitor = HealthMonitor(installed.profile, interval=0.05, grace=1.0)
    try:
        first = await monitor.poll_once()
        primary = first.verdict.primary_master
        assert primary
        res = await ssh_run(installed, primary, "docker kill biz_master_1")
        assert res.exit_status == 0, res.stderr
        await poll_until(monitor, lambda r: r.verdict and r.verdict.primary_master not in ("", primary), 30)
        texts = [e.text for e in monitor.timeline]
        took = [t for t in texts if f"took over as primary master from {primary}" in t]
        assert len(took) == 1, texts
        assert " after " in took[0] and took[0].endswith(" s") or "(within one poll)" in took[0], took
    finally:
        await monitor.aclose()
