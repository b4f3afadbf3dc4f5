"""The resolver configuration dockerd gives a simulated container, derived from the host's ``/etc/resolv.conf`` (in
its sandbox: present, absent, loopback-only) and the engine's version (``HostContext.engine_version``), and the name
resolution that follows from it inside the container (``getent hosts`` under ``docker exec``).

What dockerd does (sources):

- A container on a compose network (user-defined, ``biz_default``) gets ``nameserver 127.0.0.11``: Docker's embedded
  DNS, which forwards what it does not know to the host's nameservers, loopback ones included (it forwards from the
  host's network namespace: moby/libnetwork#1052). Observed on the lab (dockerd 20.10, host resolver only on
  127.0.0.53): ``nameserver 127.0.0.11`` and the internal names resolved (docs/field-reports.md FR43).
- A container on the default bridge (``network_mode: bridge``) gets the host's nameservers without the loopback ones;
  none left, Google's ``8.8.8.8`` / ``8.8.4.4`` (observed on the lab, dockerd 20.10, host resolver only on 127.0.0.53:
  ``nameserver 8.8.8.8`` / ``nameserver 8.8.4.4``, and ``getent hosts`` failing after 10.4 s offline, FR43). Still so
  on Docker 28 for the default bridge (docker/docs#24769, review: the Google defaults come only from the legacy
  networking path).
- With no nameserver at all in the host's file (missing or empty): before Docker 28 the embedded DNS fell back to
  Google's servers too (moby/moby#41859: "No non-localhost DNS nameservers are left in resolv.conf. Using default
  external servers", a user-defined network); from 28.0.0 it does not (moby/moby#47602 "no default nameservers for
  internal resolver"; moby/moby#49665, maintainer: "Before moby 28.0.0, your containers would have been falling back
  to use Google's DNS servers ... that no longer happens"), so the container resolves nothing outside the cluster.

The simulated site: every non-loopback nameserver of a host's file is the site's DNS (it knows the names of
``Brain.dns``, less the host's ``unresolvable`` ones); a loopback one is the host's own stub, which forwards there;
Google's public servers know no internal name and, the sites being offline, do not answer (the lookup waits
:data:`PUBLIC_DNS_WAIT_S`). With no upstream at all the lookup fails at once (not observed here: no Docker 28 on this
machine). The host itself resolves through NSS whatever its file says (systemd-resolved's ``nss-resolve`` needs no
``/etc/resolv.conf``: the FR44 reporter's host resolved), so :mod:`.probes`' host ``getent`` does not read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .host import HostContext

HOST_RESOLV_CONF = "/etc/resolv.conf"
#: Docker's embedded DNS server, as a container on a user-defined network sees it.
EMBEDDED_DNS = "127.0.0.11"
#: Docker's fallback when the host leaves no usable nameserver (libnetwork's defaultIPv4Dns).
PUBLIC_DNS = ("8.8.8.8", "8.8.4.4")
#: The simulated site's DNS server: what a host's /etc/resolv.conf names by default.
SITE_DNS = "10.0.0.2"
#: Seconds ``getent hosts`` waits on an unreachable public resolver before failing (observed on the offline lab: 10.4 s).
PUBLIC_DNS_WAIT_S = 10.4
_LOOPBACK = re.compile(r"^127\.|^::1$")


@dataclass(frozen=True)
class ContainerDns:
    """``resolv_conf``: the container's /etc/resolv.conf text; ``upstreams``: the servers that answer its lookups in
    the end (the embedded DNS's forwarders, or the file's own servers on the default bridge); empty: none."""

    resolv_conf: str
    upstreams: tuple[str, ...]


def host_nameservers(host: HostContext) -> list[str] | None:
    """The ``nameserver`` addresses of the host's /etc/resolv.conf in order; None when the file does not exist."""
    path = host.sandbox.real(HOST_RESOLV_CONF)
    if not path.is_file():
        return None
    return [p[1] for p in (line.split() for line in path.read_text(errors="replace").splitlines())
            if len(p) >= 2 and p[0] == "nameserver"]


def engine_major(version: str) -> int:
    """``"28.0.1"`` → 28; 0 when unreadable."""
    m = re.match(r"(\d+)", version or "")
    return int(m.group(1)) if m else 0


def container_dns(host: HostContext, network_mode: str | None = None) -> ContainerDns:
    """What dockerd gives a container of ``host`` on a compose network (``network_mode`` None) or on the default
    bridge (``"bridge"``); ``"host"`` shares the host's file. The rules and their sources: the module's docstring."""
    servers = host_nameservers(host) or []
    if network_mode == "host":
        return ContainerDns("".join(f"nameserver {s}\n" for s in servers), tuple(servers))
    usable = [s for s in servers if not _LOOPBACK.match(s)]
    if network_mode == "bridge":
        given = tuple(usable) or PUBLIC_DNS
        return ContainerDns("".join(f"nameserver {s}\n" for s in given), given)
    upstreams = tuple(servers) or (PUBLIC_DNS if engine_major(host.engine_version) < 28 else ())
    return ContainerDns(f"nameserver {EMBEDDED_DNS}\noptions ndots:0\n", upstreams)


def public_only(upstreams: tuple[str, ...]) -> bool:
    """Every upstream is one of Google's public servers (they know no internal name; offline they do not answer)."""
    return bool(upstreams) and all(s in PUBLIC_DNS for s in upstreams)
