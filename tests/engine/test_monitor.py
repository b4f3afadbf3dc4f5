"""The health monitor and `wabiz-tui health` against the simulator, including a failover over SSH."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import asyncssh

from wabiz_tui.domain.health import Level
from wabiz_tui.workflows.monitor import HealthMonitor


async def poll_until(monitor: HealthMonitor, predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        result = await monitor.poll_once()
        if predicate(result):
            return result
        assert time.monotonic() < deadline, f"timed out; last: {result.verdict.headline if result.verdict else result.error}"
        await asyncio.sleep(0.05)


async def ssh_run(session, host: str, command: str) -> asyncssh.SSHCompletedProcess:
    c = session.cluster
    async with asyncssh.connect("127.0.0.1", c.ssh_port(host), username=c.ssh_user, client_keys=[str(c.client_key_path)],
                                known_hosts=str(c.known_hosts_path), config=None, agent_path=None) as conn:
        return await conn.run(command, check=False)


async def test_failover_is_seen_red_then_taken_over_and_recorded(installed):
    monitor = HealthMonitor(installed.profile, interval=0.05, grace=1.0)
    try:
        first = await monitor.poll_once()
        assert first.verdict.level is Level.OK
        owner = next(n.host for n in first.verdict.nodes if n.actual_status == "connected")
        # kill the connected coreapp over real SSH, as an operator would
        res = await ssh_run(installed, owner, "docker kill biz_wacore_1")
        assert res.exit_status == 0, res.stderr
        red = await poll_until(monitor, lambda r: r.verdict and any(n.host == owner and n.level is Level.FAILURE for n in r.verdict.nodes))
        assert red.verdict.level is not Level.OK
        back = await poll_until(monitor, lambda r: r.verdict and r.verdict.shards_served == 1)
        assert back.verdict.failures_tolerated == 0 and back.verdict.level is Level.WARNING
        texts = [e.text for e in monitor.timeline]
        takeover = [t for t in texts if "took over the shard of " + owner in t]
        assert takeover, texts
        assert any("disappeared" in t and owner in t for t in texts)
    finally:
        await monitor.aclose()


async def test_health_command_exit_codes_and_json(installed):
    async def health(*args):
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", "health", str(installed.profile_path), *args,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode, out.decode(), err.decode()

    code, out, err = await health()
    assert code == 0, out + err
    assert "HA healthy: 1/1 shard connected, 1 standby coreapp" in out
    code, out, _ = await health("--json")
    data = json.loads(out)
    assert code == 0 and data["verdict"]["level"] == "ok" and data["verdict"]["standby_coreapps"] == 1
    # a standby lost: served but nothing to fail over to -> degraded (1)
    verdict = json.loads(out)["verdict"]
    standby = next(n["host"] for n in verdict["nodes"] if n["level"] == "standby")
    installed.cluster.kill_container(standby, "wacore")
    code, out, _ = await health()
    assert code == 1 and "degraded" in out and "[NO_SPARE_COREAPP]" in out
    code, out, _ = await health("--json")
    assert {"NO_SPARE_COREAPP", "NODE_MISSING"} <= {f["key"] for f in json.loads(out)["findings"]}
    # the API down -> failing (2)
    installed.cluster.set_webapp_error(503)
    code, out, _ = await health("--json")
    assert code == 2 and json.loads(out)["error"]["status"] == 503
    assert installed.profile.webapp.admin_password not in out


async def test_health_command_with_a_bad_profile_exits_3(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [\n")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", "health", str(bad),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 3 and "not valid YAML" in err.decode() and b"Traceback" not in err


async def test_monitor_findings_appear_once_while_the_condition_lasts(installed):
    monitor = HealthMonitor(installed.profile, interval=0.05, grace=0.5)
    try:
        assert (await monitor.poll_once()).new_findings == ()
        standby = next(n.host for n in monitor.last.verdict.nodes if n.level is Level.STANDBY)
        installed.cluster.kill_container(standby, "wacore")
        first = await poll_until(monitor, lambda r: any(d.key == "NO_SPARE_COREAPP" for d in r.new_findings))
        assert {"NODE_MISSING", "NO_SPARE_COREAPP"} <= {d.key for d in first.new_findings}
        again = await monitor.poll_once()
        assert again.new_findings == ()  # shown once
        installed.cluster.set_webapp_error(503)
        down = await monitor.poll_once()
        assert down.verdict is None and down.error.status == 503  # reported as an API error, not a crash
        installed.cluster.set_webapp_error(None)
        back = await monitor.poll_once()
        assert "NO_SPARE_COREAPP" in {d.key for d in back.new_findings}  # shown again once it reappears
    finally:
        await monitor.aclose()
