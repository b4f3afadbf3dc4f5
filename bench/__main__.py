"""``python -m bench``: run every benchmark and print each ratio next to its target.

Each benchmark is its own module (``startup_bench``, ``fanout_bench``, ``streaming_bench``,
``health_bench``, ``logs_bench``) and can be run alone with ``python -m bench.<module>``.
``WABIZ_BENCH_LOG_MB=20,200`` sets the log-collection sizes (MB per container).
"""

from __future__ import annotations

import os
import platform
import sys
import time

from . import fanout_bench, health_bench, logs_bench, startup_bench, streaming_bench


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> int:
    print(f"machine: {platform.machine()} {cpu_model()}, nproc={os.cpu_count()}, python {platform.python_version()}, "
          f"load average at start {os.getloadavg()[0]:.2f}", flush=True)
    start = time.perf_counter()
    for name, run in (("start-up", startup_bench.main), ("fan-out", fanout_bench.main),
                      ("streaming", streaming_bench.main), ("health", health_bench.main),
                      ("log collection", lambda: logs_bench.main(logs_bench.sizes_from_env()))):
        t = time.perf_counter()
        for line in run():
            print(line, flush=True)
        print(f"  ({name}: {time.perf_counter() - t:.0f} s)", flush=True)
    print(f"total {time.perf_counter() - start:.0f} s (limit 600 s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
