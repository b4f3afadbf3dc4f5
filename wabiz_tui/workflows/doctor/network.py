"""``doctor``'s network probes: ``getent hosts`` of every name the cluster uses on each host, and TCP from each host to
every published port of the other hosts (SSH ``direct-tcpip``: the host itself connects); the DB's reachability comes
from its login (:mod:`.database`)."""

from __future__ import annotations

import asyncio
import shlex

from ...domain.doctor import P_DNS, P_TCP
from ...domain.model import HostSpec
from ...domain.preflight import ROLE_PORTS
from ...remote.dblogin import probe_port
from .probes import REGISTRY, TCP_TIMEOUT, DoctorProbes


class NetworkProbes(DoctorProbes):
    """Names and the reachability matrix."""

    # ---- names ------------------------------------------------------------------------------------------
    def _lookups(self) -> list[str]:
        return list(dict.fromkeys([h.external_hostname for h in self.profile.hosts] + [self.profile.db.hostname, REGISTRY]))

    async def _names(self, host: HostSpec) -> None:
        async def one(target: str) -> None:
            command = f"getent hosts {shlex.quote(target)}"
            status, lines = await self._sh(host, command)
            if status == 127:
                self._fact(P_DNS, host.external_hostname, command, "getent is not installed", None, name=target,
                           why="getent missing")
                return
            answer = next((l.strip() for l in lines if l.strip()), "")
            self._fact(P_DNS, host.external_hostname, command,
                       answer if status == 0 else f"{command}: not found (exit status {status})", status == 0, name=target)

        await asyncio.gather(*(self._timed(P_DNS, host.external_hostname, f"getent hosts {t}", one(t)) for t in self._lookups()))

    # ---- network ----------------------------------------------------------------------------------------
    async def _tcp(self, host: HostSpec) -> None:
        # not the DB: its login is the reachability test there (workflows/doctor/database.py)
        targets: list[tuple[str, int, str]] = []
        for other in self.profile.hosts:
            if other is host:
                continue
            for role in other.roles:
                targets += [(other.external_hostname, port, role.value) for port in ROLE_PORTS[role]]
        await asyncio.gather(*(self._timed(P_TCP, host.external_hostname, f"tcp {t}:{p}", self._connect(host, t, p, w))
                               for t, p, w in targets))

    async def _connect(self, host: HostSpec, target: str, port: int, what: str) -> None:
        name = host.external_hostname
        command = f"tcp connect {target}:{port} from {name} (ssh direct-tcpip)"
        probe = await probe_port(await self._pool.get(host), target, port, read_first=False, timeout=TCP_TIMEOUT)
        if probe.prohibited:
            command = f"timeout {TCP_TIMEOUT:g} bash -c '</dev/tcp/{target}/{port}'"
            status, lines = await self._sh(host, f"timeout {TCP_TIMEOUT:g} bash -c {shlex.quote(f'</dev/tcp/{target}/{port}')}")
            if status in (126, 127):
                self._fact(P_TCP, name, command, "sshd refuses forwarding and bash is not there", None, target=target,
                           port=port, what=what, why="no way to connect from this host")
                return
            text = next((l.strip() for l in reversed(lines) if l.strip()), "")
            self._fact(P_TCP, name, command, text or ("connected" if status == 0 else f"no answer in {TCP_TIMEOUT:g} s"),
                       status == 0, target=target, port=port, what=what, timeout=status == 124)
            return
        if probe.reached:
            self._fact(P_TCP, name, command, f"connected in {probe.seconds * 1000:.0f} ms", True, target=target,
                       port=port, what=what, timeout=False)
        else:
            self._fact(P_TCP, name, command, f"{target}:{port}: {probe.error}", False, target=target, port=port, what=what,
                       timeout=probe.error.startswith("no answer"))
