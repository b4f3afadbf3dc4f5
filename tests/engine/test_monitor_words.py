"""The monitor's words during a failover, a planned operation and after an uninstall, on the simulator
(issue 16 item 3): it never cries wolf and never stays quiet."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.engine.test_monitor import poll_until
from tests.support import SPEED, install_headless
from wabiz_tui.config.lock import ClusterLock
from wabiz_tui.config.runstate import write_run_state
from wabiz_tui.demo import start_demo
from wabiz_tui.domain.health import Level
from wabiz_tui.sim import DEMO_HOSTS, SimHost
from wabiz_tui.workflows.monitor import HealthMonitor, planned_state_reader


@pytest.fixture
async def three_coreapps(tmp_path):
    """The demo's HA cluster with a third Coreapp (wa-core-3), installed: one connected, two standbys."""
    session = await start_demo(tmp_path / "demo", speed=SPEED, hosts=DEMO_HOSTS + (SimHost("wa-core-3", ("coreapp",)),),
                                 spare_hosts=())
    try:
        yield await install_headless(session, tmp_path)
    finally:
        await session.stop()


def owner_of(result) -> str:
    return next(n.host for n in result.verdict.nodes if n.actual_status == "connected")


async def test_killing_the_connected_coreapp_reads_failing_over_from_the_first_poll_then_took_over(three_coreapps):
    grace = 30.0
    monitor = HealthMonitor(three_coreapps.profile, interval=0.05, grace=grace)
    try:
        first = await monitor.poll_once()
        assert first.verdict.level is Level.OK, first.verdict.headline
        owner = owner_of(first)
        standbys = [n.host for n in first.verdict.nodes if n.level is Level.STANDBY]
        three_coreapps.cluster.kill_container(owner, "wacore")
        seen = await monitor.poll_once()  # the first poll that sees the loss
        assert seen.failover.state == "in_progress", seen.verdict.headline
        words = seen.verdict.headline
        assert words.startswith("HA failing over: standby ") and f"of {grace:g} s grace" in words, words
        assert " or ".join(standbys) in words and "should take shard 0" in words
        assert seen.verdict.level is not Level.FAILURE and "failing:" not in words
        assert not seen.worsened  # said, not alerted
        # what the failover causes is in the findings as a warning within the grace, not a new ERROR (trial)
        assert seen.new_findings == () and seen.current_findings
        assert all(d.severity != "error" for d in seen.current_findings), seen.current_findings
        assert any("within its grace" in d.title for d in seen.current_findings)
        done = await poll_until(monitor, lambda r: r.verdict and r.verdict.shards_served == 1)
        assert done.failover.state == "done"
        new_owner = owner_of(done)
        assert new_owner in standbys
        assert f"{new_owner} took over after " in done.verdict.headline, done.verdict.headline
        # one standby left: served and tolerating one more failure; the lost Coreapp is missing (degraded)
        assert done.verdict.standby == 1 and done.verdict.level is Level.WARNING
    finally:
        await monitor.aclose()


async def test_failover_without_a_standby_is_failing_at_once(installed):
    monitor = HealthMonitor(installed.profile, interval=0.05, grace=30.0)
    try:
        first = await monitor.poll_once()
        owner = owner_of(first)
        standby = next(n.host for n in first.verdict.nodes if n.level is Level.STANDBY)
        installed.cluster.kill_container(standby, "wacore")
        await poll_until(monitor, lambda r: r.verdict and r.verdict.standby == 0)
        installed.cluster.kill_container(owner, "wacore")
        seen = await monitor.poll_once()
        assert seen.failover.state == "impossible"
        assert seen.verdict.level is Level.FAILURE
        assert seen.verdict.headline.startswith("HA failing: no standby"), seen.verdict.headline
        assert seen.worsened
        assert f"start the Coreapp on {owner} again" in seen.verdict.next_action
    finally:
        await monitor.aclose()


async def test_a_failover_longer_than_its_grace_escalates_to_failing(installed):
    now = [1000.0]
    monitor = HealthMonitor(installed.profile, interval=0.05, grace=5.0, clock=lambda: now[0])
    try:
        first = await monitor.poll_once()
        owner = owner_of(first)
        installed.cluster.speed = 1000.0  # the standby takes ages to take over: the grace runs out first
        installed.cluster.kill_container(owner, "wacore")
        seen = await monitor.poll_once()
        assert seen.failover.state == "in_progress" and "0 s of 5 s grace" in seen.verdict.headline
        now[0] += 3
        later = await monitor.poll_once()
        assert "3 s of 5 s grace" in later.verdict.headline, later.verdict.headline
        now[0] += 3
        late = await monitor.poll_once()
        assert late.failover.state == "overdue" and late.verdict.level is Level.FAILURE
        assert "failing: failover longer than its 5 s grace" in late.verdict.headline
        assert late.worsened  # escalation alerts
    finally:
        installed.cluster.speed = SPEED
        await monitor.aclose()


