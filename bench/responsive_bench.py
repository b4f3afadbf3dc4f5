"""Responsiveness of the TUI at scale (issue 17): the longest wait of a key press while

* 5 hosts stream 100,000 lines each into their panes (``streaming_bench``'s own child; target < 50 ms),
* the preflight checks 50 hosts (the real ``Preflight`` of step 5's gate against a 50-host simulated cluster
  in a process of its own, ``sim_server --hosts 50 --no-install``; target < 100 ms),
* 50 hosts start at once (a wizard step whose engine emits, for each of 50 hosts, a command, a few lines and
  its result, then three failures, through the app's event path; target < 100 ms),

each measured on this tree and on an earlier one (``--before COMMIT``, default :data:`BEFORE_COMMIT`), side by side
in one run: ``git archive COMMIT`` is extracted to ``/tmp/before-<commit>`` and each measurement runs in a child
process whose ``PYTHONPATH`` puts one tree or the other first, alternately (before, after, before, after…), so
that both see the same machine. The children of both trees run this tree's copy of the benchmark (copied to a
temporary folder that holds nothing else), so the two trees are measured by the same code. Each scenario prints
the key waits' median, 99th percentile and maximum for both trees, the same of the UI thread's CPU time between each
press and its handling (``pthread_getcpuclockid``: the loop's work the key waited behind, which other processes' load
does not inflate as it inflates the wall clock), the load average around its runs, and a ``VERDICT`` line: this tree's
longest wait against the target, on wall-clock time and on UI-thread CPU time (the wall-clock one is said unreliable
when the load average exceeded :data:`LOADED` per core). ``--rounds 5`` takes about 3-4 minutes on a quiet 2-core
machine. ``WABIZ_BENCH_TRACE=FILE`` makes each child write what held its slowest keys (``bench/turn_trace.py``).

A key's wait is measured as ``streaming_bench`` does: a thread, like the terminal driver's input thread, hands
an ``f12`` key to the driver and waits until the priority binding's action has run (the time from the press
to its handler), then pauses 50 ms and presses again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .common import stopped

#: The tree before this round's work (issue 17, round s7: main when it began). ``28f5622`` is the tree before round s6
#: (output batching, cell cache), ``ab2bfa1`` the one before the host table and the preflight off the loop.
BEFORE_COMMIT = "b1109f8"
HERE = Path(__file__).resolve().parents[1]
KEY_PERIOD = 0.05
BIG = 50
#: Load average per core above which the wall-clock figures are said to be unreliable (other processes' work).
LOADED = 0.75


def before_tree(commit: str = BEFORE_COMMIT) -> Path:
    """The tree at ``commit``, extracted once with ``git archive`` to ``/tmp/before-<commit>``."""
    tree = Path(f"/tmp/before-{commit}")
    if not (tree / "wabiz_tui").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(HERE), "archive", commit], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def percentiles(waits: list[float]) -> dict:
    """Median, 99th percentile and maximum of key waits given in seconds, in ms (None when no key was pressed)."""
    w = sorted(waits)
    if not w:
        return {"keys": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    return {"keys": len(w), "p50_ms": w[len(w) // 2] * 1000, "p99_ms": w[min(len(w) - 1, int(len(w) * 0.99))] * 1000,
            "max_ms": w[-1] * 1000}


# ---- in the child process ------------------------------------------------------------------------------------
class KeyProbe:
    """Presses ``f12`` through the app's driver every :data:`KEY_PERIOD` after the last one was handled."""

    def __init__(self) -> None:
        self.pings: list[float] = []
        self.waits: list[float] = []
        self.pressed: list[float] = []  # when each key was pressed (time.monotonic)
        #: CPU seconds the UI thread spent between each press and its handling: the loop's work the key waited
        #: behind, without the time the process waited for a core (other processes' load)
        self.cpu: list[float] = []
        self.cpu_at_press = 0.0
        self.clock = time.CLOCK_THREAD_CPUTIME_ID
        self.t0 = time.monotonic()
        self.handled = threading.Event()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        from .turn_trace import from_env

        self.trace = from_env()  # WABIZ_BENCH_TRACE=FILE: what held the slowest keys (bench/turn_trace.py)

    def hit(self) -> None:
        if self.pings:
            pressed = self.pings.pop()
            self.waits.append(time.monotonic() - pressed)
            self.cpu.append(time.clock_gettime(self.clock) - self.cpu_at_press)
            self.pressed.append(pressed)
            if self.trace is not None:
                self.trace.hit(self.waits[-1], self.cpu[-1])
            self.handled.set()

    def start(self, app) -> None:
        from textual import events

        driver = app._driver
        self.t0 = time.monotonic()
        self.clock = time.pthread_getcpuclockid(threading.get_ident())  # the UI thread's CPU clock

        def keyboard() -> None:
            while not self.stop.wait(KEY_PERIOD):
                self.handled.clear()
                self.cpu_at_press = time.clock_gettime(self.clock)
                if self.trace is not None:
                    self.trace.press()
                self.pings.append(time.monotonic())
                driver.process_message(events.Key("f12", None))
                while not self.handled.wait(0.05):
                    if self.stop.is_set():
                        return

        self.thread = threading.Thread(target=keyboard, daemon=True)
        self.thread.start()

    async def finish(self) -> dict:
        self.stop.set()
        if self.thread:
            await stopped(self.thread)  # not join(): the UI loop keeps handling the last key meanwhile
        from .turn_trace import dump_env

        dump_env(self.trace)
        worst = sorted(zip(self.waits, self.pressed), reverse=True)[:5]
        cpu = {f"cpu_{k}": v for k, v in percentiles(self.cpu).items() if k != "keys"}
        return percentiles(self.waits) | cpu | {"worst": [(round(w * 1000), round(t - self.t0, 2)) for w, t in worst]}


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
        result = await probe.finish()
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
        result = await probe.finish()
        result["seconds"] = time.perf_counter() - t
        await app.workers.wait_for_complete()
        if app.workflow is not None:
            await app.workflow.close()
    return result


