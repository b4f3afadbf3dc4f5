"""Responsiveness of the TUI at scale (issue 17): the longest wait of a key press while

* 5 hosts stream 100,000 lines each into their panes (``streaming_bench``'s own child; target < 50 ms),
* the preflight checks 50 hosts (the real ``Preflight`` of step 5's gate against a 50-host simulated cluster
  in a process of its own, ``sim_server --hosts 50 --no-install``; target < 100 ms),
* 50 hosts start at once (a wizard step whose engine emits, for each of 50 hosts, a command, a few lines and
  its result, then three failures, through the app's event path; target < 100 ms),

each measured on this tree and on the tree before this work, side by side in one run: ``git archive ab2bfa1``
is extracted to ``/tmp/before-panes`` and each measurement runs in a child process whose ``PYTHONPATH`` puts
one tree or the other first, alternately (before, after, before, after…), so that both see the same machine.

A key's wait is measured as ``streaming_bench`` does: a thread, like the terminal driver's input thread, hands
an ``f12`` key to the driver and waits until the priority binding's action has run (the time from the press
to its handler), then pauses 50 ms and presses again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BEFORE_COMMIT = "ab2bfa1"
BEFORE_TREE = Path("/tmp/before-panes")
HERE = Path(__file__).resolve().parents[1]
KEY_PERIOD = 0.05
BIG = 50


def before_tree() -> Path:
    """The tree before this work, extracted once with ``git archive``."""
    if not (BEFORE_TREE / "wabiz_tui").is_dir():
        BEFORE_TREE.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(HERE), "archive", BEFORE_COMMIT], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(BEFORE_TREE)], input=archive.stdout, check=True)
    return BEFORE_TREE


# ---- in the child process ------------------------------------------------------------------------------------
class KeyProbe:
    """Presses ``f12`` through the app's driver every :data:`KEY_PERIOD` after the last one was handled."""

    def __init__(self) -> None:
        self.pings: list[float] = []
        self.waits: list[float] = []
        self.handled = threading.Event()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def hit(self) -> None:
        if self.pings:
            self.waits.append(time.monotonic() - self.pings.pop())
            self.handled.set()

    def start(self, app) -> None:
        from textual import events

        driver = app._driver

        def keyboard() -> None:
            while not self.stop.wait(KEY_PERIOD):
                self.handled.clear()
                self.pings.append(time.monotonic())
                driver.process_message(events.Key("f12", None))
                while not self.handled.wait(0.05):
                    if self.stop.is_set():
                        return

        self.thread = threading.Thread(target=keyboard, daemon=True)
        self.thread.start()

    def finish(self) -> dict:
        self.stop.set()
        if self.thread:
            self.thread.join()
        w = sorted(self.waits)
        return {"keys": len(w), "max_ms": w[-1] * 1000 if w else None, "p50_ms": w[len(w) // 2] * 1000 if w else None}


def bench_app_class():
    from textual.binding import Binding

    from wabiz_tui.tui import app as app_module
    from wabiz_tui.tui.app import WabizApp

    probe = KeyProbe()

    class BenchApp(WabizApp):
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
        BINDINGS = [Binding("f12", "bench_ping", "ping", priority=True, show=False)]

        def action_bench_ping(self) -> None:
            probe.hit()

    return BenchApp, probe


async def preflight_child(profile_path: str, workdir: Path) -> dict:
    """Step 5's preflight on the profile's hosts, keys pressed meanwhile."""
    from wabiz_tui.config.profile import load_profile
    from wabiz_tui.tui.steps import StepState

    profile = load_profile(Path(profile_path))
    BenchApp, probe = bench_app_class()
    app = BenchApp(profile, profile_path=Path(profile_path), log_dir=workdir / "saved", freeze_gc=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.states.update({n: StepState.DONE for n in range(1, 5)})
        app.goto_step(5)
        await pilot.pause(0.3)
        probe.start(app)
        await asyncio.sleep(0.5)
        t = time.perf_counter()
        await app.screen.primary_action()  # the gate: the preflight runs first
        await asyncio.sleep(0.2)
        while app.busy and time.perf_counter() - t < 300:
            await asyncio.sleep(0.02)
        seconds = time.perf_counter() - t
        result = probe.finish()
        table = app.screen.query_one("#preflight")
        result.update(seconds=seconds, checks=len(table.checks), clock_warnings=sum(
            1 for (_, name), (level, _) in table.checks.items() if name == "clock" and level != "ok"))
        await app.workers.wait_for_complete()
    return result


async def start_child(workdir: Path) -> dict:
    """Step 6 on 50 hosts, its engine emitting their start at once (three fail)."""
    from wabiz_tui.domain.model import ClusterProfile, DbEnv, HostSpec, Registration, Role, SshTarget, WebappApi
    from wabiz_tui.workflows.events import HostCommand, HostFinished, HostOutput, StepStarted
    from wabiz_tui.workflows.ha_install import HaInstall
    from wabiz_tui.workflows.settings import RunSettings

    names = ([(f"wa-web-{i}", Role.WEBAPP) for i in range(1, 5)] + [(f"wa-master-{i}", Role.MASTER) for i in range(1, 4)]
             + [(f"wa-core-{i}", Role.COREAPP) for i in range(1, BIG - 6)])
    hosts = tuple(HostSpec(n, SshTarget(host="127.0.0.1", port=2200 + i, user="wa"), (r,)) for i, (n, r) in enumerate(names))
    profile = ClusterProfile(name="bench", wa_api_version="2.41.2", hosts=hosts,
                             db=DbEnv(hostname="db.example.net", username="wauser", password="Bench-Db-Pass-1"),
                             webapp=WebappApi(url="https://127.0.0.1:9", self_signed_ok=True, admin_password="Bench-Admin-1"),
                             registration=Registration(cc="39", phone_number="3331234567", cert="QmVuY2g="))
    BenchApp, probe = bench_app_class()

    def factory(p, *, emit):
        return HaInstall(p, emit=emit, settings=RunSettings(log_dir=workdir / "logs"))

    app = BenchApp(profile, workflow_factory=factory, log_dir=workdir / "saved", freeze_gc=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        from wabiz_tui.tui.steps import StepState

        number = 6  # a step with host panes and no gate (step 5's preflight is measured on its own)
        app.states.update({n: StepState.DONE for n in range(1, number)})
        app.goto_step(number)
        await pilot.pause(0.5)
        wf = app.ensure_workflow()

        async def produce() -> bool:
            wf.emit(StepStarted(number, "start", tuple(n for n, _ in names)))
            for i, (host, _) in enumerate(names):
                wf.emit(HostCommand(host, "docker-compose -f prod-multiconnect-compose.yml up -d"))
                for k in range(3):
                    wf.emit(HostOutput(host, f"Creating biz_wacore_{k + 1} ... done"))
                await asyncio.sleep(0)
            for i, (host, _) in enumerate(names):
                failed = i % 17 == 7
                wf.emit(HostFinished(host, not failed, 1 if failed else 0, "up -d exited with status 1" if failed else ""))
                await asyncio.sleep(0)
            return True

        probe.start(app)
        await asyncio.sleep(0.5)
        t = time.perf_counter()
        app.start_step(number, call=produce)
        await asyncio.sleep(0.2)
        while app.busy and time.perf_counter() - t < 120:
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.0)  # the step's end and the next refreshes
        result = probe.finish()
        result["seconds"] = time.perf_counter() - t
        await app.workers.wait_for_complete()
        if app.workflow is not None:
            await app.workflow.close()
    return result


# ---- in the parent ----------------------------------------------------------------------------------------------
def run_child(tree: Path, args: list[str], home: Path) -> dict:
    """This file's ``--child`` in a process whose ``wabiz_tui`` is ``tree``'s."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = os.environ | {"PYTHONPATH": str(tree), "WABIZ_TUI_HOME": str(home)}
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(out), *args], env=env, cwd=tree,
                       check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text())


def run_streaming(tree: Path, lines: int, home: Path) -> dict:
    """``streaming_bench``'s child of ``tree`` (its own copy of the benchmark, its own ``wabiz_tui``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = os.environ | {"PYTHONPATH": str(tree), "WABIZ_TUI_HOME": str(home)}
        subprocess.run([sys.executable, "-m", "bench.streaming_bench", "--child", str(out), "--lines", str(lines)],
                       env=env, cwd=tree, check=True, stdout=subprocess.DEVNULL)
        r = json.loads(out.read_text())
        return {"max_ms": r["key_max_ms"], "p50_ms": r["key_p50_ms"], "keys": r["keys"], "seconds": r["elapsed"]}


def side_by_side(name: str, target_ms: float, before: list[dict], after: list[dict], extra: str = "") -> list[str]:
    worst_b = max(r["max_ms"] for r in before)
    worst_a = max(r["max_ms"] for r in after)
    med_b = sorted(r["p50_ms"] for r in before)[len(before) // 2]
    med_a = sorted(r["p50_ms"] for r in after)[len(after) // 2]
    verdict = "met" if worst_a < target_ms else "MISSED"
    return [f"  {name}: key wait max {worst_b:,.0f} ms before -> {worst_a:,.0f} ms after ({worst_b / worst_a:.1f}x); "
            f"median {med_b:.0f} -> {med_a:.0f} ms; target max < {target_ms:.0f} ms [{verdict}]{extra}",
            "    rounds before: " + ", ".join(f"{r['max_ms']:.0f}" for r in before)
            + " ms; after: " + ", ".join(f"{r['max_ms']:.0f}" for r in after) + " ms"]


def main(rounds: int = 2, lines: int = 100_000) -> list[str]:
    from .common import start_sim

    old = before_tree()
    trees = (("before", old), ("after", HERE))
    out = [f"responsiveness, before ({BEFORE_COMMIT}, {old}) and after ({HERE}), {rounds} alternating round(s) each:"]
    with tempfile.TemporaryDirectory() as home:
        results: dict[tuple[str, str], list[dict]] = {}
        for _ in range(rounds):
            for label, tree in trees:
                results.setdefault(("stream", label), []).append(run_streaming(tree, lines, Path(home)))
                results.setdefault(("start", label), []).append(run_child(tree, ["start"], Path(home)))
        with start_sim("--hosts", str(BIG), "--no-install") as sim:
            for _ in range(rounds):
                for label, tree in trees:
                    results.setdefault(("preflight", label), []).append(
                        run_child(tree, ["preflight", sim.profile], Path(home)))
    out += side_by_side(f"5 hosts x {lines:,} lines streaming", 50, results[("stream", "before")], results[("stream", "after")])
    pb, pa = results[("preflight", "before")], results[("preflight", "after")]
    out += side_by_side(f"preflight of {BIG} hosts", 100, pb, pa,
                        f"; preflight {max(r['seconds'] for r in pb):.1f} s -> {max(r['seconds'] for r in pa):.1f} s, "
                        f"false clock warnings {max(r['clock_warnings'] for r in pb)} -> {max(r['clock_warnings'] for r in pa)}")
    out += side_by_side(f"{BIG} hosts starting at once", 100, results[("start", "before")], results[("start", "after")])
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", type=Path, help="(internal) measure here, write JSON to this file")
    ap.add_argument("what", nargs="*", help="(internal) preflight PROFILE | start")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--lines", type=int, default=100_000)
    a = ap.parse_args()
    if a.child:
        with tempfile.TemporaryDirectory() as tmp:
            if a.what[0] == "preflight":
                result = asyncio.run(preflight_child(a.what[1], Path(tmp)))
            else:
                result = asyncio.run(start_child(Path(tmp)))
        a.child.write_text(json.dumps(result))
    else:
        for line in main(a.rounds, a.lines):
            print(line, flush=True)
