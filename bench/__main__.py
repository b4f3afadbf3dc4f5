"""``python -m bench``: run every benchmark and print each ratio next to its target."""

from __future__ import annotations

import platform
import sys

from . import logs_bench, startup_bench


def main() -> int:
    print(f"machine: {platform.machine()} {platform.processor() or ''} cores={__import__('os').cpu_count()} "
          f"python {platform.python_version()}", flush=True)
    for line in startup_bench.main():
        print(line, flush=True)
    for line in logs_bench.main():
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
