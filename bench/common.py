"""Helpers shared by the benchmarks: the simulator process, OpenSSH options, timing a child process."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

MB = 1_000_000


@dataclass
class Sim:
    """A running ``bench.sim_server`` process and what it printed."""

    proc: subprocess.Popen
    profile: str = ""
    key: str = ""
    known_hosts: str = ""
    hosts: list[tuple[str, int]] = field(default_factory=list)

    def command(self, line: str) -> str:
        """Send one stdin command and return its one-line answer."""
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError(f"the simulator process ended while answering {line!r}")
        return answer.strip()

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the simulator process has used so far (``/proc/<pid>/stat``)."""
        return process_cpu(self.proc.pid)

    def stop(self) -> None:
        """Close its stdin (it stops its cluster and exits) and wait."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        finally:
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "Sim":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_sim(*args: str) -> Sim:
    """Start ``python -m bench.sim_server ARGS`` and wait for its ``ready`` line."""
    proc = subprocess.Popen([sys.executable, "-m", "bench.sim_server", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    sim = Sim(proc)
    assert proc.stdout
    while True:
        line = proc.stdout.readline()
        if not line:
            proc.wait()
            raise RuntimeError("the simulator process ended early")
        key, _, value = line.strip().partition(": ")
        if key == "host":
            name, port = value.split()
            sim.hosts.append((name, int(port)))
        elif key in ("profile", "key", "known_hosts"):
            setattr(sim, key, value)
        elif key.startswith("error"):
            sim.stop()
            raise RuntimeError(line.strip())
        elif key == "ready":
            return sim


def openssh_options(sim: Sim) -> list[str]:
    """The strict, non-interactive OpenSSH client options every comparison uses (no user config)."""
    return ["-i", sim.key, "-o", f"UserKnownHostsFile={sim.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-F", "/dev/null"]


def need(tool: str) -> str:
    """Absolute path of an OpenSSH tool, or a clear error."""
    path = shutil.which(tool)
    if not path:
        raise RuntimeError(f"OpenSSH {tool} not installed (apt-get install openssh-client)")
    return path


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux ``/proc``; 0.0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_measured(cmd: list[str], **kw) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process; raises if it fails."""
    wall, rss, _ = run_accounted(cmd, **kw)
    return wall, rss


def _vm_hwm(pid: int) -> int:
    """The peak RSS (bytes) of the running process ``pid``'s own address space (``VmHWM``, proc(5)); 0 if gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_accounted(cmd: list[str], **kw) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (bytes) and user + system CPU seconds of one child process; raises if it fails.

    The peak RSS is the child's own ``VmHWM``, sampled every 10 ms while it runs (Linux), not the
    ``ru_maxrss`` of ``wait4``: Linux keeps in ``ru_maxrss`` the high-water mark of the address space
    the child had before its ``exec``, i.e. this (parent) process's, so a child started by a large
    parent reports at least the parent's size (kernel ``exec_mmap`` → ``setmax_mm_hiwater_rss``).
    Where ``/proc`` is missing, ``ru_maxrss`` is used.
    """
    start = time.perf_counter()
    p = subprocess.Popen(cmd, **kw)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], _vm_hwm(p.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(p.pid, 0)
    done.set()
    sampler.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} exited with {p.returncode}")
    return time.perf_counter() - start, peak[0] or usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


async def stopped(thread: threading.Thread) -> None:
    """Wait for the key thread to end without blocking the UI loop. ``thread.join()`` on the UI thread held a key
    pressed just before the stop until the key thread gave up waiting for it (up to 50 ms), and that time counted
    as the key's wait: the run's last key, a harness artefact (a key outstanding at the stop waited 14-73 ms in the
    join, seen in 3 of 4 runs at load 10-20). The loop keeps running meanwhile, so that key is handled as any other."""
    while thread.is_alive():
        await asyncio.sleep(0.005)
