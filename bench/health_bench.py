"""Health: the cost of one poll's work on a big answer, and how fast a failover reaches the screen.

1. Poll cost. A 37-node ``/v1/health`` answer (32 shards: 32 connected Coreapps, 3 standby Coreapps,
   a primary and a secondary Master; 35 Coreapp hosts) is parsed (``json.loads`` of the raw bytes)
   and judged (``domain.health.judge``), then shown in the monitor's ``HealthPanel`` (its DataTable
   updated in place) inside a headless ``App.run_test``. Polls alternate between the healthy answer
   and one where a connected Coreapp is gone and a standby is ``connecting`` (so every update moves
   rows, like a failover); parse+judge, the table update, both together, and the update plus the
   next repaint are timed separately. Target: under 5 ms per poll. The floor shown next to it is
   ``json.loads`` alone (the least any client must do with the answer).

2. Failover detection latency. The simulator (own process, the demo's 5-host HA cluster, installed)
   kills the Coreapp that serves the shard and answers with the time it did (``time.monotonic``,
   one clock for every process of the machine); the TUI's monitor screen (``WabizApp`` started on the
   monitor, polling every ``interval`` s, headless) records when the node's row no longer says
   ``connected``, after the repaint. Kills land at random phases of the poll cycle. Target: at most the
   poll interval plus 250 ms; the physical limit is the interval plus one poll's round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import start_sim

POLLS = 200
INTERVAL = 1.0
KILLS = 6


# ------------------------------------------------------------------------------------------- poll cost
def big_answer(lost: bool) -> bytes:
    """The raw body: 32 connected Coreapps + 3 standbys (+ masters); ``lost``: wa-core-1 gone, wa-core-33 connecting."""
    health: dict[str, dict] = {"wa-master-1:m0000000001": {"gateway_status": "disconnected", "role": "primary_master"},
                               "wa-master-2:m0000000002": {"gateway_status": "disconnected", "role": "secondary_master"}}
    for i in range(1, 36):
        status = "connected" if i <= 32 else "disconnected"
        if lost and i == 33:
            status = "connecting"
        if lost and i == 1:
            continue
        health[f"wa-core-{i}:c{i:010d}"] = {"gateway_status": status, "role": "coreapp"}
    return json.dumps({"health": health, "meta": {"version": "v2.41.2", "api_status": "stable"}}).encode()


def big_plan(in_grace: bool = False):
    from wabiz_tui.domain.health import Plan

    return Plan(masters=("wa-master-1", "wa-master-2"), coreapps=tuple(f"wa-core-{i}" for i in range(1, 36)),
                webapps=("wa-web-1",), shards=32, registered=True, in_grace=in_grace)


async def poll_cost(polls: int) -> dict:
    from textual.app import App, ComposeResult

    from wabiz_tui.domain.health import judge, parse_health
    from wabiz_tui.tui import app as app_module
    from wabiz_tui.tui.widgets.health_table import HealthPanel

    class PanelApp(App):
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

        def compose(self) -> ComposeResult:
            yield HealthPanel()

    bodies = [big_answer(False), big_answer(True)]
    plan = big_plan()
    loads, judged, update, both, painted = [], [], [], [], []
    app = PanelApp()
    async with app.run_test(size=(200, 60)) as pilot:
        panel = app.query_one(HealthPanel)
        panel.show_verdict(judge(parse_health(json.loads(bodies[0])), plan))  # first answer: rows are added
        await pilot.pause()
        for i in range(polls):
            raw = bodies[(i + 1) % 2]
            t0 = time.perf_counter()
            json.loads(raw)
            t1 = time.perf_counter()
            verdict = judge(parse_health(json.loads(raw)), plan)
            t2 = time.perf_counter()
            panel.show_verdict(verdict)
            t3 = time.perf_counter()
            painted_now = asyncio.get_running_loop().create_future()
            panel.call_after_refresh(painted_now.set_result, None)
            await painted_now  # the table's repaint is done
            t4 = time.perf_counter()
            await pilot.pause()
            loads.append(t1 - t0)
            judged.append(t2 - t1)
            update.append(t3 - t2)
            both.append(t3 - t1)
            painted.append(t4 - t1)
        rows = panel.table.row_count
    return {"loads": loads, "judge": judged, "update": update, "both": both, "painted": painted, "rows": rows}


def stats(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"median {statistics.median(xs) * 1000:.2f} ms, p95 {xs[int(len(xs) * 0.95)] * 1000:.2f} ms, max {xs[-1] * 1000:.2f} ms"


# ------------------------------------------------------------------------------------------ failover
async def failover_child(profile_path: Path, interval: float, kills: int, seed: int) -> dict:
    """Runs in the TUI's own process; sends simulator commands through two inherited pipes (``BENCH_FDS``)."""
    from wabiz_tui.config.profile import load_profile
    from wabiz_tui.tui.app import WabizApp
    from wabiz_tui.tui.screens.monitor import MonitorScreen

    w, r = (int(x) for x in os.environ["BENCH_FDS"].split(","))
    to_sim = os.fdopen(w, "w", buffering=1)
    from_sim = os.fdopen(r, "r")

    def sim(cmd: str) -> str:
        to_sim.write(cmd + "\n")
        return from_sim.readline().strip()

    rng = random.Random(seed)
    profile = load_profile(profile_path)
    app = WabizApp(profile, start_on="monitor", monitor_interval=interval, bell=False)
    shown: list[tuple[float, dict]] = []
    results: list[float] = []
    poll_latency: list[float] = []
    async with app.run_test(size=(200, 60)):
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        original = screen.show_result

        def show_result(result):
            original(result)
            states = {n.host: n.actual_status for n in (result.verdict.nodes if result.verdict else ())
                      if n.expected_role == "coreapp" or n.actual_role == "coreapp"}
            poll_latency.append(result.latency)
            screen.call_after_refresh(lambda: shown.append((time.monotonic(), states)))

        screen.show_result = show_result

        async def until(pred, timeout: float = 30.0):
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                if shown and pred(shown[-1][1]):
                    return shown[-1][0]
                await asyncio.sleep(0.005)
            raise TimeoutError("the monitor did not show the expected state")

        await until(lambda s: list(s.values()).count("connected") == 1)
        for _ in range(kills):
            await asyncio.sleep(rng.uniform(0, interval))  # a random phase of the poll cycle
            answer = await asyncio.get_running_loop().run_in_executor(None, sim, "kill-connected")
            _, host, t_kill = answer.split()
            seen = await until(lambda s, h=host: s.get(h) != "connected")
            results.append(seen - float(t_kill))
            await until(lambda s: list(s.values()).count("connected") == 1)  # the standby took over
            await asyncio.get_running_loop().run_in_executor(None, sim, "restart")
            await until(lambda s: list(s.values()).count("connected") == 1 and "disconnected" in s.values()
                        and "missing" not in s.values())
    return {"latencies": results, "poll_latency": poll_latency}


