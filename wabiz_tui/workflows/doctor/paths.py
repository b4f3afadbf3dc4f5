"""``doctor``'s probes of the containers' own network path (rules: ``domain/doctor_rules_path.py``).

A host's own connections leave through its iptables OUTPUT chain, its containers' through FORWARD (DOCKER-USER) and
Docker's NAT: a block there is invisible to the host probes. Where the facts already gathered point at a container's
path (the Webapp's per-node "connection to HOST:PORT failed", a container's log stuck at "Waiting for database
HOST:PORT"), one TCP connection is opened from inside that running container (``docker exec``, read-only: bash's
``/dev/tcp``, else python3, else ``nc -z``). A container that is restarting is "not checked", never a failure.
"""

from __future__ import annotations

import asyncio

from ...domain.doctor import Facts
from ...domain.doctor_rules_path import P_CONTAINER_TCP, InsideAnswer, Lead, container_leads, inside_connect, read_inside
from ...domain.model import HostSpec
from .probes import TCP_TIMEOUT, DoctorProbes


class ContainerPathProbes(DoctorProbes):
    """Connections from inside containers, where the evidence points at their path."""

    async def _container_paths(self) -> None:
        """One connection per lead of :func:`~wabiz_tui.domain.doctor_rules_path.container_leads`, in parallel."""
        hosts = {h.external_hostname: h for h in self.profile.hosts}
        leads = [lead for lead in container_leads(Facts(self.facts)) if lead.host in hosts]
        await asyncio.gather(*(self._timed(P_CONTAINER_TCP, lead.host, f"docker exec {lead.container} connect "
                                           f"{lead.target}:{lead.port}", self._inside_path(hosts[lead.host], lead))
                               for lead in leads))

    async def _inside_path(self, host: HostSpec, lead: Lead) -> None:
        tool, command, answer = await self.connect_inside(host, lead.container, lead.target, lead.port)
        self._fact(P_CONTAINER_TCP, host.external_hostname, command,
                   answer.line if answer.ok is not False else f"{lead.target}:{lead.port}: {answer.line}", answer.ok,
                   service=lead.service, container=lead.container, target=lead.target, port=lead.port, what=lead.what,
                   timeout=answer.timeout, tool=tool, lead=lead.lead.line,
                   **({"why": answer.why} if answer.ok is None else {}))

    async def connect_inside(self, host: HostSpec, cid: str, target: str, port: int) -> tuple[str, str, InsideAnswer]:
        """One TCP connection to ``target:port`` from inside container ``cid`` on ``host``: ``(tool, command,
        answer)``, trying the tools of :func:`inside_connect` in order until one is there."""
        answer, tool, command = InsideAnswer(None, "no tool to connect with in the image", why="tool missing"), "", ""
        started = await self._started(host, cid)
        for tool, inner in inside_connect(target, port, TCP_TIMEOUT):
            command = self._docker(host, f"docker exec {cid} {inner}")
            status, lines = await self._sh(host, command)
            answer = read_inside(status, lines)
            if answer.why != "tool missing":
                break
        if answer.ok is False and started != "unknown" and await self._started(host, cid) != started:
            # a crash-looping container caught between two restarts dies under the probe: its failure says nothing
            # of the path (seen on the lab: a Coreapp with a crash marker, docker restart, doctor --host)
            answer = InsideAnswer(None, answer.line, why="not checked (the container restarted or stopped while probed)")
        return tool, command, answer

    async def _started(self, host: HostSpec, cid: str) -> str:
        """When container ``cid`` last started, if it runs now (``docker inspect``'s ``.State.StartedAt``, e.g.
        ``2026-12-05T15:31:02.123456789Z``), "stopped" when it does not run or waits to be restarted, "unknown" when
        the answer cannot be read (then the probe's answer stands as it is). A container waiting for its restart
        policy keeps ``Running`` true and its old ``StartedAt`` (moby ``container/state.go`` ``SetRestarting``), so
        ``.State.Restarting`` is read too (seen on the lab: a crash-looping Coreapp's probe killed, status 137)."""
        fmt = "'{{.State.Running}} {{.State.Restarting}} {{.State.StartedAt}}'"
        status, lines = await self._sh(host, self._docker(host, f"docker inspect --format {fmt} {cid}"))
        words = lines[0].split() if lines else []
        if status != 0 or len(words) != 3 or not {words[0], words[1]} <= {"true", "false"}:
            return "unknown"
        return words[2] if words[:2] == ["true", "false"] else "stopped"
