"""Debian's real ``prometheus`` scrapes ``wabiz-tui exporter`` (a subprocess) watching two clusters: the demo
simulator, installed, and a cluster whose Webapp accepts connections and never answers. The connected
Coreapp of the demo is killed; Prometheus's HTTP API must show the failover in the series, the shipped
WabizFailoverTooLong alert firing for that cluster only and resolving after the takeover, WabizNodeMissing
going pending then firing and resolving once the Coreapp is started again, and WabizWebappUnreachable
for the dead cluster only.

The shipped rules are used as printed, with every ``for:`` shortened to 3 s (the test's time scale: scrape
and evaluation every second, polls every 0.25 s, a failover grace of 2 s, the simulator's takeover ~7 s).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import subprocess
import sys
import time

import httpx

from tests.support import need_tool
from wabiz_tui.config.profile import save_profile
from wabiz_tui.exporter.rules import rules_text

from .helpers import SilentServer, free_port

DEADLINE = 90.0  # seconds for the whole scenario once Prometheus is up


class Prom:
    """The HTTP API of a running Prometheus (``/api/v1/...``)."""

    def __init__(self, base: str):
        self.base = base
        self.http = httpx.AsyncClient(base_url=base, timeout=5)

    async def query(self, expr: str) -> list[dict]:
        r = await self.http.get("/api/v1/query", params={"query": expr})
        r.raise_for_status()
        return r.json()["data"]["result"]

    async def query_range(self, expr: str, start: float, end: float) -> list[dict]:
        r = await self.http.get("/api/v1/query_range", params={"query": expr, "start": start, "end": end, "step": "1"})
        r.raise_for_status()
        return r.json()["data"]["result"]

    async def alerts(self) -> list[dict]:
        r = await self.http.get("/api/v1/alerts")
        r.raise_for_status()
        return r.json()["data"]["alerts"]

    async def until(self, what: str, check, timeout: float = 30.0, every: float = 0.2):
        """Call async ``check`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            got = await check()
            if got:
                return got
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(every)


def states(alerts: list[dict], name: str, cluster: str) -> set[str]:
    return {a["state"] for a in alerts if a["labels"]["alertname"] == name and a["labels"].get("cluster") == cluster}


async def ssh_run(session, host: str, command: str):
    import asyncssh

    c = session.cluster
    async with asyncssh.connect("127.0.0.1", c.ssh_port(host), username=c.ssh_user, client_keys=[str(c.client_key_path)],
                                known_hosts=str(c.known_hosts_path), config=None, agent_path=None) as conn:
        return await conn.run(command, check=False)


async def test_real_prometheus_sees_the_failover_and_the_alerts(installed, tmp_path):
    prometheus = need_tool("prometheus")
    async with SilentServer() as silent_port:
        demo_profile = installed.profile_path
        dead = installed.profile.with_changes(name="dead", webapp=dataclasses.replace(
            installed.profile.webapp, url=f"https://127.0.0.1:{silent_port}"))
        dead_profile = save_profile(dead, tmp_path / "dead.yaml")
        exporter_port, prom_port = free_port(), free_port()
        exporter = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "wabiz_tui", "exporter", str(demo_profile), str(dead_profile),
            "--listen", f"127.0.0.1:{exporter_port}", "--interval", "0.25", "--timeout", "2", "--grace", "2",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=os.environ.copy())
        rules = tmp_path / "rules.yml"
        rules.write_text(re.sub(r"(?m)^(\s+for: )\S+$", r"\g<1>3s", rules_text()))
        config = tmp_path / "prometheus.yml"
        config.write_text(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [{rules}]
scrape_configs:
  - job_name: wabiz
    static_configs: [{{targets: ["127.0.0.1:{exporter_port}"]}}]
""")
        prom_log = open(tmp_path / "prometheus.log", "wb")
        prom_proc = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                      f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=prom_log, stderr=prom_log)
        prom = Prom(f"http://127.0.0.1:{prom_port}")
        try:
            await asyncio.wait_for(exporter.stdout.readline(), 30)

            async def ready():
                try:
                    return (await prom.http.get("/-/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await prom.until("Prometheus ready", ready, timeout=60)
            t0 = time.time()
            owner_rows = await prom.until("the demo's served shard in Prometheus", lambda: prom.query(
                'wabiz_node_gateway_status{cluster="demo",expected_role="coreapp",status="connected"} == 1'), timeout=30)
            owner = owner_rows[0]["metric"]["host"]
            assert (await prom.query('wabiz_cluster_verdict{cluster="demo",wabiz_cluster_verdict="healthy"} == 1'))

            installed.cluster.speed = 1.0  # the simulator's takeover at its real pace: 6 s vacancy, then 1 s connecting
            killed_at = time.time()
            installed.cluster.kill_container(owner, "wacore")
            seen: dict[str, set[str]] = {"failover": set(), "missing": set()}

            async def firing_failover():
                alerts = await prom.alerts()
                seen["failover"] |= states(alerts, "WabizFailoverTooLong", "demo")
                seen["missing"] |= states(alerts, "WabizNodeMissing", "demo")
                return "firing" in seen["failover"]

            await prom.until("WabizFailoverTooLong firing", firing_failover, timeout=30)
            fired_at = time.time()

            async def resolved_after_takeover():
                alerts = await prom.alerts()
                seen["missing"] |= states(alerts, "WabizNodeMissing", "demo")
                served = await prom.query('wabiz_shards_served{cluster="demo"} == 1')
                return served and not states(alerts, "WabizFailoverTooLong", "demo")

            await prom.until("the takeover and WabizFailoverTooLong resolved", resolved_after_takeover, timeout=30)
            resolved_at = time.time()

            async def missing_firing():
                alerts = await prom.alerts()
                seen["missing"] |= states(alerts, "WabizNodeMissing", "demo")
                return "firing" in seen["missing"]

            await prom.until("WabizNodeMissing firing", missing_firing, timeout=30)
            assert seen["missing"] == {"pending", "firing"}, seen
            alerts = await prom.alerts()
            missing = [a for a in alerts if a["labels"]["alertname"] == "WabizNodeMissing"]
            assert {(a["labels"]["cluster"], a["labels"]["host"], a["labels"]["expected_role"]) for a in missing} == {
                ("demo", owner, "coreapp")}
            assert missing[0]["annotations"]["next_action"].startswith(f"On {owner}: ")
            # the dead cluster: unreachable (the poll timed out) and nothing else; the demo is never "unreachable"
            unreachable = await prom.until("WabizWebappUnreachable for the dead cluster", lambda: _named(
                prom, "WabizWebappUnreachable", "firing"), timeout=30)
            assert {a["labels"]["cluster"] for a in unreachable} == {"dead"}
            assert unreachable[0]["labels"]["wabiz_last_poll_error"] == "timeout"

            # start the Coreapp again (over SSH, as an operator would): it comes back as a standby, the alert resolves
            res = await ssh_run(installed, owner, "docker start biz_wacore_1")
            assert res.exit_status == 0, res.stderr

            async def missing_resolved():
                return (not states(await prom.alerts(), "WabizNodeMissing", "demo")
                        and await prom.query('wabiz_standby_coreapps{cluster="demo"} == 1'))

            await prom.until("WabizNodeMissing resolved", missing_resolved, timeout=30)
            # the series (queried last: the newest second of a range may not be there yet): the failover was in
            # progress, the owner stopped serving at the kill, another Coreapp took the shard
            end = time.time()
            failover = await prom.query_range('wabiz_failover_in_progress{cluster="demo"}', t0, end)
            assert max(float(v) for _, v in failover[0]["values"]) == 1
            connected = await prom.query_range(
                'wabiz_node_gateway_status{cluster="demo",expected_role="coreapp",status="connected"} == 1', t0, end)
            hosts = {row["metric"]["host"]: [t for t, _ in row["values"]] for row in connected}
            taker = next((h for h in hosts if h != owner), None)
            assert taker, (owner, hosts)
            assert max(hosts[owner]) < killed_at + 2 and min(hosts[taker]) > killed_at + 2, (killed_at, hosts)
            fired = await prom.query_range('ALERTS{alertname="WabizFailoverTooLong",alertstate="firing"}', t0, end)
            assert {row["metric"]["cluster"] for row in fired} == {"demo"}

            print(f"\nreal prometheus: failover alert fired {fired_at - killed_at:.1f} s after the kill, resolved "
                  f"{resolved_at - killed_at:.1f} s after it (takeover by {taker}); scenario {time.time() - t0:.1f} s")
            assert time.time() - t0 < DEADLINE
        finally:
            await prom.http.aclose()
            prom_proc.terminate()
            try:
                prom_proc.wait(30)
            except subprocess.TimeoutExpired:
                prom_proc.kill()
                prom_proc.wait()
            prom_log.close()
            if exporter.returncode is None:
                exporter.terminate()
            out, err = await asyncio.wait_for(exporter.communicate(), 30)
    assert exporter.returncode == 0 and b"Traceback" not in err, err.decode()
    assert installed.profile.webapp.admin_password.encode() not in out + err


async def _named(prom: Prom, name: str, state: str) -> list[dict]:
    return [a for a in await prom.alerts() if a["labels"]["alertname"] == name and a["state"] == state]
