"""Start-up: ``wabiz-tui --help`` and ``wabiz-tui health --help`` against a bare ``python -c pass``
in the same run (the interpreter's own start is the physical floor). Target: under 200 ms each,
without importing Textual or asyncssh (lazy imports).

First frame: a child process loads a profile file, builds ``WabizApp`` exactly as ``wabiz-tui
wizard``/``monitor`` do (``freeze_gc=True`` included) and runs it with Textual's headless driver; a
bench subclass reports Textual's ``Ready`` event (posted once the first screen has been laid out and
composited) and exits. The time is measured by this process from just before it spawns the child to
the child's report, so the interpreter's start and every import are in it. Next to it: a bare Textual app with one ``Static``,
the same way (Textual's own floor). Target: under 1.5 s."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15


def timed(cmd: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def heavy_modules(args: list[str]) -> list[str]:
    code = ("import sys\nfrom wabiz_tui.cli.main import main as cli\ntry:\n    cli(%r)\nexcept SystemExit:\n    pass\n"
            "print('HEAVY:' + ','.join(m for m in ('textual', 'asyncssh', 'httpx', 'aiohttp') if m in sys.modules), file=sys.stderr)") % (args,)
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr
    line = next(l for l in err.splitlines() if l.startswith("HEAVY:"))
    return [m for m in line[len("HEAVY:"):].split(",") if m]


FRAME_RUNS = 5

FIRST_FRAME_CHILD = r"""
import sys, time
from pathlib import Path
kind, profile_path = sys.argv[1], sys.argv[2]
if kind == "bare":
    from textual.app import App
    from textual.widgets import Static
    class Bare(App):
        def compose(self):
            yield Static("hello")
        def on_ready(self):
            print("READY", flush=True)
            self.exit()
    Bare().run(headless=True, size=(160, 48))
else:
    from wabiz_tui.config.profile import load_profile
    from wabiz_tui.tui import app as app_module
    from wabiz_tui.tui.app import WabizApp
    class Timed(WabizApp):
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
        def on_ready(self):
            print("READY " + type(self.screen).__name__, flush=True)
            self.exit()
    Timed(load_profile(Path(profile_path)), start_on=kind, bell=False, freeze_gc=True).run(headless=True, size=(160, 48))
"""


def first_frame(kind: str, profile_path: str, env: dict) -> float:
    samples = []
    for _ in range(FRAME_RUNS):
        t = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", FIRST_FRAME_CHILD, kind, profile_path], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env)
        line = p.stdout.readline()
        ready = time.perf_counter() - t
        p.wait()
        if not line.startswith("READY"):
            raise RuntimeError(f"the first-frame child ({kind}) did not report Ready")
        samples.append(ready)
    return statistics.median(samples)


def first_frame_lines() -> list[str]:
    import os
    import tempfile
    from pathlib import Path

    from wabiz_tui.config.profile import save_profile

    from .streaming_bench import profile

    with tempfile.TemporaryDirectory() as tmp:
        path = save_profile(profile(5), Path(tmp) / "bench.yaml")
        env = os.environ | {"WABIZ_TUI_HOME": tmp}
        bare = first_frame("bare", str(path), env)
        out = []
        for kind in ("wizard", "monitor"):
            t = first_frame(kind, str(path), env)
            out.append(f"first frame `wabiz-tui {kind} PROFILE` (headless, from process start): {t * 1000:.0f} ms "
                       f"(target < 1500 ms) [{'met' if t < 1.5 else 'MISSED'}]; bare Textual app {bare * 1000:.0f} ms "
                       f"-> {t / bare:.1f}x the floor")
        return out


def main() -> list[str]:
    floor = timed([sys.executable, "-c", "pass"])
    lines = []
    for args in (["--help"], ["health", "--help"]):
        t = timed([sys.executable, "-m", "wabiz_tui", *args])
        heavy = heavy_modules(args)
        lines.append(f"start-up `wabiz-tui {' '.join(args)}`: {t * 1000:.0f} ms (target < 200 ms); bare python {floor * 1000:.0f} ms "
                     f"-> {t / floor:.1f}x the floor; heavy modules imported: {', '.join(heavy) or 'none'}")
    return lines + first_frame_lines()


if __name__ == "__main__":
    for line in main():
        print(line)
