"""Start-up: ``wabiz-tui --help`` and ``wabiz-tui health --help`` against a bare ``python -c pass``
in the same run (the interpreter's own start is the physical floor). Target: under 200 ms each,
without importing Textual or asyncssh (lazy imports)."""

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
    code = ("import sys\nfrom wabiz_tui import cli\ntry:\n    cli.main(%r)\nexcept SystemExit:\n    pass\n"
            "print('HEAVY:' + ','.join(m for m in ('textual', 'asyncssh', 'httpx', 'aiohttp') if m in sys.modules), file=sys.stderr)") % (args,)
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr
    line = next(l for l in err.splitlines() if l.startswith("HEAVY:"))
    return [m for m in line[len("HEAVY:"):].split(",") if m]


def main() -> list[str]:
    floor = timed([sys.executable, "-c", "pass"])
    lines = []
    for args in (["--help"], ["health", "--help"]):
        t = timed([sys.executable, "-m", "wabiz_tui", *args])
        heavy = heavy_modules(args)
        lines.append(f"start-up `wabiz-tui {' '.join(args)}`: {t * 1000:.0f} ms (target < 200 ms); bare python {floor * 1000:.0f} ms "
                     f"-> {t / floor:.1f}x the floor; heavy modules imported: {', '.join(heavy) or 'none'}")
    return lines


if __name__ == "__main__":
    for line in main():
        print(line)
