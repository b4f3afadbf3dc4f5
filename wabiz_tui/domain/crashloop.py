"""Judging a container's state over a short window: running, stopped, or in a crash loop.

One ``docker inspect`` sample can show a crash-looping container as running: under
``restart: unless-stopped`` (official compose files) Docker restarts it at once, then with a growing
back-off. Observed here on dockerd 20.10 with a node that exits 1 at start: samples one second apart read
``restarting 1 1``, ``restarting 1 3``, ``restarting 1 4``, ``restarting 1 5`` … (status, exit code,
``RestartCount``); and ``docker-compose up -d`` 1.29.2 then says only ``biz_wacore_1 is up-to-date``, while
``docker-compose restart wacore`` resets the count and starts it (``running 0``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StateSample:
    """One ``docker inspect`` sample: ``status`` (running, restarting, exited, created…), ``exit_code``,
    ``restarts`` (``RestartCount``)."""

    status: str
    exit_code: int
    restarts: int


def parse_sample(line: str) -> StateSample | None:
    """``"restarting 1 6"`` → :class:`StateSample`; None for anything else."""
    parts = line.split()
    if len(parts) != 3 or not parts[1].lstrip("-").isdigit() or not parts[2].isdigit():
        return None
    return StateSample(parts[0], int(parts[1]), int(parts[2]))


@dataclass(frozen=True)
class StateVerdict:
    """``ok`` when the service ran through the window; ``problem`` says what is wrong otherwise;
    ``crash_loop`` when Docker keeps restarting it; ``note`` a remark for an ok one (earlier restarts)."""

    ok: bool
    problem: str = ""
    crash_loop: bool = False
    note: str = ""


def judge_samples(service: str, samples: list[StateSample], window_s: float) -> StateVerdict:
    """The verdict on ``service`` from its samples over ``window_s`` seconds (oldest first; empty: no container).

    A crash loop: any sample ``restarting``, or the restart count grew during the window. A stopped one: the
    last sample not running. Restarts before the window with a steady count are a note, not a failure.
    """
    if not samples:
        return StateVerdict(False, f"{service} is not running (no container)")
    first, last = samples[0], samples[-1]
    grew = last.restarts - first.restarts
    if any(s.status == "restarting" for s in samples) or grew > 0:
        exit_code = next((s.exit_code for s in reversed(samples) if s.status != "running"), last.exit_code)
        return StateVerdict(False, f"{service} is in a crash loop: Docker restarted it {last.restarts} time(s) "
                                   f"({grew} in the last {window_s:g} s), last exit code {exit_code}", crash_loop=True)
    if last.status != "running":
        return StateVerdict(False, f"{service} is not running ({last.status} ({last.exit_code}))")
    note = f"{service} was restarted {last.restarts} time(s) by Docker before" if last.restarts else ""
    return StateVerdict(True, note=note)
