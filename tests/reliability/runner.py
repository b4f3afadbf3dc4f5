"""Runs profile files through ``wabiz-tui plan`` in this process, one at a time, measuring each.

Usage: ``python -m tests.reliability.runner FILE...``; prints one JSON line per file:
``{"file", "exit", "seconds", "peak_mb", "stderr_lines", "first_line", "traceback"}``. The address space
is capped (RLIMIT_AS) so a case that escaped the bounds fails with MemoryError instead of eating the machine.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
import tracemalloc

#: the address-space cap of the runner process (the interpreter and the app take ~150 MB of it)
ADDRESS_SPACE = 1536 * 1024 * 1024


def main(files: list[str]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    from wabiz_tui.cli import main as cli

    from tests.reliability.corpus import base, dump

    warm = Path(tempfile.mkdtemp()) / "valid.yaml"
    warm.write_text(dump(base()))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        cli.main(["plan", str(warm)])  # imports done once, outside the measures
    for f in files:
        out, err = io.StringIO(), io.StringIO()
        tracemalloc.start()
        t0 = time.monotonic()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(["plan", f])
        except BaseException as exc:  # noqa: BLE001 - recorded as a crash of the case
            code = f"raised {type(exc).__name__}"
        seconds = time.monotonic() - t0
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        text = err.getvalue()
        lines = [l for l in text.splitlines() if l.strip()]
        print(json.dumps({"file": f, "exit": code, "seconds": round(seconds, 3), "peak_mb": round(peak, 1),
                          "stderr_lines": len(lines), "first_line": lines[0][:300] if lines else "",
                          "traceback": "Traceback" in text or "crash-" in text}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