async def test_the_no_standby_finding_after_f5_says_what_the_next_line_says(installed):
    """Trial finding: after the demo's F5 (kill the connected Coreapp) the "no standby" finding said "start one
    more Coreapp on a new host" while the Next line said to start the killed one again."""
    monitor = HealthMonitor(installed.profile, interval=0.05, grace=1.0)
    try:
        first = await monitor.poll_once()
        installed.cluster.kill_container(owner_of(first), "wacore")
        done = await poll_until(monitor, lambda r: r.verdict and r.verdict.shards_served == 1)
        spare = next(d for d in done.current_findings if d.key == "NO_SPARE_COREAPP")
        assert spare.next_action == done.verdict.next_action
        assert done.verdict.next_action.startswith(f"start the Coreapp on {owner_of(first)} again")
    finally:
        await monitor.aclose()


async def test_during_a_planned_upgrade_the_words_count_restarts_and_alerts_pause(installed, tmp_path):
    locks = tmp_path / "locks"
    monitor = HealthMonitor(installed.profile, interval=0.05, grace=1.0,
                            planned=planned_state_reader(installed.profile, locks, runstate_dir=tmp_path / "clusters"))
    lock = ClusterLock.for_profile(locks, installed.profile)
    try:
        calm = await monitor.poll_once()
        assert calm.alerts_paused == "" and calm.verdict.level is Level.OK
        lock.acquire("upgrade")
        started = time.strftime("%H:%M", time.localtime())
        during = await monitor.poll_once()
        assert during.alerts_paused.startswith(f"alerts paused: upgrade running since {started}")
        assert during.verdict.headline.startswith("upgrading: 0 of 4 nodes restarted"), during.verdict.headline
        owner = owner_of(calm)
        # the upgrade recreates the Coreapp: down, then up with a new container id
        installed.cluster.kill_container(owner, "wacore")
        down = await monitor.poll_once()
        assert not down.worsened and down.new_findings == ()  # nothing alerts during the operation
        await _recreate(installed, owner)
        back = await poll_until(monitor, lambda r: r.verdict and "upgrading: 1 of 4" in r.verdict.headline)
        assert "alerts paused" in back.verdict.next_action
        lock.release()
        after = await monitor.poll_once()
        assert after.alerts_paused == "" and not after.verdict.headline.startswith("upgrading")
        assert any(e.text == "alerts resumed: upgrade ended" for e in after.new_entries)
        assert monitor.in_grace  # what the upgrade started may still be coming up: no alert right after "done"
        assert any(e.text.startswith("alerts paused: upgrade running") for e in monitor.timeline)
    finally:
        lock.release()
        await monitor.aclose()


async def _recreate(session, host: str) -> None:
    """``docker-compose up -d wacore`` on ``host`` over SSH: a new container, as an upgrade makes."""
    from tests.engine.test_monitor import ssh_run

    h = session.profile.host(host)
    compose = (f"EXTERNAL_HOSTNAME={host} WA_API_VERSION={session.profile.wa_api_version} "
               "docker-compose -f prod-multiconnect-compose.yml")
    res = await ssh_run(session, host, f"cd {h.remote_dir} && {compose} rm -f wacore && {compose} up -d wacore")
    assert res.exit_status == 0, res.stdout + res.stderr


async def test_after_an_uninstall_the_monitor_stops_alerting(installed, tmp_path):
    runstate = tmp_path / "clusters"
    monitor = HealthMonitor(installed.profile, interval=0.05, grace=1.0,
                            planned=planned_state_reader(installed.profile, None, runstate_dir=runstate))
    try:
        assert (await monitor.poll_once()).verdict.level is Level.OK
        at = time.time()
        write_run_state(installed.profile, runstate, installed=False, uninstalled_at=at)
        installed.cluster.set_webapp_error(503)  # whatever the hosts say now, nobody is paged
        gone = await monitor.poll_once()
        assert gone.notice == f"not installed (uninstalled at {time.strftime('%H:%M', time.localtime(at))})"
        assert gone.verdict is None and gone.error is None and not gone.worsened and gone.new_findings == ()
        assert any("stops alerting" in e.text for e in gone.new_entries)
        again = await monitor.poll_once()
        assert again.new_entries == ()  # said once
        write_run_state(installed.profile, runstate, started_at=time.time() + 1)  # installed again: polled again
        installed.cluster.set_webapp_error(None)
        back = await monitor.poll_once()
        assert back.notice == "" and back.verdict is not None
    finally:
        await monitor.aclose()


async def test_health_command_says_the_answer_age_the_pause_and_the_uninstall(installed):
    import json
    import sys

    from wabiz_tui.config.paths import app_paths

    async def health(*args):
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", "health", str(installed.profile_path),
                                                    *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode, out.decode() + err.decode()

    code, out = await health()
    assert code == 0 and "HA healthy" in out and " s old)" in out and "(answer " in out, out
    lock = ClusterLock.for_profile(app_paths().locks, installed.profile).acquire("upgrade")
    try:
        code, out = await health("--json")
        data = json.loads(out)
        assert data["alerts_paused"].startswith("alerts paused: upgrade running since ") and "age_s" in data
        assert data["verdict"]["headline"].startswith("upgrading: 0 of 4 nodes restarted")
    finally:
        lock.release()
    write_run_state(installed.profile, installed=False, uninstalled_at=time.time())
    installed.cluster.set_webapp_error(503)
    code, out = await health()
    assert code == 0 and "NOT INSTALLED: not installed (uninstalled at " in out, out
    code, out = await health("--grace", "5", "--poll-floor", "1")
    assert code == 0, out
