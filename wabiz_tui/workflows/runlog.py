"""Full per-host output of a run, on disk (the panes keep only a bounded history)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TextIO


#: Seconds between flushes of the log files to disk (and always at close).
FLUSH_EVERY = 0.5


class RunLog:
    """Appends each host's lines to ``<log_dir>/<profile>-<timestamp>/<host>.log`` (mode 600).

    Lines reaching it are already redacted by the workflow.
    """

    def __init__(self, log_dir: Path, profile_name: str):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.directory = Path(log_dir) / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', profile_name)}-{stamp}"
        self._files: dict[str, TextIO] = {}
        self._flushed = time.monotonic()

    def write(self, host: str, line: str) -> None:
        """Append ``line`` to ``host``'s file, creating it on first use."""
        fh = self._files.get(host)
        if fh is None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', host)}.log"
            fh = open(path, "a", encoding="utf-8")
            path.chmod(0o600)
            self._files[host] = fh
        fh.write(line + "\n")
        now = time.monotonic()
        if now - self._flushed >= FLUSH_EVERY:  # flushing every line costs more than the streaming itself
            self._flushed = now
            for f in self._files.values():
                f.flush()

    def flush(self) -> None:
        """Write what is buffered to disk now (before the files are read, e.g. packed into a bundle)."""
        for fh in self._files.values():
            fh.flush()
        self._flushed = time.monotonic()

    def close(self) -> None:
        """Close every file."""
        for fh in self._files.values():
            fh.close()
        self._files.clear()
