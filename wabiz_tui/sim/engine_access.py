"""What the ``docker`` and ``docker-compose`` emulators share on the way to the daemon: the socket's
faults (``HostContext.docker_fault``) and running a command inside a container (``exec``).

Kept apart from both CLIs so that neither imports the other for it (``docker compose`` does import
:mod:`.compose`; compose imports nothing of :mod:`.docker`).
"""

from __future__ import annotations

import dataclasses

from .daemon import Container
from .fs import Sandbox
from .resolver import container_dns
from .shell import Proc, Shell

_DOCKER_FAULTS = {
    "daemon_down": "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    "socket_denied": ("Got permission denied while trying to connect to the Docker daemon socket at "
                      "unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info\": "
                      "dial unix /var/run/docker.sock: connect: permission denied"),
}


async def docker_fault(p: Proc) -> int | None:
    """The daemon's refusal for the host of ``p`` (message on stderr, status 1), or None when it answers.

    ``docker compose version`` still answers (the plugin needs no daemon); ``docker version`` prints its client
    part, then the refusal, status 1 (with ``--format`` an empty line instead: observed here with Debian's 20.10 and
    the 28 client, daemon stopped). Root passes a denied socket.
    """
    fault = p.shell.host.docker_fault
    if fault == "socket_denied" and p.root:
        return None
    if fault not in _DOCKER_FAULTS or p.argv[1:3] == ["compose", "version"]:
        return None
    if p.argv[1:2] == ["version"]:
        await p.out("\n" if "--format" in p.argv or "-f" in p.argv else "Client:\n Version:           20.10.24+dfsg1\n\n")
    return await p.fail(_DOCKER_FAULTS[fault], 1)


#: Directories present in every container's own filesystem (seen by ``docker exec``).
CONTAINER_DIRS = ("usr/local/wamedia/incoming", "usr/local/wamedia/outgoing", "usr/local/wamedia/shared",
                  "opt/whatsapp/bin", "usr/local/waent/logs", "var/log/whatsapp", "root", "tmp")


async def exec_in(p: Proc, c: Container, cmd: list[str]) -> int:
    """Run ``cmd`` "inside" container ``c`` as root, with the small shell on the container's own
    filesystem (``/var/lib/docker/containers/<id>/rootfs`` in the host sandbox; volumes are not
    shared with the host view), its /etc/resolv.conf as dockerd gives it (:mod:`.resolver`), and its lookups through
    it. Enough for ``chown -R root /usr/local/wamedia/...``, ``ls``, ``cat /etc/resolv.conf`` and ``getent hosts``."""
    if not cmd:
        return await p.fail('"docker exec" requires at least 2 arguments.', 1)
    host = p.shell.host
    rootfs = host.sandbox.real(f"/var/lib/docker/containers/{c.id}/rootfs")
    for d in CONTAINER_DIRS:
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    # written at each exec from the host's state now: dockerd writes it at the container's start, and what changes
    # it here (an engine upgrade, the host's resolv.conf) restarts the containers in the field
    dns = container_dns(host, c.network_mode)
    (rootfs / "etc").mkdir(exist_ok=True)
    (rootfs / "etc" / "resolv.conf").write_text(dns.resolv_conf)
    inner = dataclasses.replace(host, name=c.id, user="root", sandbox=Sandbox(rootfs), container_upstreams=dns.upstreams)
    sub = Shell(inner, p.out, p.err)
    sub.cwd = "/"
    sub.env.update({"HOME": "/root", "USER": "root", "PWD": "/"})
    proc = Proc(sub, cmd, dict(p.env), {}, p.out, p.err, p.stdin)
    return await sub.dispatch(proc)
