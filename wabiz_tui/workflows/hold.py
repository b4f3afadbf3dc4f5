"""Holding a run at its next safe boundary while the operator decides (issue 17, the s8 trial's M1).

A quit question is open: what it says must stay true until it is answered. A :class:`Hold` held keeps every new
remote command (``HostSession.run``/``upload``) and every new step (``Procedure._on_hosts``, ``_wait_health``)
waiting; what already runs goes on to its end. It also knows the commands in flight on each host, so the question
can say which command a quit would hang up, on which hosts, and the abort record can say what was cut.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable


class Hold:
    """The gate of one procedure's remote work and the commands it has in flight (see the module doc)."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        #: host → the commands running there now, in start order
        self._flight: dict[str, list[str]] = {}
        #: called after every change (a command started or ended, held, released)
        self.listeners: list[Callable[[], None]] = []

    @property
    def held(self) -> bool:
        """True between :meth:`hold` and :meth:`release`."""
        return not self._open.is_set()

    def hold(self) -> None:
        """Let no new command or step start until :meth:`release` (what runs goes on to its end)."""
        self._open.clear()
        self._changed()

    def release(self) -> None:
        """Let the run go on."""
        self._open.set()
        self._changed()

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
