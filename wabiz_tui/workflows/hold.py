"""Holding a run at its next safe boundary while the operator decides (issue 17, the s8 trial's M1).

A quit question is open: what it says must stay true until it is answered. A :class:`Hold` held keeps every new
remote command (``HostSession.run``/``upload``, the preflight's DB login and port probes through the SSH
connection) and every new step (``Procedure._on_hosts``, ``_wait_health``, and the steps that only call the
Webapp's API: ``Procedure._start``'s callers wait at :meth:`Hold.gate` first) waiting; what already runs goes on to
its end. It also knows the commands in flight on each host, so the question can say which command a quit would
hang up, on which hosts, and the abort record can say what was cut.

The hold is counted: each holder (an open quit question) takes it with :meth:`Hold.hold` and gives it back once
with :meth:`Hold.release`; the run goes on only when every holder gave it back. Time spent held is not the run's:
:meth:`Hold.stopwatch` measures the time not held, for deadlines and latencies.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable


class Hold:
    """The gate of one procedure's remote work and the commands it has in flight (see the module doc)."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._holders = 0
        #: seconds held before the current hold (``time.monotonic``), and when the current one began
        self._held_total = 0.0
        self._held_since = 0.0
        #: host → the commands running there now, in start order
        self._flight: dict[str, list[str]] = {}
        #: called after every change (a command started or ended, held, released)
        self.listeners: list[Callable[[], None]] = []

    @property
    def held(self) -> bool:
        """True between :meth:`hold` and :meth:`release`."""
        return not self._open.is_set()

    @property
    def holders(self) -> int:
        """How many holders hold it now (0: not held)."""
        return self._holders

    def hold(self) -> None:
        """Take the hold once more: no new command or step starts until every :meth:`hold` was given back by a
        :meth:`release` (what runs goes on to its end)."""
        self._holders += 1
        if self._holders == 1:
            self._held_since = time.monotonic()
            self._open.clear()
        self._changed()

    def release(self) -> None:
        """Give back one :meth:`hold`; the run goes on once none is left. A release with no hold taken does
        nothing (a holder must give back only its own: see ``tui.quit_question``)."""
        if self._holders == 0:
            return
        self._holders -= 1
        if self._holders == 0:
            self._held_total += time.monotonic() - self._held_since
            self._open.set()
        self._changed()

    def held_seconds(self) -> float:
        """Seconds held since this hold was made (``time.monotonic``), the current hold included."""
        current = time.monotonic() - self._held_since if self._holders else 0.0
        return self._held_total + current

    def stopwatch(self) -> Callable[[], float]:
        """A clock started now: calling it gives the seconds since, less the seconds held meanwhile (a quit question
        left open for ten minutes must not make a 180 s deadline pass, nor read as a slow database)."""
        start, held = time.monotonic(), self.held_seconds()
        return lambda: (time.monotonic() - start) - (self.held_seconds() - held)

    async def gate(self) -> None:
        """Return at once unless held; held, when released."""
        if not self._open.is_set():
            await self._open.wait()

    @asynccontextmanager
    async def command(self, host: str, command: str) -> AsyncIterator[None]:
        """Around one remote command on ``host``: waits at the gate first, then counts it in flight to its end."""
        await self.gate()
        running = self._flight.setdefault(host, [])
        running.append(command)
        self._changed()
        try:
            yield
        finally:
            running.remove(command)
            if not running:
                del self._flight[host]
            self._changed()

    def in_flight(self) -> list[tuple[str, tuple[str, ...]]]:
        """The commands running now, each with the hosts it runs on (hosts in start order), e.g.
        ``[("docker-compose -f … up -d wacore", ("wa-core-1", "wa-core-2"))]``; empty: no command runs."""
        grouped: dict[str, list[str]] = {}
        for host, commands in self._flight.items():
            for command in commands:
                grouped.setdefault(command_name(command), []).append(host)
        return [(command, tuple(hosts)) for command, hosts in grouped.items()]

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()


def command_name(command: str) -> str:
    """The short words of a remote command for a sentence: a compose call without its ``-f``/``-p`` options
    (``EXTERNAL_HOSTNAME=… docker-compose -f … --project-directory … up -d wacore`` → ``up -d wacore``), the
    ``sudo -n`` and the ``VAR=value`` words before it dropped;
    any other command as it is, cut at 60 characters."""
    if "@wabiz-probe" in command:  # domain.host_probe's one line: compose version, docker info
        return "the host probe (compose version, docker info)"
    words = command.split()
    while words and (words[0] in ("sudo", "-n", "env") or "=" in words[0]):  # sudo -n, VAR=value before it
        words = words[1:]
    for start in (("docker-compose",), ("docker", "compose")):
        if tuple(words[:len(start)]) == start:
            rest, i = words[len(start):], 0
            while i < len(rest) and rest[i] in ("-f", "--file", "-p", "--project-name", "--project-directory",
                                                "--env-file"):
                i += 2
            return " ".join(rest[i:]) or " ".join(words)
    text = " ".join(words)
    return text if len(text) <= 60 else text[:59] + "…"
