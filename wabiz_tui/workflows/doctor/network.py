"""``doctor``'s network probes: ``getent hosts`` of every name the cluster uses on each host, and TCP from each host to
every published port of the other hosts (SSH ``direct-tcpip``: the host itself connects); the DB's reachability comes
from its login (:mod:`.database`)."""

from __future__ import annotations

import asyncio
import shlex

from ...domain.doctor import P_DNS, P_PLATFORM, P_REGISTRY_TRIES, P_TCP
from ...domain.doctor_rules_net import index_platforms, machine_platform
from ...domain.doctor_rules_path import getent_addresses, hosts_file_addresses
from ...domain.model import HostSpec, Role
from ...domain.preflight import ROLE_PORTS
from ...remote.dblogin import probe_port
from ...remote.errors import RemoteError
from .probes import REGISTRY, TCP_TIMEOUT, DoctorProbes


class NetworkProbes(DoctorProbes):
    """Names and the reachability matrix."""

    # ---- names ------------------------------------------------------------------------------------------
    def _lookups(self) -> list[str]:
        """The names ``getent hosts`` is asked for on each probed host: every host of the cluster (any node may connect
        to any other: ``domain.peers``), the DB and the registry; one list per probed host, so linear in hosts."""
        hosts = [h.external_hostname for h in self.profile.hosts]
        return list(dict.fromkeys(hosts + [self.profile.db.hostname, REGISTRY]))

    async def _names(self, host: HostSpec) -> None:
        """``getent hosts`` of every name on ``host``, each fact with the address the host's /etc/hosts gives the name
        (``hosts_file``; "" for none, absent when the file could not be read): a stale line there reads as a firewall
        otherwise; every address getent printed (``addresses``) and ``kind``: "registry" for the registry's name (a
        CDN name, several addresses), else "cluster"."""
        try:
            status, lines = await asyncio.wait_for(self._sh(host, "cat /etc/hosts"), self.probe_timeout)
        except (TimeoutError, RemoteError):
            status, lines = None, []
        pinned = hosts_file_addresses(lines) if status == 0 else None

        async def one(target: str) -> None:
            """``getent hosts TARGET`` on the host: one P_DNS fact with the resolved ``addresses`` (list[str]), ``kind``
            registry or cluster, and the host's /etc/hosts line for it when that file was read; exit status 127 (no
            getent) is unknown."""
            command = f"getent hosts {shlex.quote(target)}"
            status, lines = await self._sh(host, command)
            if status == 127:
                self._fact(P_DNS, host.external_hostname, command, "getent is not installed", None, name=target,
                           why="getent missing")
                return
            answer = next((l.strip() for l in lines if l.strip()), "")
            self._fact(P_DNS, host.external_hostname, command,
                       answer if status == 0 else f"{command}: not found (exit status {status})", status == 0, name=target,
                       addresses=getent_addresses(lines) if status == 0 else [],
                       kind="registry" if target == REGISTRY else "cluster",
                       **({"hosts_file": pinned.get(target, "")} if pinned is not None else {}))

        await asyncio.gather(*(self._timed(P_DNS, host.external_hostname, f"getent hosts {t}", one(t)) for t in self._lookups()))

    # ---- the registry asked again (FR02) -----------------------------------------------------------------
    async def _registry_tries(self, host: HostSpec, tries: int = 3) -> None:
        """The image's manifest asked ``tries`` times in a row (HEAD, read-only): a refusal that comes and goes
        (FR02) needs another next action than one that is always there (FR01). Only the HTTP codes are kept."""
        repo = "web" if Role.WEBAPP in host.roles else "coreapp"
        image = f"{REGISTRY}/{repo}:v{self.profile.wa_api_version}"
        url = f"https://{REGISTRY}/v2/{repo}/manifests/v{self.profile.wa_api_version}"
        ca = f"/etc/docker/certs.d/{REGISTRY}/ca.crt"
        accept = shlex.quote("Accept: application/vnd.docker.distribution.manifest.v2+json")
        command = (f"c=; test -r {ca} && c='--cacert {ca}'; for i in {' '.join(str(i + 1) for i in range(tries))}; do "
                   f"curl -s -o /dev/null -I -w '%{{http_code}}\\n' --max-time 2 $c -H {accept} {url}; done")

        async def go() -> None:
            """``tries`` HEAD requests for the image's manifest (curl, 2 s each): one P_REGISTRY_TRIES fact with the
            HTTP ``codes`` (list[int], 0 = no answer), failing when any try was refused (0 or >= 400); nothing when no
            try got an HTTP answer (the registry probe says why)."""
            _, lines = await self._sh(host, command)
            codes = [int(l.strip()) for l in lines if l.strip().isdigit()]
            if len(codes) != tries or not any(codes):
                return  # no HTTP answer at all: the registry probe says why
            refused = [c for c in codes if c == 0 or c >= 400]
            self._fact(P_REGISTRY_TRIES, host.external_hostname, command,
                       f"{image}: refused {len(refused)} of {tries} attempts (HTTP {', '.join(str(c) for c in codes)})",
                       not refused, image=image, codes=codes)

        await self._timed(P_REGISTRY_TRIES, host.external_hostname, command, go())

    # ---- the image's platforms (FR04) -------------------------------------------------------------------
    async def _platform(self, host: HostSpec) -> None:
        """``uname -m`` next to the platforms of the image's index in the registry (a GET of the manifest accepting
        a list/index; read-only). A single-platform manifest says nothing here: no fact."""
        repo = "web" if Role.WEBAPP in host.roles else "coreapp"
        tag = f"v{self.profile.wa_api_version}"
        url = f"https://{REGISTRY}/v2/{repo}/manifests/{tag}"
        ca = f"/etc/docker/certs.d/{REGISTRY}/ca.crt"
        accept = ("application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, "
                  "application/vnd.docker.distribution.manifest.v2+json")
        command = (f"uname -m; c=; test -r {ca} && c='--cacert {ca}'; curl -sS --max-time {TCP_TIMEOUT:g} $c "
                   f"-H {shlex.quote('Accept: ' + accept)} {url}")

        async def go() -> None:
            """The host's machine (``uname -m``) against the platforms of the image's manifest index (FR04): one
            P_PLATFORM fact, failing when the host's platform is not offered; nothing when either is unknown."""
            status, lines = await self._sh(host, command)
            arch = machine_platform(lines[0].strip() if lines else "")
            platforms = index_platforms("\n".join(lines[1:]))
            if not arch or platforms is None:
                return
            image = f"{REGISTRY}/{repo}:{tag}"
            self._fact(P_PLATFORM, host.external_hostname, command,
                       f"{image} offers {', '.join(platforms) or 'no platform'}; this host is {arch}", arch in platforms,
                       image=image, arch=arch, platforms=platforms)

        await self._timed(P_PLATFORM, host.external_hostname, command, go())

    # ---- network ----------------------------------------------------------------------------------------
    async def _tcp(self, host: HostSpec, only_to: tuple[str, ...] = ()) -> None:
        """TCP from ``host`` to every published cluster port of every other host (``domain.peers``); only those of
        ``only_to`` when given: the way back to the hosts ``doctor --host`` names, so a port block is seen in both
        directions."""
        # not the DB: its login is the reachability test there (workflows/doctor/database.py)
        targets: list[tuple[str, int, str]] = []
        for other in self.profile.hosts:
            if other is host or (only_to and other.external_hostname not in only_to):
                continue
            for role in other.roles:
                targets += [(other.external_hostname, port, role.value) for port in ROLE_PORTS[role]]
        await asyncio.gather(*(self._timed(P_TCP, host.external_hostname, f"tcp {t}:{p}", self._connect(host, t, p, w))
                               for t, p, w in targets))

    async def _connect(self, host: HostSpec, target: str, port: int, what: str) -> None:
        name = host.external_hostname
        command = f"tcp connect {target}:{port} from {name} (ssh direct-tcpip)"
        conn = await self._pool.get(host)
        probe = await probe_port(conn, target, port, read_first=False, timeout=TCP_TIMEOUT)
        if not probe.reached and not probe.prohibited and probe.error.startswith("no answer"):
            # once more: a firewall drops every packet, a busy host or a lost SYN rarely twice (a single-port verdict
            # must not come from one slow answer)
            probe = await probe_port(conn, target, port, read_first=False, timeout=TCP_TIMEOUT)
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
        if not probe.reached and conn.is_closed():  # asyncssh: "SSH connection closed" is no refusal of the port
            self._lost_fact(P_TCP, name, command, target=target, port=port, what=what)
            return
        if probe.reached:
            self._fact(P_TCP, name, command, f"connected in {probe.seconds * 1000:.0f} ms", True, target=target,
                       port=port, what=what, timeout=False)
        else:
            self._fact(P_TCP, name, command, f"{target}:{port}: {probe.error}", False, target=target, port=port, what=what,
                       timeout=probe.error.startswith("no answer"))
