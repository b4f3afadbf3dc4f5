"""One process per cluster: an advisory lock file in the state directory (``locks/<cluster>.lock``).

The lock is ``fcntl.flock`` on the open file: the kernel releases it when the holder exits, even on
``kill -9``, so a crashed run never leaves a stale lock. The holder writes who it is (command, pid,
start time, UTC) into the file, so a refused process can say who holds the cluster. Read-only commands
(``health``, ``plan``, ``doctor``, ``monitor``, ``exporter``) never take it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from ..domain.model import ClusterProfile


class ClusterBusy(RuntimeError):
    """Another process holds the cluster's lock; the message says who (command, pid, since) and what to do."""

    def __init__(self, cluster: str, holder: dict[str, Any], path: Path) -> None:
        self.holder = holder
        self.path = path
        who = (f"{holder.get('command', 'another wabiz-tui')} (pid {holder.get('pid', '?')}, since {holder.get('since', '?')})"
               if holder else "another wabiz-tui process")
        super().__init__(f"cluster {cluster!r} is being worked on by {who}; one process at a time per cluster. "
                         f"Wait for it to finish (or stop it), then run this again. Lock file: {path}")


def cluster_key(name: str, endpoints: list[tuple[str, str, int]]) -> str:
    """The lock's file stem: the profile name plus a digest of the hosts' SSH endpoints ``(hostname, ssh host, port)``,
    so two profiles naming the same hosts share one lock only when they also share the name."""
    digest = hashlib.sha256(repr(sorted(endpoints)).encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}-{digest}"


class ClusterLock:
    """The lock of one cluster. :meth:`acquire` (non-blocking) raises :class:`ClusterBusy`; :meth:`release`
    frees it (also done by the kernel when the process ends). Re-entrant within one object."""

    @classmethod
    def for_profile(cls, directory: Path, profile: ClusterProfile) -> "ClusterLock":
        """The lock of the cluster ``profile`` describes, in ``directory`` (the state directory's ``locks/``)."""
        endpoints = [(h.external_hostname, h.ssh.alias or h.ssh.host, h.ssh.port) for h in profile.hosts]
        return cls(directory, profile.name, cluster_key(profile.name, endpoints))

    def __init__(self, directory: Path, cluster: str, key: str):
        self.cluster = cluster
        self.path = Path(directory) / f"{key}.lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self, command: str) -> "ClusterLock":
        """Take the lock for ``command`` (e.g. ``"install"``) or raise :class:`ClusterBusy` naming the holder.
        Raises ``OSError`` when the state directory cannot hold the lock file."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._read_settled(fd)
            os.close(fd)
            raise ClusterBusy(self.cluster, holder, self.path) from None
        except BaseException:
            os.close(fd)
            raise
        info = {"command": command, "pid": os.getpid(),
                "since": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
        # cut first: a reader must never take the previous holder's record for this one's
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return self

    @staticmethod
    def _read(fd: int) -> dict[str, Any]:
        try:
            data = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
            return data if isinstance(data, dict) else {}
        except ValueError:
            return {}

    @classmethod
    def _read_settled(cls, fd: int, wait: float = 0.5) -> dict[str, Any]:
        """The holder's record, waiting up to ``wait`` seconds for it: between a holder's ``flock`` and its write
        the file is empty (or has the previous holder's record cut short), and a refusal that says only "another
        process" loses the pid the operator needs (seen in CI: two installs started together)."""
        deadline = time.monotonic() + wait
        while True:
            info = cls._read(fd)
            if info.get("pid") or time.monotonic() >= deadline:
                return info
            time.sleep(0.01)

    def holder(self) -> dict[str, Any]:
        """Who holds the lock now (``{}`` when nobody does or the file is unreadable)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return {}
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return self._read_settled(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return {}
        finally:
            os.close(fd)

    def note_operation(self, operation: str, doing: str = "") -> None:
        """Say in the held lock what this holder does now (``"upgrade"``, ``"node-action"``; ``""``: nothing) and,
        in ``doing``, what exactly in words (``"restart of wacore on wa-core-1"``; "": the operation's own words):
        the TUI keeps its lock for its whole life, so readers (the exporter, another window's monitor,
        ``health --watch``) learn from these fields whether an operation runs (``operation``, ``operation_doing``,
        ``operation_since`` UTC beside ``command``/``pid``/``since``). No-op when the lock is not held."""
        if self._fd is None:
            return
        info = self._read(self._fd)
        info["operation"] = operation
        info["operation_doing"] = doing if operation else ""
        info["operation_since"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()) if operation else ""
        data = json.dumps(info).encode()
        # written over the old content, then cut to length: a reader never sees an empty file ("no operation")
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))

    def release(self) -> None:
        """Free the lock (the file stays; its content is only read while it is locked)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> "ClusterLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
