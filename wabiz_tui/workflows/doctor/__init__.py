"""``doctor``'s collectors: gather facts on every layer of every host in parallel, each probe bounded in time,
changing nothing on the hosts; then :func:`wabiz_tui.domain.doctor.reason` names the causes (design.md §10).

Per host (over the operator's SSH connection): SSH and the clock (skew measured around the ``date`` call only);
Docker (``docker info``); ``docker-compose config`` (once) with the variables the steps use; every container
of the cluster's project directory (Webapp, Master, Coreapp and dbupgrade alike) sampled over a window (status,
exit code, restart count), with OOMKilled, health and image, and its recent log scanned by the diagnosis
catalogue; ``getent hosts`` of every ``EXTERNAL_HOSTNAME``, the DB host and the registry, on the host and inside
one running container; TCP from the host to every published port of the other hosts and to the DB (an SSH
``direct-tcpip`` channel: the host itself connects, nothing needs installing; bash ``/dev/tcp`` where sshd
refuses forwarding); the DB login with db.env's values through that host; the registry's answer for the image
(``curl -I``, read-only); ``df`` space and inodes of Docker's root and the media path; the media path's owner,
mode and mount options. From this machine: the Webapp API (login and health, the error envelope decoded, each
node's error in the API's words). Last, where those facts point at a container's own network path (the Webapp's
"connection to HOST:PORT failed", a container still "Waiting for database"), one connection from inside that
container (:mod:`.paths`). With ``--host`` (the monitor's ``d`` on one node) only the named hosts are probed in
full; every other host is a peer (``domain.peers``: the nodes advertise their name and ports to each other through
the DB, wa-onprem-api.md §1.6, and no narrower link list is documented), so the named hosts look up every host's
name and try every other host's published ports, and each other host tries the named hosts' ports (a block is one
direction only), and has its cluster containers' images read (one ``docker ps``: the named node's version is
compared with the others', ``VERSION_SKEW``). That is linear in hosts: ``N - 1`` hosts reached from the named one and ``N - 1`` hosts reaching
it, never every pair. The DB login is made from the named hosts only: each node logs in itself with its own db.env
(``env_file: db.env`` and ``wait_on_mysql.sh`` on every service of the compose file, wa-onprem-api.md §1.6); the API
is asked once from this machine, as without ``--host``.

Every command is read-only: nothing is pulled, started, written or removed. A probe that does not answer within
its time limit is a fact too (``ok`` None, ``data["timeout"]``). Facts never hold a secret: each line passes the
run's redactor (db.env's password, the admin password, the API token).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable

from ...domain.diagnosis import diagnose_lines
from ...domain.docker_access import socket_denied
from ...domain.doctor import P_CLOCK, P_COMPOSE, P_DOCKER, P_MEDIA, P_SSH, Fact, Report, reason
from ...domain.hostnames import host_ranges
from ...domain.model import ClusterProfile, HostSpec, MediaKind
from ...domain.preflight import CLOCK_WARN_S
from ...remote.errors import RemoteError
from ..events import Message
from .api import ApiProbes
from .containers import ContainerProbes, compose_yaml
from .database import DatabaseProbes
from .egress import EgressProbes
from .monitoring import MonitoringProbes
from .network import NetworkProbes
from .paths import ContainerPathProbes
from .probes import PROBE_TIMEOUT, WINDOW
from .ssh import ssh_advice
from .storage import StorageProbes

__all__ = ["Doctor", "PROBE_TIMEOUT", "WINDOW"]


class Doctor(ContainerProbes, DatabaseProbes, NetworkProbes, StorageProbes, ApiProbes, EgressProbes,
             ContainerPathProbes, MonitoringProbes):
    """Collect the facts (:meth:`collect`) and reason over them (:meth:`run`). ``hosts``: only these
    ``EXTERNAL_HOSTNAME`` s are probed in full, and of every other host (``domain.peers``) only its way in to their
    ports; the cluster-wide facts, DB and API, are still gathered. ``probe_timeout`` and
    ``window`` are seconds (each probe's limit; the span of a container's state samples); ``api``: poll the API too."""

    def __init__(self, profile: ClusterProfile, *, hosts: tuple[str, ...] = (), probe_timeout: float = PROBE_TIMEOUT,
                 window: float = WINDOW, api: bool = True, **kw: Any):
        super().__init__(profile, hosts=hosts, probe_timeout=probe_timeout, window=window, api=api, **kw)
        self.health.first_login = False  # doctor changes nothing: not even the admin password at a first login

    # ---- the run ----------------------------------------------------------------------------------------
    async def collect(self) -> list[Fact]:
        """Every fact, hosts in parallel. Returns :attr:`facts` (also kept there)."""
        hosts = [h for h in self.profile.hosts if not self.only or h.external_hostname in self.only]
        peers = self.peers
        what = (f"{host_ranges(h.external_hostname for h in hosts)} and the way to and from the {len(peers)} other "
                "host(s)") if self.only else f"{len(hosts)} host(s)"
        self.emit(Message(f"doctor: probing {what}, each probe within {self.probe_timeout:g} s"))
        work = [self._host(h) for h in hosts] + [self._scrape(), self._monitoring_login()]
        if self.only:  # the named hosts' ports from every peer too: a block is one direction only
            work += [self._inbound(h) for h in self.profile.hosts if h.external_hostname in peers]
        if self.api:
            work.append(self._api())
        await asyncio.gather(*work)
        await self._databases()  # once per credential set and position, after every host's db.env is read
        await self._container_paths()  # from inside containers, where the facts so far point at their path
        return self.facts

    async def run(self) -> Report:
        """Collect, then reason: the :class:`~wabiz_tui.domain.doctor.Report` (facts masked with every secret known
        at the end, then cut: :meth:`_final_facts`)."""
        await self.collect()
        self.facts = self._final_facts()
        return reason(self.facts)

    async def _host(self, host: HostSpec) -> None:
        name = host.external_hostname
        try:  # bounded by the SSH settings' own connect timeout: reaching the host is not one of the probes
            await self._pool.get(host)
        except RemoteError as exc:
            self._fact(P_SSH, name, f"ssh {name}", str(exc), False, error=type(exc).__name__,
                       next_action=ssh_advice(exc), hop=getattr(exc, "hop", ""))
            return
        self._fact(P_SSH, name, "ssh", f"connected as {host.ssh.user or 'the configured user'}", True)
        start = time.time()
        try:
            status, lines = await asyncio.wait_for(self._sh(host, "date +%s.%N"), self.probe_timeout)
        except (RemoteError, TimeoutError) as exc:
            self._fact(P_CLOCK, name, "date +%s.%N", str(exc) or f"no answer within {self.probe_timeout:g} s", None,
                       timeout=isinstance(exc, TimeoutError), why="date did not answer")
        else:
            self._clock(name, status, lines, start, time.time())
        docker_up = await self._docker_state(host)
        parts: list[Awaitable[None]] = [self._names(host), self._tcp(host), self._db(host), self._disk(host, docker_up),
                                        self._registry_in_order(host), self._egress(host, docker_up)]
        if self.profile.media.kind is MediaKind.HOST_PATH:
            parts.append(self._timed(P_MEDIA, name, "stat/findmnt", self._media(host)))
        if docker_up:
            parts += [self._timed(P_COMPOSE, name, "docker-compose config", self._compose(host)), self._containers(host)]
        await asyncio.gather(*parts)

    async def _inbound(self, host: HostSpec) -> None:
        """From ``host`` (not named by ``--host``) to the named hosts' cluster ports; an SSH failure is a fact."""
        try:
            await self._pool.get(host)
        except RemoteError as exc:
            self._fact(P_SSH, host.external_hostname, f"ssh {host.external_hostname}", str(exc), None,
                       why="not reached: the way back to the named hosts was not probed from it")
            return
        await asyncio.gather(self._tcp(host, self.only), self._images(host))

    async def _registry_in_order(self, host: HostSpec) -> None:
        """The registry's answer and the image's platforms, then the manifest asked again (FR02): no other request of
        this host comes between the tries, so a refusal that comes and goes shows in them (with the lab's front
        refusing every 2nd or 3rd request of a host, tries made in parallel with the other two requests could all
        fall between two refusals, and the one refused probe alone would read as FR01's permanent 403)."""
        await asyncio.gather(self._registry(host), self._platform(host))
        await self._registry_tries(host)

    def _clock(self, name: str, status: int | None, lines: list[str], start: float, end: float) -> None:
        """Skew = the host's time minus the middle of the call (seconds); the call's duration bounds the error."""
        text = lines[-1].strip() if lines else ""
        try:
            remote = float(text)
        except ValueError:
            self._fact(P_CLOCK, name, "date +%s.%N", text or f"status {status}", None, why="date gave no time")
            return
        skew = remote - (start + end) / 2
        self._fact(P_CLOCK, name, "date +%s.%N", f"{skew:+.2f} s against this machine (call took {end - start:.2f} s)",
                   abs(skew) < CLOCK_WARN_S, skew_s=round(skew, 2))

    async def _docker_state(self, host: HostSpec) -> bool:
        name = host.external_hostname
        # ``docker version``, not ``docker info --format``: with the daemon stopped Debian's 20.10 client answers the
        # latter with only a template error ("executing "" at <.ServerVersion>: reflect: indirection through nil
        # pointer"), while both it and the 28 client answer ``version`` with "Cannot connect to the Docker daemon at
        # unix:///var/run/docker.sock. Is the docker daemon running?" (observed here, exit 1)
        command = "docker version --format '{{.Server.Version}}'"
        try:
            await asyncio.wait_for(self.session.docker_access(host), self.probe_timeout)
            status, lines = await asyncio.wait_for(self._sh(host, self._docker(host, command)), self.probe_timeout)
        except TimeoutError:
            self._fact(P_DOCKER, name, command, f"no answer within {self.probe_timeout:g} s", None, timeout=True,
                       why="timed out")
            return False
        except RemoteError as exc:
            self._fact(P_DOCKER, name, command, str(exc), None, why="the command could not run")
            return False
        text = [l for l in lines if l.strip()]
        if status == 0 and text:
            version = next((l.split(":", 1)[1].strip() for l in text if "Server Version:" in l), text[-1].strip())
            self._fact(P_DOCKER, name, command, f"Docker {version} answers", True, daemon="up", version=version)
            return True
        daemon = "denied" if socket_denied(lines) else "down" if any(
            k.key == "DOCKER_DAEMON_DOWN" for k in diagnose_lines(lines)) else "error"
        self._fact(P_DOCKER, name, command, text[-1] if text else f"status {status}", False, daemon=daemon)
        return False

    async def _compose(self, host: HostSpec) -> None:
        """``docker-compose config`` once: its services (the compose fact, or compose's refusal in its own words) and,
        from the same output, the published ports and network_mode of each planned service (:meth:`_compose_shape`)."""
        inv = self.session.invocation(host)
        command = inv.command("config")
        # stdout is the YAML; compose's refusal and any warning (its own, or Python's) come on stderr
        status, out, err = await self._sh_apart(host, command)
        text = [l.strip() for l in out + err if l.strip()]
        if status != 0:
            self._fact(P_COMPOSE, host.external_hostname, command, text[-1] if text else f"status {status}", False,
                       flavour=inv.flavour, services=[])
            return
        document = compose_yaml(out)
        services = [str(s) for s in document.get("services") or {}] if isinstance(document, dict) else []
        if not services:
            self._fact(P_COMPOSE, host.external_hostname, command, "no services in compose's answer", None,
                       flavour=inv.flavour, services=[], why="compose's answer could not be read")
            return
        self._fact(P_COMPOSE, host.external_hostname, command, f"{inv.flavour}: services {', '.join(services)}", True,
                   flavour=inv.flavour, services=services)
        self._compose_shape(host, command, document)
