"""Streaming: 5 hosts each printing ``--lines`` (default 100,000) lines as fast as they can into the
TUI's log panes, in a headless ``App.run_test``.

What is measured, in a child process of its own (so its peak RSS is the TUI's alone):

* the lines per second that reach the panes' ``Log`` widgets, from the first line emitted to the
  last line written into a widget, next to the engine alone on the same lines (the workflow's
  ``emit`` with the full-output files on disk, events dropped instead of shown): the ratio says what
  the display costs;
* the longest time a key press waits to be handled while streaming: a separate thread, like the
  terminal driver's input thread, sends an ``f12`` key through the driver, waits until it is handled,
  pauses 50 ms and sends the next; a priority binding of a bench subclass of ``WabizApp`` records
  when its action runs;
* peak RSS of the process (``wait4``), and that each pane keeps a bounded history while the full
  output is on disk (the run's ``<host>.log`` files hold every line).

The producer is synthetic but goes through the same event path as a real step: a wizard step run by
``WabizApp.start_step`` in its worker, whose engine (a real ``HaInstall`` with a log directory)
splits 16 KB byte chunks (the product's read size) with the same ``LineSplitter`` as ``remote.run`` and emits each
read's lines as ``HostSession.run`` does (``emit_read``: one ``HostOutput`` per line, through ``emit_lines`` where the
engine has it). Going through SSH would measure the simulator (one Python process printing
500,000 lines) instead of the TUI. Because producer and UI share one event loop here, every chunk
is handled in one go before a key can be: that is the worst case for key latency.

Targets: key wait under 100 ms; peak RSS under 250 MB.
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

from .common import MB, run_measured, stopped

HOSTS = 5
DEFAULT_LINES = 100_000
#: Bytes per simulated channel read: the product's own read size (``remote.run.READ_CHUNK``); the
#: stream gives the event loop a turn after each, as ``remote.run.run_streaming`` does.
CHUNK = 16384
KEY_PERIOD = 0.05


def make_line(host: str, i: int) -> bytes:
    """A docker-compose-logs-like line of about 110 bytes."""
    return (f"wacore_1  | 2026-03-01 12:{i // 6000 % 60:02d}:{i // 100 % 60:02d}.{i % 1000:03d} I [{host}] "
            f"main.cpp:55 message handler queue depth={i % 97} seq={i:07d} ok\n").encode()


def chunks(host: str, n: int, size: int = CHUNK) -> list[bytes]:
    """The host's output cut in ``size`` pieces, like SSH channel reads (lines may straddle two)."""
    data = b"".join(make_line(host, i) for i in range(n))
    return [data[i:i + size] for i in range(0, len(data), size)]


def emit_read(wf, host: str, lines: list[str]) -> None:
    """The lines of one read of ``host``, as ``HostSession.run`` emits them: at once through the engine's
    ``emit_lines`` where it has one (this tree), else one ``HostOutput`` per line (a tree before it)."""
    emit_lines = getattr(wf, "emit_lines", None)
    if emit_lines is not None:
        emit_lines(host, lines)
        return
    from wabiz_tui.workflows.events import HostOutput

    for line in lines:
        wf.emit(HostOutput(host, line))


def profile(n_hosts: int):
    from wabiz_tui.domain.model import ClusterProfile, DbEnv, HostSpec, Registration, Role, SshTarget, WebappApi

    roles = [(Role.WEBAPP,), (Role.MASTER,), (Role.MASTER,)] + [(Role.COREAPP,)] * max(0, n_hosts - 3)
    hosts = tuple(HostSpec(f"wa-host-{i + 1}", SshTarget(host="127.0.0.1", port=2200 + i, user="wa"), roles[i])
                  for i in range(n_hosts))
    return ClusterProfile(
        name="bench", wa_api_version="2.41.2", hosts=hosts,
        db=DbEnv(hostname="db.example.net", username="wauser", password="Bench-Db-Pass-1"),
        webapp=WebappApi(url="https://127.0.0.1:9", self_signed_ok=True, admin_password="Bench-Admin-Pass-1"),
        registration=Registration(cc="39", phone_number="3331234567", cert="QmVuY2g="))


