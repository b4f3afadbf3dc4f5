"""Commands a preflight runs on a host, as the simulated hosts answer them: ``date``, ``df``,
``getent hosts``, ``ss -ltn`` and ``nc`` (the database probe), with the faults that make each
check fire (a clock off, a full disk, a name that does not resolve, a port taken, a DB that does
not answer or answers an unsupported MySQL greeting).

Facts and faults live on :class:`HostContext` (per host) and on the :class:`Brain` (the DB, shared).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from .programs import program
from .resolver import PUBLIC_DNS_WAIT_S, public_only
from .shell import Proc

if TYPE_CHECKING:  # pragma: no cover
    from .brain import Brain

#: The registry's name (its pull errors, sim/registry.py, say a lookup of it failed when it is unreachable).
REGISTRY_NAME = "docker.whatsapp.biz"
#: Free space reported by ``df`` unless a host's ``disk_free_kb`` says otherwise (50 GiB).
DEFAULT_FREE_KB = 50 * 1024 * 1024


@program("date")
async def _date(p: Proc) -> int:
    now = time.time() + p.shell.host.clock_offset
    fmt = next((a[1:] for a in p.argv[1:] if a.startswith("+")), "%a %b %d %H:%M:%S UTC %Y")
    if fmt == "%s":
        await p.out(f"{int(now)}\n")
    elif fmt in ("%s%N", "%s.%N"):  # GNU date: %N is the nanoseconds of the second, 9 digits
        sep = "." if "." in fmt else ""
        await p.out(f"{int(now)}{sep}{int(now * 1e9) % 1_000_000_000:09d}\n")
    else:
        await p.out(time.strftime(fmt, time.gmtime(now)) + "\n")
    return 0


@program("df")
async def _df(p: Proc) -> int:
    paths = [a for a in p.argv[1:] if not a.startswith("-")] or ["/"]
    free = p.shell.host.disk_free_kb
    await p.out("Filesystem     1024-blocks      Used Available Capacity Mounted on\n")
    for path in paths:
        if not path.startswith("/var/lib/docker") and not p.shell.real(path).exists():
            await p.err(f"df: {path}: No such file or directory\n")
            return 1
        total = max(free * 2, 1)
        used = total - free
        await p.out(f"/dev/sda1      {total:>11} {used:>9} {free:>9} {used * 100 // total:>7}% /\n")
    return 0


@program("getent")
async def _getent(p: Proc) -> int:
    """``getent hosts KEY...``: one line per key found (address, then the name), exit 2 when one or more keys
    were not found, like glibc's (observed here: ``getent hosts localhost nosuchhost.invalid 127.0.0.1``
    printed 2 lines and exited 2). Inside a container (``docker exec``) the names reach the resolvers dockerd gave
    it (:mod:`.resolver`)."""
    if len(p.argv) < 3 or p.argv[1] != "hosts":
        return await p.fail("getent: only 'getent hosts NAME...' is simulated", 1)
    brain = p.shell.host.brain
    upstreams = p.shell.host.container_upstreams
    if upstreams is not None and (not upstreams or public_only(upstreams)):
        # inside a container with no resolver, or only public ones that know no internal name (resolver.py)
        if upstreams:
            await p.shell.host.pause(PUBLIC_DNS_WAIT_S)
        return 2
    status = 0
    for name in p.argv[2:]:
        if (name in p.shell.host.unresolvable or name not in brain.dns
                or (name == REGISTRY_NAME and brain.registry_unreachable)):
            status = 2  # getent's "one or more keys not found"
            continue
        await p.out(f"{brain.dns[name]}       {name}\n")
    return status


@program("ss")
async def _ss(p: Proc) -> int:
    host = p.shell.host
    ports = set(host.ports_taken)
    for c in host.brain.on_host(host.name):
        if c.running:
            ports.update(c.published_ports)
    if "H" not in "".join(a for a in p.argv[1:] if a.startswith("-")):
        await p.out("State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n")
    for port in sorted(ports | {22}):
        await p.out(f"LISTEN 0      4096        0.0.0.0:{port}      0.0.0.0:*\n")
    return 0


#: WhatsApp's servers (Meta's network requirements; WADebug's list): they answer on every port from every simulated
#: host (``nc`` here, ``direct-tcpip`` in :mod:`.sshd`; the lab plays them for real in ``lab/egress.py``).
WHATSAPP_SERVERS = frozenset({"g.whatsapp.net", "v.whatsapp.net", "mmg.whatsapp.net", "graph.facebook.com"})


@program("nc")
async def _nc(p: Proc) -> int:
    args = [a for a in p.argv[1:] if not a.startswith("-")]
    zero_io = any(a.startswith("-") and "z" in a for a in p.argv[1:])
    args = [a for a in args if not a.isdigit() or a == args[-1]]
    if len(args) < 2:
        return await p.fail("usage: nc [-z] [-w timeout] host port", 1)
    host, port = args[-2], args[-1]
    db = p.shell.host.brain.db
    if host in WHATSAPP_SERVERS:
        return 0
    if host in p.shell.host.unresolvable or host not in p.shell.host.brain.dns:
        return await p.fail(f"nc: getaddrinfo for host \"{host}\" port {port}: Name or service not known", 1)
    if host != db.hostname:
        return await _nc_host(p, host, int(port) if port.isdigit() else -1)
    if not db.reachable or host != db.hostname or str(port) != str(db.port):
        await p.shell.host.pause(3.0)
        return 1  # timed out: nothing answers
    if not zero_io and db.engine == "MYSQL":
        await p.out(await _mysql_greeting(db.server_host, db.server_ports.get("MYSQL", 0)))
    return 0


def _wait_seconds(argv: list[str], default: float = 3.0) -> float:
    """The ``-w N`` connect timeout of an ``nc`` command line (seconds)."""
    for i, a in enumerate(argv):
        if a == "-w" and i + 1 < len(argv) and argv[i + 1].isdigit():
            return float(argv[i + 1])
        if a.startswith("-w") and a[2:].isdigit():
            return float(a[2:])
    return default


async def _nc_host(p: Proc, target: str, port: int) -> int:
    """``nc [-v] -z -w N HOST PORT`` to a simulated host: OpenBSD netcat's answers for a port that is
    listening (an exporter, a published container port, a taken port), dropped by a firewall (times out
    after N seconds) or closed (refused at once)."""
    verbose = any(a.startswith("-") and "v" in a for a in p.argv[1:])
    state = port_state(p.shell.host.brain, p.shell.host.name, target, port)
    if state == "filtered":
        await p.shell.host.pause(_wait_seconds(p.argv))
        if verbose:
            await p.err(f"nc: connect to {target} port {port} (tcp) timed out: Operation now in progress\n")
        return 1
    if state == "open":
        if verbose:
            await p.err(f"Connection to {target} {port} port [tcp/*] succeeded!\n")
        return 0
    if verbose:
        await p.err(f"nc: connect to {target} port {port} (tcp) failed: Connection refused\n")
    return 1


def port_state(brain: "Brain", source: str, target: str, port: int) -> str:
    """How a TCP connection from host ``source`` to ``target:port`` ends: ``open`` (an exporter, a published port of a
    running container, a taken port), ``filtered`` (a firewall drops it: ``set_port_filtered``, or the two hosts are
    cut apart: ``cut``) or ``closed`` (refused at once)."""
    if (target, port) in brain.filtered or frozenset((source, target)) in brain.cuts:
        return "filtered"
    open_ports = set(brain.listening.get(target, ()))
    for c in brain.on_host(target):
        if c.running:
            open_ports.update(c.published_ports)
    return "open" if port in open_ports else "closed"


async def _mysql_greeting(address: str, port: int) -> str:
    """What the simulated MySQL server sends first (its protocol-10 handshake packet, as Latin-1 text)."""
    if not port:
        return ""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), 3)
    except (OSError, TimeoutError):
        return ""
    try:
        header = await asyncio.wait_for(reader.readexactly(4), 3)
        body = await asyncio.wait_for(reader.readexactly(int.from_bytes(header[:3], "little")), 3)
        return (header + body).decode("latin-1")
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return ""
    finally:
        writer.close()


@program("curl")
async def _curl(p: Proc) -> int:
    """``curl -sSI [-H H] [--max-time N] [--cacert F] https://docker.whatsapp.biz/v2/REPO/manifests/TAG``: the
    registry's answer to a manifest HEAD, from its state (unreachable: curl's exit 6; denied: docker-registry's 401
    with a Basic challenge, as the lab's ``registry deny`` answers; else 200). Other URLs: could not resolve.
    ``curl -K -``: the configuration from stdin, the request made for real (:mod:`.curl_config`)."""
    if p.argv[1:] and p.argv[-2:] == ["-K", "-"]:
        from .curl_config import curl_with_config
        return await curl_with_config(p)
    url = next((a for a in p.argv[1:] if a.startswith(("http://", "https://"))), "")
    brain = p.shell.host.brain
    hostname = url.split("://", 1)[-1].split("/", 1)[0]
    if hostname != REGISTRY_NAME or brain.registry_unreachable or hostname in p.shell.host.unresolvable:
        return await p.fail(f"curl: (6) Could not resolve host: {hostname or '(none)'}", 6)
    if brain.registry_denied:
        await p.out("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json; charset=utf-8\r\n"
                    "Docker-Distribution-Api-Version: registry/2.0\r\n"
                    f'Www-Authenticate: Basic realm="{REGISTRY_NAME}"\r\n\r\n')
        return 0
    await p.out("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.distribution.manifest.v2+json\r\n"
                "Docker-Distribution-Api-Version: registry/2.0\r\n\r\n")
    return 0