# ---- in the parent ----------------------------------------------------------------------------------------------
def byte_compile(*folders: Path) -> None:
    """Compile the packages in ``folders`` (each tree's ``wabiz_tui``, the harness's ``bench``): the children then
    import byte code, as from an installed package. Without it, with ``PYTHONDONTWRITEBYTECODE`` set (this
    machine's environment), a module imported on first use (the preflight's, when step 5's gate starts) was
    compiled inside a key's wait: 117 ms of the gate's first turn in a profile."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *map(str, folders)], check=True, stdout=subprocess.DEVNULL)


def harness() -> Path:
    """A folder holding only a copy of this tree's ``bench`` package: the children of both trees run from it, so the
    same measuring code meets either ``wabiz_tui`` (``PYTHONPATH``)."""
    folder = Path(tempfile.mkdtemp(prefix="responsive-harness-"))
    shutil.copytree(HERE / "bench", folder / "bench", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def run_child(tree: Path, module: str, args: list[str], home: Path, where: Path) -> dict:
    """``python -m bench.<module> --child OUT ARGS`` from ``where`` (the harness), ``wabiz_tui`` from ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = os.environ | {"PYTHONPATH": str(tree), "WABIZ_TUI_HOME": str(home)}
        load = os.getloadavg()[0]
        subprocess.run([sys.executable, "-m", f"bench.{module}", "--child", str(out), *args], env=env, cwd=where,
                       check=True, stdout=subprocess.DEVNULL)
        result = json.loads(out.read_text())
        result["load"] = (load, os.getloadavg()[0])
        return result


def run_streaming(tree: Path, lines: int, home: Path, where: Path) -> dict:
    """``streaming_bench``'s child (the harness's copy) against ``tree``'s ``wabiz_tui``."""
    r = run_child(tree, "streaming_bench", ["--lines", str(lines)], home, where)
    return {"max_ms": r["key_max_ms"], "p50_ms": r["key_p50_ms"], "p99_ms": r.get("key_p99_ms"), "keys": r["keys"],
            "seconds": r["elapsed"], "load": r["load"], "worst": r.get("key_worst"),
            **{k[4:]: v for k, v in r.items() if k.startswith("key_cpu_")}}


def _fmt(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.1f}" if ms < 10 else f"{ms:,.0f}"