async def child(n_lines: int, workdir: Path) -> dict:
    from textual import events
    from textual.binding import Binding

    from wabiz_tui.domain.text import LineSplitter
    from wabiz_tui.tui import app as app_module
    from wabiz_tui.tui.app import WabizApp
    from wabiz_tui.tui.widgets.host_log import MAX_HISTORY, MAX_LINES, HostLogPane
    from wabiz_tui.workflows.events import HostCommand, HostFinished, HostOutput, discard
    from wabiz_tui.workflows.ha_install import HaInstall
    from wabiz_tui.workflows.settings import RunSettings

    from wabiz_tui.remote.run import READ_CHUNK

    assert READ_CHUNK == CHUNK, "keep the bench's read size the product's"
    prof = profile(HOSTS)
    names = [h.external_hostname for h in prof.hosts]
    data = {h: chunks(h, n_lines) for h in names}
    total = n_lines * HOSTS

    # ---- the engine alone: split + emit + full output on disk, events dropped
    eng_dir = workdir / "engine-logs"
    wf0 = HaInstall(prof, emit=discard, settings=RunSettings(log_dir=eng_dir))
    t = time.perf_counter()
    for h in names:
        sp = LineSplitter()
        for c in data[h]:
            emit_read(wf0, h, sp.feed(c))
    await wf0.close()
    engine_lps = total / (time.perf_counter() - t)

    # ---- the TUI
    from .turn_trace import dump_env, from_env

    trace = from_env()
    pings: list[float] = []
    waits: list[float] = []
    when: list[float] = []  # when each key was pressed (time.monotonic)
    cpu: list[float] = []  # CPU seconds of the UI thread between each press and its handling (load-independent)
    cpu_at_press = [0.0]
    clock = [time.pthread_getcpuclockid(threading.get_ident())]
    handled = threading.Event()

    class BenchApp(WabizApp):
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
        BINDINGS = [Binding("f12", "bench_ping", "ping", priority=True, show=False)]

        def action_bench_ping(self) -> None:
            if pings:
                cpu.append(time.clock_gettime(clock[0]) - cpu_at_press[0])
                now = time.monotonic()
                waits.append(now - pings[-1])
                if trace is not None:
                    trace.hit(waits[-1], cpu[-1])
                when.append(pings.pop())
                handled.set()

    log_dir = workdir / "run-logs"

    def factory(p, *, emit):
        return HaInstall(p, emit=emit, settings=RunSettings(log_dir=log_dir))

    app = BenchApp(prof, workflow_factory=factory, log_dir=workdir / "saved", freeze_gc=True)  # as the faces run it
    written = {"n": 0, "last": 0.0}
    async with app.run_test(size=(180, 50)) as pilot:
        await pilot.pause()
        number = app.current
        screen = app.step_screen(number)
        panes = list(screen.query(HostLogPane))
        assert [p.host for p in panes] == names, [p.host for p in panes]
        for pane in panes:
            widget = pane.log_widget
            original = widget.write_lines

            def counting(lines, scroll_end=None, _orig=original):
                lines = list(lines)
                written["n"] += len(lines)
                written["last"] = time.perf_counter()
                return _orig(lines, scroll_end=scroll_end)

            widget.write_lines = counting
        wf = app.ensure_workflow()

        produced = {"done": False}

        async def host_stream(h: str) -> None:
            wf.emit(HostCommand(h, "docker-compose logs -f"))
            sp = LineSplitter()
            for c in data[h]:
                emit_read(wf, h, sp.feed(c))
                await asyncio.sleep(0)  # the next SSH read
            emit_read(wf, h, sp.close())
            wf.emit(HostFinished(h, True, 0, ""))

        async def produce() -> bool:
            await asyncio.gather(*(host_stream(h) for h in names))
            produced["done"] = True
            return True

        stop = threading.Event()
        driver = app._driver

        def keyboard() -> None:
            """Like the terminal driver's input thread: one key at a time, the next 50 ms after it was handled."""
            while not stop.wait(KEY_PERIOD):
                handled.clear()
                cpu_at_press[0] = time.clock_gettime(clock[0])
                if trace is not None:
                    trace.press()
                pings.append(time.monotonic())
                driver.process_message(events.Key("f12", None))
                while not handled.wait(0.05):
                    if stop.is_set():
                        return

        kb = threading.Thread(target=keyboard, daemon=True)  # first 1 s idle: the floor of a key's wait
        kb.start()
        await asyncio.sleep(1.0)
        idle_waits = list(waits)
        if trace is not None:
            trace.keys.clear()
        waits.clear()
        when.clear()
        cpu.clear()
        t_start = time.perf_counter()
        m_start = time.monotonic()
        app.start_step(number, call=produce)
        deadline = time.monotonic() + 300
        def all_shown() -> bool:  # the panes' queues (an older tree kept them in the pane, a newer one in the grid)
            return produced["done"] and not any(getattr(p, "_pending", None) for p in panes) and not any(
                getattr(g, "pending", None) for g in {p.parent for p in panes})

        while not all_shown() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        stop.set()
        await stopped(kb)
        dump_env(trace)
        await pilot.pause(0.2)
        elapsed = written["last"] - t_start
        history = [len(p.history) for p in panes]
        shown = [p.log_widget.line_count for p in panes]
        await app.workers.wait_for_complete()
        if app.workflow is not None:
            await app.workflow.close()
    on_disk = {}
    for f in log_dir.rglob("*.log"):
        with open(f, "rb") as fh:
            on_disk[f.stem] = sum(1 for _ in fh)
    return {"lines": total, "drawn": written["n"], "elapsed": elapsed, "tui_lps": total / elapsed,
            "engine_lps": engine_lps, "key_max_ms": max(waits) * 1000 if waits else None,
            "key_p50_ms": sorted(waits)[len(waits) // 2] * 1000 if waits else None, "keys": len(waits),
            "key_p99_ms": sorted(waits)[min(len(waits) - 1, int(len(waits) * 0.99))] * 1000 if waits else None,
            "key_idle_max_ms": max(idle_waits) * 1000 if idle_waits else None,
            "key_cpu_p50_ms": sorted(cpu)[len(cpu) // 2] * 1000 if cpu else None,
            "key_cpu_p99_ms": sorted(cpu)[min(len(cpu) - 1, int(len(cpu) * 0.99))] * 1000 if cpu else None,
            "key_cpu_max_ms": max(cpu) * 1000 if cpu else None,
            "key_worst": sorted(((round(w * 1000), round(t - m_start, 2)) for w, t in zip(waits, when)), reverse=True)[:5],
            "history_max": max(history), "history_bound": MAX_HISTORY, "shown_max": max(shown), "shown_bound": MAX_LINES,
            "disk_lines_min": min(on_disk.values()) if on_disk else 0, "disk_files": len(on_disk)}


def run_child(n_lines: int) -> tuple[dict, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "bench.streaming_bench", "--child", str(out), "--lines", str(n_lines)]
        _, rss = run_measured(cmd, env=os.environ | {"WABIZ_TUI_HOME": tmp},
                              stdout=subprocess.DEVNULL)
        return json.loads(out.read_text()), rss


def report(label: str, r: dict, rss: int) -> list[str]:
    ratio = r["tui_lps"] / r["engine_lps"]
    key = r["key_max_ms"]
    return [
        f"  {label}: lines reaching the panes {r['tui_lps']:,.0f}/s ({r['lines']:,} lines in {r['elapsed']:.1f} s; "
        f"{r['drawn']:,} drawn into the Log widgets) vs engine alone (split + emit + disk) {r['engine_lps']:,.0f}/s "
        f"-> ratio {ratio:.2f}",
        f"    key press wait while streaming: max {key:.0f} ms, median {r['key_p50_ms']:.0f} ms over {r['keys']} keys "
        f"(target max < 100 ms) [{'met' if key < 100 else 'MISSED'}]; idle app before the stream: max {r['key_idle_max_ms']:.1f} ms",
        f"    peak RSS {rss / MB:.0f} MB (target < 250 MB) [{'met' if rss < 250 * MB else 'MISSED'}]; pane history max "
        f"{r['history_max']:,} lines (bound {r['history_bound']:,}), widget {r['shown_max']:,} lines (bound {r['shown_bound']:,}); "
        f"full output on disk: {r['disk_files']} files, >= {r['disk_lines_min']:,} lines each",
    ]


def main(n_lines: int = DEFAULT_LINES) -> list[str]:
    lines = [f"streaming {HOSTS} hosts x {n_lines:,} lines (synthetic producer -> HostOutput events -> WabizApp panes, "
             f"headless run_test):"]
    r, rss = run_child(n_lines)
    lines += report("wabiz-tui", r, rss)
    return lines


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", type=Path, help="(internal) run the measurement here and write JSON to this file")
    ap.add_argument("--lines", type=int, default=DEFAULT_LINES)
    a = ap.parse_args()
    if a.child:
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(child(a.lines, Path(tmp)))
        a.child.write_text(json.dumps(result))
    else:
        for line in main(a.lines):
            print(line, flush=True)
