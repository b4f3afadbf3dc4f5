"""``python -m bench``: run every benchmark and print each ratio next to its target.

Each benchmark is its own module (``startup_bench``, ``fanout_bench``, ``streaming_bench``,
``health_bench``, ``logs_bench``) and can be run alone with ``python -m bench.<module>``.
``WABIZ_BENCH_LOG_MB=20,200`` sets the log-collection sizes (MB per container).

``--lab`` adds the benchmarks on real parts (``lab_bench``: brings a 6-host lab up and down, about 2 minutes;
``--lab-hosts 6,20`` for more sizes). They are not run by default: they need root on Linux with the lab's
packages, and the lab uses fixed namespaces and addresses, so two at once on one machine break each other.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from . import fanout_bench, health_bench, lab_bench, logs_bench, startup_bench, streaming_bench


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def lab_part(args: argparse.Namespace):
    """The lab benchmark's runner, or None after printing why it does not run here."""
    if not args.lab:
        print("lab (real parts): not run; add --lab (root on Linux with the lab's packages: brings a 6-host lab up and "
              "down, about 2 minutes)", flush=True)
        return None
    why = lab_bench.can_run()
    if why:
        print(f"lab (real parts): skipped: {why}", flush=True)
        return None
    return lambda: lab_bench.main(args.lab_hosts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description="run every benchmark, each ratio next to its target")
    ap.add_argument("--lab", action="store_true", help="also the benchmarks on real parts (lab_bench; root, Linux)")
    ap.add_argument("--lab-hosts", type=lab_bench.lab_sizes, default=(6,), help="lab sizes for --lab (1-38 each), e.g. 6,20 (default 6)")
    args = ap.parse_args(argv)
    lab = lab_part(args)
    print(f"machine: {platform.machine()} {cpu_model()}, nproc={os.cpu_count()}, python {platform.python_version()}, "
          f"load average at start {os.getloadavg()[0]:.2f}", flush=True)
    start = time.perf_counter()
    for name, run in (("start-up", startup_bench.main), ("fan-out", fanout_bench.main),
                      ("streaming", streaming_bench.main), ("health", health_bench.main),
                      ("log collection", lambda: logs_bench.main(logs_bench.sizes_from_env())),
                      *([("lab", lab)] if lab else [])):
        t = time.perf_counter()
        for line in run():
            print(line, flush=True)
        print(f"  ({name}: {time.perf_counter() - t:.0f} s)", flush=True)
    print(f"total {time.perf_counter() - start:.0f} s (limit 600 s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
