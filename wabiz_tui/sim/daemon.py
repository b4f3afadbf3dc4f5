"""The Docker daemon's state, one for every simulated host: containers (ids, names, states, exit codes,
logs), the ``restart:`` policy with Docker's back-off, the loop clock's timers and the change hooks.

What runs inside a container (the WhatsApp images' start-up and DB login, elections, shards) is the
cluster's: :class:`~.brain.Brain` extends :class:`Daemon` through :meth:`Daemon.boot` and
:meth:`Daemon.reconcile`. No background loop runs: state is derived from loop-clock timestamps and a few
``loop.call_later`` timers (all cancelled by :meth:`Daemon.close`).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import secrets
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from .rules import OTHER

__all__ = ["Container", "ContainerInfo", "Daemon"]


@dataclass(frozen=True)
class ContainerInfo:
    """Public snapshot of a container: ``state`` is ``"running"``, ``"restarting"`` (restart back-off) or ``"exited"``."""

    service: str
    container_id: str
    state: str
    exit_code: int | None
    name: str = ""
    image: str = ""
    kind: str = OTHER
    host: str = ""


@dataclass
class Container:
    """One simulated container on one host (mutable; owned by :class:`Daemon`)."""

    id: str
    name: str
    host: str
    project: str
    service: str
    image: str
    kind: str
    node_hostname: str
    command: list[str]
    ports: list[str]
    env: dict[str, str]
    state: str = "created"
    exit_code: int | None = None
    started_at: float = 0.0
    ready_at: float = 0.0
    created_wall: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc))
    started_wall: _dt.datetime | None = None
    finished_wall: _dt.datetime | None = None
    connecting_until: float = 0.0
    generation: int = 0
    logs: list[tuple[_dt.datetime, str]] = field(default_factory=list)
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    db_error: str | None = None
    #: the compose ``restart:`` policy (no, always, unless-stopped, on-failure) and Docker's RestartCount
    restart: str = "no"
    restart_count: int = 0
    #: the compose service's ``network_mode`` (None: the project's network, ``biz_default``)
    network_mode: str | None = None
    #: the rest of Docker's 64-hex id after :attr:`id` (the 12-hex short id, the container's hostname)
    id_tail: str = field(default_factory=lambda: secrets.token_hex(26))

    @property
    def full_id(self) -> str:
        """The 64-hex id ``docker-compose ps -q`` and ``docker inspect`` print (observed here with compose 1.29.2:
        ``774d570058306206766cc7a98cd8050dcbe5cadc4af3c0312912c32778f67da1``); ``docker ps`` shows its first 12."""
        return self.id + self.id_tail

    @property
    def running(self) -> bool:
        """True only in state ``running`` (not ``created``, ``exited`` nor ``restarting``, Docker's restart
        back-off)."""
        return self.state == "running"

    @property
    def published_ports(self) -> set[int]:
        """Host ports this container publishes (``"9090:443"`` → 9090)."""
        out = set()
        for spec in self.ports:
            parts = spec.split(":")
            if len(parts) >= 2 and parts[-2].isdigit():
                out.add(int(parts[-2]))
        return out

    @property
    def version(self) -> str:
        """Image tag without the leading ``v`` (``"2.41.2"``), or ``""``."""
        tag = self.image.rsplit(":", 1)[-1] if ":" in self.image.rsplit("/", 1)[-1] else ""
        return tag[1:] if tag.startswith("v") else tag

    def info(self) -> ContainerInfo:
        """A frozen :class:`ContainerInfo` of this container now; a ``created`` container reads as ``exited``."""
        return ContainerInfo(self.service, self.id, self.state if self.state in ("running", "restarting") else "exited",
                             self.exit_code, self.name, self.image, self.kind, self.host)


class Daemon:
    """The containers of every simulated host and how Docker starts, stops and restarts them."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self.containers: dict[str, Container] = {}
        #: the registry refuses pulls (``docker pull`` / ``up`` of a new image answer "pull access denied")
        self.registry_denied = False
        #: the registry cannot be reached at all (no DNS answer: ``Get "https://…/v2/": … no such host``)
        self.registry_unreachable = False
        #: hosts whose container runtime refuses to start containers ("OCI runtime create failed")
        self.runtime_faults: set[str] = set()
        self.change_hooks: list[Callable[[], Awaitable[None]]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    # ------------------------------------------------------------------ clock & timers
    @staticmethod
    def now() -> float:
        """Loop monotonic clock (seconds)."""
        return asyncio.get_running_loop().time()

    def delay(self, seconds: float) -> float:
        """A duration of ``seconds`` at real pace as loop-clock seconds of the simulation: times :attr:`speed` (1.0 real
        pace, lower is faster)."""
        return seconds * self.speed

    def _later(self, seconds: float, fn: Callable, *args) -> None:
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def fire() -> None:
            """The timer's callback: forget its handle, then call ``fn(*args)``."""
            self._timers.discard(handle)
            fn(*args)

        handle = loop.call_later(max(0.0, seconds), fire)
        self._timers.add(handle)

    def _notify(self) -> None:
        if self._closed:
            return
        for hook in self.change_hooks:
            task = asyncio.get_running_loop().create_task(hook())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until change hooks (e.g. the Webapp listener going up/down) have run."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel every timer and pending hook task."""
        self._closed = True
        for h in list(self._timers):
            h.cancel()
        self._timers.clear()
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        for c in self.containers.values():
            c.exited.set()

    # ------------------------------------------------------------------ logs
    def log(self, c: Container, msg: str, level: str = "I", where: str = "") -> None:
        """Append a log line ``msg`` as the container's process wrote it (the cluster formats its nodes' lines)."""
        c.logs.append((_dt.datetime.now(_dt.timezone.utc), msg))

    # ------------------------------------------------------------------ lifecycle
    def add(self, c: Container) -> Container:
        """Register ``c`` under its id and return it; it stays ``created`` until :meth:`start`."""
        self.containers[c.id] = c
        return c

    def on_host(self, host: str) -> list[Container]:
        """The containers on host ``host`` (its name), in any state, in the order they were added."""
        return [c for c in self.containers.values() if c.host == host]

    def find(self, host: str, ref: str) -> Container | None:
        """Container on ``host`` by name, full id or id prefix."""
        for c in self.on_host(host):
            if ref in (c.name, c.id) or (len(ref) >= 3 and c.full_id.startswith(ref)):
                return c
        return None

    @staticmethod
    def new_id() -> str:
        """A new random container id: 12 hex digits, the short id ``docker ps`` shows (:attr:`Container.full_id` adds
        the rest)."""
        return secrets.token_hex(6)

    def start(self, c: Container, *, by_policy: bool = False) -> None:
        """Start (or restart) a container; what its image then does is :meth:`boot`'s. A start asked
        through Docker (not ``by_policy``) resets ``RestartCount``, as ``docker-compose restart`` did here."""
        if not by_policy:
            c.restart_count = 0
        now = self.now()
        c.state = "running"
        c.exit_code = None
        c.started_at = now
        c.started_wall = _dt.datetime.now(_dt.timezone.utc)
        c.generation += 1
        c.exited = asyncio.Event()
        gen = c.generation
        self.boot(c, gen, now)
        self.reconcile()
        self._notify()

    def boot(self, c: Container, gen: int, now: float) -> None:
        """What the container's image does once started at loop time ``now`` (generation ``gen``): by default
        it is ready at once. The cluster (:class:`~.brain.Brain`) overrides it for the WhatsApp images."""
        c.ready_at = now

    def reconcile(self) -> None:
        """Called after every change of a container's state; the cluster applies its rules here."""

    def _crash(self, cid: str, gen: int) -> None:
        c = self.containers.get(cid)
        if c and c.generation == gen and c.running:
            self.stop(c, 1, log=False, manual=False)

    def kill_main_process(self, c: Container) -> None:
        """``kill -9`` of the container's main process from the host: an exit Docker did not ask for (137), so
        the restart policy applies. Observed here (dockerd 20.10, ``restart: unless-stopped``): restarted at
        once, ``RestartCount`` 1; ``docker kill`` instead leaves it ``Exited (137)``."""
        self.stop(c, 137, log=False, manual=False)

    #: Docker's restart back-off: 100 ms doubling per restart, at most 1 minute (moby restartmanager); samples
    #: observed here a second apart read RestartCount 1, 3, 4, 5, 5, 6, 6, 6.
    BACKOFF_FIRST, BACKOFF_MAX = 0.1, 60.0

    def _applies(self, c: Container, exit_code: int) -> bool:
        policy = c.restart.split(":")[0]
        return policy in ("always", "unless-stopped") or (policy == "on-failure" and exit_code != 0)

    def _restart_due(self, cid: str, gen: int) -> None:
        c = self.containers.get(cid)
        if c and c.generation == gen and c.state == "restarting":
            c.restart_count += 1
            self.start(c, by_policy=True)

    def stop(self, c: Container, exit_code: int = 0, *, log: bool = True, manual: bool = True) -> None:
        """Stop a running container with ``exit_code`` (137 for kill). ``manual``: asked through Docker (stop,
        kill, rm, down), so no restart policy applies; otherwise (the process exited by itself) the compose
        ``restart:`` policy puts it in ``restarting`` and starts it again after Docker's back-off. A manual stop of
        a container in back-off ends the back-off."""
        if c.state == "restarting" and manual:
            c.state = "exited"
            c.generation += 1
            self._notify()
            return
        if not c.running:
            return
        if log:
            self.log(c, "Received SIGKILL" if exit_code == 137 else "Received SIGTERM, shutting down",
                     level="W", where="main.cpp:120")
        c.state = "exited"
        c.exit_code = exit_code
        c.finished_wall = _dt.datetime.now(_dt.timezone.utc)
        c.generation += 1
        c.exited.set()
        if not manual and self._applies(c, exit_code):
            c.state = "restarting"
            backoff = min(self.BACKOFF_MAX, self.BACKOFF_FIRST * 2 ** c.restart_count)
            self._later(self.delay(backoff), self._restart_due, c.id, c.generation)
        self.reconcile()
        self._notify()

    def remove(self, c: Container) -> None:
        """Stop ``c`` (exit code 0, asked through Docker: no restart policy; a back-off ends), forget it, then
        :meth:`reconcile`."""
        self.stop(c, 0)
        self.containers.pop(c.id, None)
        self.reconcile()
