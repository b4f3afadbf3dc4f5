"""Per-host context shared by the shell, docker and compose emulators."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .brain import Brain
from .fs import Sandbox


@dataclass
class HostContext:
    """One simulated host: its name, login user, filesystem sandbox and docker engine state.

    ``networks``/``volumes``/``images`` are the docker objects that exist on this host
    (names like ``biz_default``, ``biz_whatsappMedia``, ``docker.whatsapp.biz/web:v2.41.2``).
    """

    name: str
    user: str
    sandbox: Sandbox
    brain: Brain
    networks: set[str] = field(default_factory=set)
    volumes: set[str] = field(default_factory=set)
    images: set[str] = field(default_factory=set)
    #: Extra synthetic log bytes each container's ``logs`` prints after its real lines (log-collection tests/benchmarks).
    log_filler_bytes: int = 0
    # --- preflight facts and faults (sim/probes.py) ---
    clock_offset: float = 0.0
    disk_free_kb: int = 50 * 1024 * 1024
    unresolvable: set[str] = field(default_factory=set)
    ports_taken: set[int] = field(default_factory=set)
    #: None, "daemon_down" or "socket_denied": what `docker` answers on this host
    docker_fault: str | None = None
    #: which compose flavours are installed: the v2 plugin (`docker compose`), the v1 binary (`docker-compose`)
    compose_v2: bool = False  # v1 by default, as the seed's procedure and Debian's docker-compose package
    compose_v1: bool = True
    #: programs this host lacks (a minimal host without ``nc``): ``bash: nc: command not found``, status 127
    missing_commands: set[str] = field(default_factory=set)
    #: the dockerd version ``docker version``/``info`` report as the server's; docker-compose 1.29 cannot recreate a
    #: container on an engine of 25 or later (field report FR40)
    engine_version: str = "24.0.7"
    #: what ``sudo`` does for the login user: "passwordless", "password" (sudo -n refuses) or "absent"
    sudo: str = "passwordless"
    #: set only on the context of a command run inside a container (``docker exec``): the servers its lookups reach
    #: in the end (:func:`.resolver.container_dns`); empty: none
    container_upstreams: tuple[str, ...] | None = None

    @property
    def speed(self) -> float:
        """The cluster's delay multiplier (1.0: real time, 0: instant), read from the brain."""
        return self.brain.speed

    async def pause(self, seconds: float) -> None:
        """Sleep ``seconds * speed`` (yields even at speed 0 so output streams)."""
        await asyncio.sleep(max(0.0, seconds * self.brain.speed))