def failover(interval: float, kills: int) -> dict:
    with start_sim() as sim:
        with tempfile.TemporaryDirectory() as home:
            r_out, w_out = os.pipe()   # child -> sim commands go through us: we relay on its behalf
            r_in, w_in = os.pipe()
            out_file = Path(home) / "result.json"
            child = subprocess.Popen(
                [sys.executable, "-m", "bench.health_bench", "--failover-child", sim.profile, "--interval", str(interval),
                 "--kills", str(kills), "--out", str(out_file)],
                pass_fds=(w_out, r_in), env=os.environ | {"WABIZ_TUI_HOME": home, "BENCH_FDS": f"{w_out},{r_in}"},
                stdout=subprocess.DEVNULL)
            os.close(w_out)
            os.close(r_in)
            with os.fdopen(r_out, "r") as cmds, os.fdopen(w_in, "w", buffering=1) as answers:
                for line in cmds:
                    answers.write(sim.command(line.strip()) + "\n")
            if child.wait() != 0:
                raise RuntimeError("the failover child failed")
            return json.loads(out_file.read_text())


# ------------------------------------------------------------------------------------------ report
def main(polls: int = POLLS, interval: float = INTERVAL, kills: int = KILLS) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cost.json"
        subprocess.run([sys.executable, "-m", "bench.health_bench", "--cost-child", str(out), "--polls", str(polls)],
                       check=True, env=os.environ | {"WABIZ_TUI_HOME": tmp}, stdout=subprocess.DEVNULL)
        c = json.loads(out.read_text())
    both_p95 = sorted(c["both"])[int(len(c["both"]) * 0.95)]
    lines = [
        f"health poll cost, {c['rows']}-row answer (32 shards + 3 standbys + 2 masters), {polls} polls alternating healthy/failover:",
        f"  json.loads alone (floor) {stats(c['loads'])}",
        f"  parse + judge            {stats(c['judge'])}",
        f"  DataTable update         {stats(c['update'])}",
        f"  judge + update           {stats(c['both'])} (target < 5 ms) [{'met' if both_p95 < 0.005 else 'MISSED'} at p95]",
        f"  judge + update + repaint {stats(c['painted'])}",
    ]
    f = failover(interval, kills)
    lat = f["latencies"]
    rtt = statistics.median(f["poll_latency"])
    limit = interval + 0.25
    lines.append(
        f"failover detection (monitor every {interval:g} s, {len(lat)} kills at random phases): max {max(lat) * 1000:.0f} ms, "
        f"median {statistics.median(lat) * 1000:.0f} ms (target <= interval + 250 ms = {limit * 1000:.0f} ms) "
        f"[{'met' if max(lat) <= limit else 'MISSED'}]; physical limit interval + one poll's round trip "
        f"({rtt * 1000:.0f} ms median) = {(interval + rtt) * 1000:.0f} ms")
    return lines


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--cost-child", type=Path)
    ap.add_argument("--failover-child", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--polls", type=int, default=POLLS)
    ap.add_argument("--interval", type=float, default=INTERVAL)
    ap.add_argument("--kills", type=int, default=KILLS)
    a = ap.parse_args()
    if a.cost_child:
        a.cost_child.write_text(json.dumps(asyncio.run(poll_cost(a.polls))))
    elif a.failover_child:
        a.out.write_text(json.dumps(asyncio.run(failover_child(a.failover_child, a.interval, a.kills, 7))))
    else:
        for line in main(a.polls, a.interval, a.kills):
            print(line, flush=True)
