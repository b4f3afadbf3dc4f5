"""Full per-host output of a run, on disk (the panes keep only a bounded history)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TextIO


#: Seconds between flushes of the log files to disk (and always at close).
FLUSH_EVERY = 0.5


def unique_directory(parent: Path, name: str) -> Path:
    """Create and return ``parent/name`` (mode 700), or ``name-2``, ``name-3``… when it exists: each run gets a
    folder of its own even when two start in the same second (an install and its preflight did, and the
    preflight's commands then appeared twice in one host file). The creation itself is the claim
    (``mkdir`` fails on an existing directory), so two processes never share one."""
    Path(parent).mkdir(parents=True, exist_ok=True, mode=0o700)
    for n in range(1, 10_000):
        candidate = Path(parent) / (name if n == 1 else f"{name}-{n}")
        try:
            candidate.mkdir(mode=0o700)
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free folder name for {name} in {parent}")


class RunLog:
    """Appends each host's lines to ``<log_dir>/<profile>-<timestamp>-<procedure>[-N]/<host>.log`` (mode
    600), the folder made unique when the first line arrives (:func:`unique_directory`).

    Lines reaching it are already redacted by the workflow.
    """

    def __init__(self, log_dir: Path, profile_name: str, procedure: str = "run"):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self._parent = Path(log_dir)
        self._name = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', profile_name)}-{stamp}-{re.sub(r'[^A-Za-z0-9_.-]', '_', procedure)}"
        self._directory: Path | None = None
        self._files: dict[str, TextIO] = {}
        self._flushed = time.monotonic()

    @property
    def directory(self) -> Path:
        """This run's folder (created on first use)."""
        if self._directory is None:
            self._directory = unique_directory(self._parent, self._name)
        return self._directory

    @property
    def started(self) -> bool:
        """True once this run's folder exists (a line was written)."""
        return self._directory is not None

    def write(self, host: str, line: str) -> None:
        """Append ``line`` to ``host``'s file, creating it on first use."""
        self.write_many(host, (line,))

    def write_many(self, host: str, lines: list[str] | tuple[str, ...]) -> None:
        """Append ``lines`` (in order) to ``host``'s file, creating it on first use."""
        fh = self._files.get(host)
        if fh is None:
            path = self.directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', host)}.log"
            fh = open(path, "a", encoding="utf-8")
            path.chmod(0o600)
            self._files[host] = fh
        fh.write("\n".join(lines) + "\n" if len(lines) > 1 else lines[0] + "\n")
        now = time.monotonic()
        if now - self._flushed >= FLUSH_EVERY:  # flushing every line costs more than the streaming itself
            self._flushed = now
            for f in self._files.values():
                f.flush()

    def mark(self, line: str, hosts: tuple[str, ...] | list[str] = ()) -> Path:
        """Append ``line`` (already masked) to this run's ``run.log``, to every host file open now and to the files
        of ``hosts`` (e.g. ``ABORTED 2026-12-05T06:40:00Z: ...`` for the hosts of the step that was running), so
        whoever reads any of them sees it; returns ``run.log``."""
        summary = self.directory / "run.log"
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        summary.chmod(0o600)
        for host in [*self._files, *(h for h in hosts if h not in self._files)]:
            self.write(host, line)
        self.flush()
        return summary

    def note(self, line: str) -> Path:
        """Append ``line`` (already masked) to this run's ``run.log`` only (the host files are left alone: a node
        action on wa-core-1 is no line of wa-core-2's log); returns ``run.log``."""
        summary = self.directory / "run.log"
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        summary.chmod(0o600)
        return summary

    def flush(self) -> list[Path]:
        """Write what is buffered to disk now (before the files are read, e.g. packed into a bundle); returns
        the files written so far (none before the first line)."""
        for fh in self._files.values():
            fh.flush()
        self._flushed = time.monotonic()
        return [Path(fh.name) for fh in self._files.values()]

    def close(self) -> None:
        """Close every file."""
        for fh in self._files.values():
            fh.close()
        self._files.clear()