def side_by_side(name: str, target_ms: float, before: list[dict], after: list[dict], extra: str = "") -> list[str]:
    """Per tree: the median of the rounds' medians, the worst p99 and the worst maximum; the load around the runs."""
    def summary(rounds: list[dict]) -> tuple[float, float, float]:
        med = sorted(r["p50_ms"] for r in rounds)[len(rounds) // 2]
        return med, max((r.get("p99_ms") or r["max_ms"]) for r in rounds), max(r["max_ms"] for r in rounds)

    def cpu(rounds: list[dict]) -> tuple[float, float, float] | None:
        if any(r.get("cpu_max_ms") is None for r in rounds):
            return None
        return summary([{k[4:]: v for k, v in r.items() if k.startswith("cpu_")} for r in rounds])

    (mb, pb, xb), (ma, pa, xa) = summary(before), summary(after)
    cb, ca = cpu(before), cpu(after)
    loads = [x for r in before + after for x in r.get("load", ())]
    verdict = (f"this tree: target {'MET' if xa < target_ms else 'NOT MET'} on wall-clock time (max {_fmt(xa)} ms)"
               + (f", {'met' if ca[2] < target_ms else 'not met'} on UI-thread CPU (max {_fmt(ca[2])} ms)" if ca else ""))
    busy = max(loads, default=0.0) > LOADED * (os.cpu_count() or 1)
    return [f"  {name} (target: longest key wait < {target_ms:.0f} ms){extra}",
            f"    VERDICT {verdict}"
            + (f"; load average up to {max(loads):.1f} on {os.cpu_count()} cores: the wall-clock verdict is not "
               "reliable, the CPU one is" if busy else ""),
            f"    key wait, before: median {_fmt(mb)} / p99 {_fmt(pb)} / max {_fmt(xb)} ms;  after: median {_fmt(ma)} / "
            f"p99 {_fmt(pa)} / max {_fmt(xa)} ms;  max {xb / xa:.1f}x, p99 {pb / pa:.1f}x",
            *([f"    UI-thread CPU behind a key (load-independent), before: median {_fmt(cb[0])} / p99 {_fmt(cb[1])} / "
               f"max {_fmt(cb[2])} ms;  after: median {_fmt(ca[0])} / p99 {_fmt(ca[1])} / max {_fmt(ca[2])} ms"]
              if cb and ca else []),
            "    rounds (max ms) before: " + ", ".join(_fmt(r["max_ms"]) for r in before)
            + "; after: " + ", ".join(_fmt(r["max_ms"]) for r in after)
            + (f"; load average {min(loads):.1f}-{max(loads):.1f}" if loads else "")]


def main(rounds: int = 2, lines: int = 100_000, before: str = BEFORE_COMMIT,
         only: tuple[str, ...] = ("stream", "start", "preflight")) -> list[str]:
    from .common import start_sim

    started = time.monotonic()
    old = before_tree(before)
    trees = (("before", old), ("after", HERE))
    where = harness()
    byte_compile(old / "wabiz_tui", HERE / "wabiz_tui", where / "bench")
    out = [f"responsiveness, before ({before}, {old}) and after ({HERE}), {rounds} alternating round(s) each; "
           f"nproc {os.cpu_count()}, load average at the start {os.getloadavg()[0]:.2f}:"]
    try:
        with tempfile.TemporaryDirectory() as home:
            results: dict[tuple[str, str], list[dict]] = {}
            for _ in range(rounds):
                for label, tree in trees:
                    if "stream" in only:
                        results.setdefault(("stream", label), []).append(run_streaming(tree, lines, Path(home), where))
                    if "start" in only:
                        results.setdefault(("start", label), []).append(
                            run_child(tree, "responsive_bench", ["start"], Path(home), where))
            if "preflight" in only:
                with start_sim("--hosts", str(BIG), "--no-install") as sim:
                    for _ in range(rounds):
                        for label, tree in trees:
                            results.setdefault(("preflight", label), []).append(
                                run_child(tree, "responsive_bench", ["preflight", sim.profile], Path(home), where))
    finally:
        shutil.rmtree(where, ignore_errors=True)
    if "stream" in only:
        out += side_by_side(f"5 hosts x {lines:,} lines streaming", 50, results[("stream", "before")],
                            results[("stream", "after")])
    if "preflight" in only:
        pb, pa = results[("preflight", "before")], results[("preflight", "after")]
        out += side_by_side(f"preflight of {BIG} hosts", 100, pb, pa,
                            f"; preflight {max(r['seconds'] for r in pb):.1f} s -> {max(r['seconds'] for r in pa):.1f} s, "
                            f"false clock warnings {max(r['clock_warnings'] for r in pb)} -> "
                            f"{max(r['clock_warnings'] for r in pa)}")
    if "start" in only:
        out += side_by_side(f"{BIG} hosts starting at once", 100, results[("start", "before")], results[("start", "after")])
    out.append(f"  load average at the end {os.getloadavg()[0]:.2f}; {time.monotonic() - started:.0f} s in all")
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", type=Path, help="(internal) measure here, write JSON to this file")
    ap.add_argument("what", nargs="*", help="(internal) preflight PROFILE | start")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--before", default=BEFORE_COMMIT, help="the commit to compare with (default %(default)s)")
    ap.add_argument("--only", default="stream,start,preflight", help="scenarios, comma-separated")
    a = ap.parse_args()
    if a.child:
        with tempfile.TemporaryDirectory() as tmp:
            if a.what[0] == "preflight":
                result = asyncio.run(preflight_child(a.what[1], Path(tmp)))
            else:
                result = asyncio.run(start_child(Path(tmp)))
        a.child.write_text(json.dumps(result))
    else:
        for line in main(a.rounds, a.lines, a.before, tuple(a.only.split(","))):
            print(line, flush=True)
