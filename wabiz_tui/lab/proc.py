"""Processes by recorded identity (PID + start time), never by name: the machine may run other dockerds.

A process is alive when ``/proc/PID/stat`` exists, its state is not ``Z`` (zombie) and its start time equals
the recorded one (so a reused PID is never signalled). ``kill -0`` succeeds on zombies, which made a wait
loop run to its timeout in the prototype (lab-facts §10).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass

from .errors import LabError


def run(cmd: list[str], *, check: bool = True, input: str | bytes | None = None, timeout: float = 120,
        env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``cmd`` capturing text output; raises :class:`LabError` naming the command and its last stderr lines
    when it exits non-zero and ``check`` is set, or when it does not finish within ``timeout`` seconds."""
    text = not isinstance(input, bytes)
    try:
        proc = subprocess.run(cmd, capture_output=True, input=input, timeout=timeout, text=text, env=env)
    except subprocess.TimeoutExpired:
        raise LabError(f"{' '.join(cmd[:4])} did not finish within {timeout:.0f} s") from None
    except FileNotFoundError:
        raise LabError(f"{cmd[0]}: not installed") from None
    if check and proc.returncode != 0:
        err = proc.stderr if text else proc.stderr.decode(errors="replace")
        tail = "\n".join(err.strip().splitlines()[-4:])
        raise LabError(f"{' '.join(cmd[:6])} exited {proc.returncode}: {tail}")
    return proc


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()


def start_time(pid: int) -> int | None:
    """Field 22 of ``/proc/PID/stat`` (clock ticks since boot), or None when there is no such process."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def is_zombie(pid: int) -> bool:
    """Whether ``pid`` has exited but was not reaped yet (state ``Z``)."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] == "Z"


@dataclass(frozen=True)
class Proc:
    """A process the lab started: ``pid`` and its ``start`` time (ticks) at the moment it was recorded."""

    pid: int
    start: int

    @classmethod
    def of(cls, pid: int) -> "Proc":
        """Record ``pid`` now; raises :class:`LabError` when it already exited."""
        start = start_time(pid)
        if start is None:
            raise LabError(f"process {pid} exited right after it started")
        return cls(pid, start)

    def alive(self) -> bool:
        """True while the very process recorded runs (not a zombie, not a reused PID)."""
        fields = _stat_fields(self.pid)
        return bool(fields) and fields[0] != "Z" and int(fields[19]) == self.start

    def signal(self, sig: int) -> bool:
        """Send ``sig`` if the recorded process is alive; returns whether it was sent."""
        if not self.alive():
            return False
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def wait_gone(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the process to exit (zombie counts as exited)."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                return False
            try:  # reap it when it is our child (bring-up started it)
                os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.05)
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, wait ``timeout`` s, then SIGKILL and wait again."""
        if self.signal(signal.SIGTERM) and not self.wait_gone(timeout):
            self.signal(signal.SIGKILL)
            self.wait_gone(5)

    def to_json(self) -> list[int]:
        """``[pid, start]``, as the ledger stores it."""
        return [self.pid, self.start]

    @classmethod
    def from_json(cls, data) -> "Proc":
        """The :class:`Proc` of a ledger's ``[pid, start]``; raises ``ValueError``/``IndexError`` for another shape."""
        return cls(int(data[0]), int(data[1]))


def mnt_ns(pid: int) -> str | None:
    """The mount namespace id of ``pid`` (``mnt:[4026…]``), or None."""
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def pids_in_mnt_ns(ns: str) -> list[int]:
    """Every live PID whose mount namespace is ``ns`` (no PID namespace: hosts' processes are in our table)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and mnt_ns(int(entry)) == ns:
            out.append(int(entry))
    return out


def pss_kib(pid: int) -> int:
    """Proportional set size of ``pid`` in KiB from ``/proc/PID/smaps_rollup`` (0 when unreadable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
