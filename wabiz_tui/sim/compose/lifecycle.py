"""The compose subcommands that change containers: ``up``, ``stop``, ``kill``, ``start``, ``restart``,
``rm``, ``down`` (``pull`` and the image pull ``up`` does first: :mod:`.pull`), driving the daemon's containers (:class:`~..daemon.Daemon`). Progress
lines go to stderr as docker-compose 1.29 writes them."""

from __future__ import annotations

from ..daemon import Container
from ..rules import classify
from ..shell import Proc
from .common import split_options, write_line
from .project import ComposeError, Project, Service, project_containers, select_services
from .pull import pull_image


class _Status:
    r"""docker-compose 1.29's per-container status lines (``Creating x ... done``), written to stderr.

    On a terminal each line is first written open, then rewritten in place with its final word, so
    what a PTY carries is (observed here from ``docker-compose up -d master wacore`` 1.29.2 on dockerd
    20.10, ``tests/fixtures/compose/up_two.pty``)::

        Creating biz_master_1 ... \r\r\nCreating biz_wacore_1 ... \r\r\n
        \x1b[1A\x1b[2K\rCreating biz_wacore_1 ... \x1b[32mdone\x1b[0m\r\x1b[1B
        \x1b[2A\x1b[2K\rCreating biz_master_1 ... \x1b[32mdone\x1b[0m\r\x1b[2B

    (the PTY turns compose's ``\r\n`` into ``\r\r\n``). Without a terminal: ``Creating x ... \r\n``
    then ``Creating x ... done\r\n``. Names are padded to the longest of the batch
    (``Stopping biz_waweb_1  ... done`` beside ``biz_master_1``).
    """

    COLOURS = {"done": "\x1b[32m", "error": "\x1b[31m"}

    def __init__(self, p: Proc, verb: str, names: list[str]):
        self.p, self.verb, self.rows = p, verb, []
        self.width = max((len(n) for n in names), default=0)

    def _text(self, name: str) -> str:
        return f"{self.verb} {name.ljust(self.width)} ... "

    async def open(self, name: str) -> None:
        """Write ``name``'s open line (``<verb> <name padded> ... `` then CR LF) to stderr and note its row, for
        :meth:`close` to rewrite on a terminal."""
        self.rows.append(name)
        await self.p.err(self._text(name) + "\r\n")

    async def close(self, name: str, word: str = "done", pause: float = 0.02) -> None:
        """End ``name``'s line with ``word`` (``done``, or ``error``), opening it first if it was not. On a terminal the
        line is rewritten in place (cursor up to its row, ``word`` in green/red, cursor back down); otherwise a new line
        ``<verb> <name> ... <word>`` is written. Then pauses ``pause`` seconds of simulated time."""
        if name not in self.rows:
            await self.open(name)
        if self.p.tty:
            up = len(self.rows) - self.rows.index(name)
            await self.p.err(f"\x1b[{up}A\x1b[2K\r{self._text(name)}{self.COLOURS.get(word, '')}{word}\x1b[0m\r\x1b[{up}B")
        else:
            await self.p.err(f"{self._text(name)}{word}\r\n")
        await self.p.shell.host.pause(pause)


def _new_container(p: Proc, proj: Project, svc: Service) -> Container:
    host = p.shell.host
    kind = classify(svc.image, svc.env, svc.name)
    node = svc.env.get("COREAPP_HOSTNAME") or svc.env.get("WEBAPP_HOSTNAME") or host.name
    c = Container(id=host.brain.new_id(), name=f"{proj.name}_{svc.name}_1", host=host.name, project=proj.name,
                  service=svc.name, image=svc.image, kind=kind, node_hostname=node, command=list(svc.command),
                  ports=list(svc.ports), env=dict(svc.env), restart=svc.restart, network_mode=svc.network_mode)
    c.env["__config_hash"] = svc.config_hash()
    c.env["__working_dir"] = proj.directory  # the com.docker.compose.project.working_dir label
    # host-path volumes are created by docker when missing
    for v in svc.volumes:
        src = v.split(":", 1)[0]
        if src.startswith("/"):
            rp = host.sandbox.real(src)
            if not rp.exists():
                rp.mkdir(parents=True, exist_ok=True)
    return host.brain.add(c)


def _orphans(p: Proc, proj: Project) -> list[Container]:
    """The project's containers whose service this compose file does not define (e.g. ``dbupgrade`` seen
    from the main file: both files share the project directory, hence the project name)."""
    return [c for c in p.shell.host.brain.on_host(p.shell.host.name) if c.project == proj.name and c.service not in proj.services]


async def _orphan_warning(p: Proc, orphans: list[Container]) -> None:
    """compose 1.29.2's words (observed here: ``up -d`` of dbupgrade-compose.yml beside the main services,
    and ``down`` of the main file with biz_dbupgrade_1 left); on a terminal its logger prefixes a yellow
    ``WARNING``: ``\x1b[33mWARNING\x1b[0m: Found orphan containers …`` (tests/fixtures/compose/dbupgrade_up.pty)."""
    if orphans:
        prefix = "\x1b[33mWARNING\x1b[0m: " if p.tty else ""
        await p.err(f"{prefix}Found orphan containers ({', '.join(sorted(c.name for c in orphans))}) for this project. If you "
                    "removed or renamed this service in your compose file, you can run this command with the "
                    "--remove-orphans flag to clean it up.\n")


async def cmd_up(p: Proc, proj: Project, rest: list[str]) -> int:
    """``up [-d] [--force-recreate|--no-recreate] [--remove-orphans] [SERVICE...]``, always detached: warns of orphans
    (unless ``--remove-orphans``; none is removed), creates the project network and named volumes, pulls missing images,
    then per service says ``<name> is up-to-date``, starts, recreates (its config hash changed) or creates its
    container. Returns 0; raises :class:`ComposeError` for an unknown service, a refused pull, a runtime fault, a
    published port in use, or a recreate by 1.29 on Engine 25+."""
    opts, names = split_options(rest, ("-t", "--timeout", "--scale"))
    services = select_services(proj, names)
    host, brain = p.shell.host, p.shell.host.brain
    if "--remove-orphans" not in opts:
        await _orphan_warning(p, _orphans(p, proj))
    net = f"{proj.name}_default"
    if net not in host.networks and any(s.network_mode is None for s in services):
        await write_line(p, f'Creating network "{net}" with the default driver')
        host.networks.add(net)
    for vol in proj.volumes:
        full = f"{proj.name}_{vol}"
        if full not in host.volumes:
            await write_line(p, f'Creating volume "{full}" with local driver')
            host.volumes.add(full)
    for svc in services:
        await pull_image(p, svc)
    force = "--force-recreate" in opts
    for svc in services:
        name = f"{proj.name}_{svc.name}_1"
        # compose finds a service's container by its labels: after a failed recreate it bears a "<id>_" prefix
        existing = next((c for c in project_containers(p, proj, [svc.name]) if c.name.endswith(name)), None)
        same = existing is not None and existing.env.get("__config_hash") == svc.config_hash()
        if existing and ((same and not force) or "--no-recreate" in opts):
            # a container in restart back-off counts as up: compose 1.29.2 said "biz_wacore_1 is up-to-date" here
            if existing.running or existing.state == "restarting":
                await write_line(p, f"{name} is up-to-date")
            else:
                status = _Status(p, "Starting", [name])
                await status.open(name)
                await host.pause(0.3)
                brain.start(existing)
                await status.close(name, pause=0.0)
            continue
        if existing:
            status = _Status(p, "Recreating", [existing.name])
            await status.open(existing.name)
            await host.pause(0.3)
            brain.stop(existing, 0)
            if not getattr(p, "compose_v2", False) and _major(host.engine_version) >= 25:
                raise ComposeError(await _container_config_error(status, existing, name, svc.name))
            brain.remove(existing)
            c = _new_container(p, proj, svc)
            brain.start(c)
            await status.close(existing.name, pause=0.05)
        else:
            status = _Status(p, "Creating", [name])
            await status.open(name)
            await host.pause(0.3)
            c = _new_container(p, proj, svc)
            if host.name in brain.runtime_faults:
                await status.close(name, "error", 0.05)
                raise ComposeError(
                    f"for {svc.name}  Cannot start service {svc.name}: OCI runtime create failed: container_linux.go:380: "
                    "starting container process caused: process_linux.go:545: container init caused: "
                    "rootfs_linux.go:76: mounting \"/proc\" to rootfs caused: permission denied: unknown\n"
                    "ERROR: Encountered errors while bringing up the project.")
            clash = _port_clash(p, c)
            if clash is not None:
                raise ComposeError(await _clash_error(p, status, name, svc.name, clash))
            brain.start(c)
            await status.close(name, pause=0.05)
    await brain.settle()
    return 0


def _port_clash(p: Proc, c: Container) -> int | None:
    """A host port ``c`` publishes that something else on the host holds (another running container, or a
    process: the host's ``ports_taken``), or None."""
    host = p.shell.host
    held = set(host.ports_taken) | {port for o in host.brain.on_host(host.name) if o is not c and o.running
                                    for port in o.published_ports}
    return next((port for port in sorted(c.published_ports) if port in held), None)


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


async def _container_config_error(status: "_Status", old: Container, name: str, service: str) -> str:
    """docker-compose 1.29.2 recreating on Docker Engine 25+: it has stopped the old container and renamed it to
    ``<short id>_<name>``, then fails reading the old image's ``ContainerConfig``, which newer engines no longer
    return (docker/compose#11693, #12509: ``ERROR: for <container>  'ContainerConfig'``, the same for the
    service, a Python traceback ending in ``KeyError: 'ContainerConfig'``); exit 1. The next ``up`` finds the
    renamed container and fails the same way."""
    shown = old.name
    await status.close(shown, "error", 0.05)
    old.name = f"{old.id[:12]}_{name}"
    return (f"for {shown}  'ContainerConfig'\n\nERROR: for {service}  'ContainerConfig'\n"
            "Traceback (most recent call last):\n"
            '  File "/usr/bin/docker-compose", line 33, in <module>\n'
            "KeyError: 'ContainerConfig'")


async def _clash_error(p: Proc, status: "_Status", name: str, service: str, port: int) -> str:
    """compose 1.29.2 on dockerd 20.10 when a published port is held (observed here, port 9090): the container
    stays ``Created``, stderr carries ``Host is already in use by another container``, the status line ends in
    ``error`` and Docker's message comes twice (per container, per service), exit status 1. On a terminal compose
    names the log level of its own lines (lab host, compose 1.29.2 on a PTY, rendered: ``WARNING: Host is already
    in use by another container`` … ``ERROR: Encountered errors while bringing up the project.``; without one
    both lines are bare)."""
    import secrets

    await p.err(f"{_level(p, 'WARNING', 33)}Host is already in use by another container\n")
    await status.close(name, "error", 0.05)
    msg = (f"Cannot start service {service}: driver failed programming external connectivity on endpoint {name} "
           f"({secrets.token_hex(32)}): Error starting userland proxy: listen tcp4 0.0.0.0:{port}: bind: address already in use")
    await p.err("\n")
    return (f"for {name}  {msg}\n\nERROR: for {service}  {msg}\n"
            f"{_level(p, 'ERROR', 31)}Encountered errors while bringing up the project.")


async def cmd_stop(p: Proc, proj: Project, rest: list[str]) -> int:
    """``stop [-t N] [SERVICE...]``: stop the running containers of the services (all by default) with exit code 0
    (asked through Docker: no restart policy), ``Stopping <name> ... done`` for each; the timeout is ignored. Returns 0;
    :class:`ComposeError` for an unknown service."""
    opts, names = split_options(rest, ("-t", "--timeout"))
    select_services(proj, names)
    running = [c for c in project_containers(p, proj, names) if c.running]
    status = _Status(p, "Stopping", [c.name for c in running])
    for c in running:
        await status.open(c.name)
    for c in running:
        await p.shell.host.pause(0.3)
        p.shell.host.brain.stop(c, 0)
        await status.close(c.name)
    await p.shell.host.brain.settle()
    return 0


async def cmd_kill(p: Proc, proj: Project, rest: list[str]) -> int:
    """``kill [-s SIGNAL] [SERVICE...]``: stop the running containers of the services (all by default) with exit code
    137 whatever the signal (asked through Docker: no restart policy), ``Killing <name> ... done`` for each. Returns 0;
    :class:`ComposeError` for an unknown service."""
    opts, names = split_options(rest, ("-s",))
    select_services(proj, names)
    running = [c for c in project_containers(p, proj, names) if c.running]
    status = _Status(p, "Killing", [c.name for c in running])
    for c in running:
        p.shell.host.brain.stop(c, 137)
        await status.close(c.name)
    await p.shell.host.brain.settle()
    return 0


async def cmd_start(p: Proc, proj: Project, rest: list[str]) -> int:
    """``start [SERVICE...]``: start each service's containers that are not running (a start through Docker resets
    ``RestartCount``), one ``Starting <service> ... done`` line per service. Returns 0; :class:`ComposeError` for an
    unknown service, or ``No containers to start`` when a service has no container."""
    opts, names = split_options(rest)
    services = select_services(proj, names)
    for svc in services:
        cs = [c for c in project_containers(p, proj, [svc.name])]
        if not cs:
            raise ComposeError("No containers to start")
        for c in cs:
            if not c.running:
                p.shell.host.brain.start(c)
        await write_line(p, f"Starting {svc.name} ... done", 0.2)
    await p.shell.host.brain.settle()
    return 0


async def cmd_restart(p: Proc, proj: Project, rest: list[str]) -> int:
    """``restart [-t N] [SERVICE...]``: stop (exit code 0) and start again every container of the services, running or
    not, ``Restarting <name> ... done`` for each (``RestartCount`` back to 0). Returns 0; :class:`ComposeError` for an
    unknown service."""
    opts, names = split_options(rest, ("-t", "--timeout"))
    select_services(proj, names)
    brain = p.shell.host.brain
    cs = project_containers(p, proj, names)
    status = _Status(p, "Restarting", [c.name for c in cs])
    for c in cs:
        await status.open(c.name)
    for c in cs:
        await p.shell.host.pause(0.3)
        brain.stop(c, 0)
        brain.start(c)
        await status.close(c.name)
    await brain.settle()
    return 0


async def cmd_rm(p: Proc, proj: Project, rest: list[str]) -> int:
    """``rm [-s|--stop] [-f|--force] [SERVICE...]``: with ``-s`` stop the running containers first, then remove every
    container not running, after ``Going to remove <names>``. Without ``-f`` it prints the ``Are you sure? [yN]`` prompt
    and returns 1 without reading an answer (nothing removed); with none stopped, ``No stopped containers`` and 0.
    :class:`ComposeError` for an unknown service."""
    opts, names = split_options(rest)
    select_services(proj, names)
    brain = p.shell.host.brain
    cs = project_containers(p, proj, names)
    if "-s" in opts or "--stop" in opts:
        running = [c for c in cs if c.running]
        stopping = _Status(p, "Stopping", [c.name for c in running])
        for c in running:
            await stopping.open(c.name)
        for c in running:
            brain.stop(c, 0)
            await stopping.close(c.name, pause=0.1)
    stopped = [c for c in cs if not c.running]
    if not stopped:
        await write_line(p, "No stopped containers")
        return 0
    await write_line(p, "Going to remove " + ", ".join(c.name for c in stopped))
    if "-f" not in opts and "--force" not in opts:
        await p.err("Are you sure? [yN] ")
        return 1
    status = _Status(p, "Removing", [c.name for c in stopped])
    for c in stopped:
        brain.remove(c)
        await status.close(c.name, pause=0.05)
    await brain.settle()
    return 0


async def cmd_down(p: Proc, proj: Project, rest: list[str]) -> int:
    """``down [--remove-orphans] [-v|--volumes]``: stop and remove the project's containers (its orphans only with
    ``--remove-orphans``, else warned about), then remove the ``<project>_default`` network and, with ``-v``, the
    project's named volumes; ``--rmi`` and ``-t`` are ignored. Returns 0; :class:`ComposeError` when service names are
    given."""
    opts, names = split_options(rest, ("-t", "--timeout", "--rmi"))
    if names:
        raise ComposeError("down does not accept service names")
    host, brain = p.shell.host, p.shell.host.brain
    cs = project_containers(p, proj)
    orphans = _orphans(p, proj)
    cs = [c for c in cs if c not in orphans]
    running = [c for c in cs if c.running]
    stopping = _Status(p, "Stopping", [c.name for c in running])
    for c in running:
        await stopping.open(c.name)
    for c in running:
        await host.pause(0.3)
        brain.stop(c, 0)
        await stopping.close(c.name)
    if "--remove-orphans" not in opts:
        await _orphan_warning(p, orphans)
    removing = _Status(p, "Removing", [c.name for c in cs])
    for c in cs:
        await removing.open(c.name)
    for c in cs:
        brain.remove(c)
        await removing.close(c.name, pause=0.05)
    if "--remove-orphans" in opts:
        for c in orphans:  # compose 1.29.2 here: Removing orphan container "biz_dbupgrade_1"
            brain.remove(c)
            await write_line(p, f'Removing orphan container "{c.name}"', 0.05)
    net = f"{proj.name}_default"
    if net in host.networks:
        host.networks.discard(net)
        await write_line(p, f"Removing network {net}")
    if "-v" in opts or "--volumes" in opts:
        for vol in proj.volumes:
            full = f"{proj.name}_{vol}"
            if full in host.volumes:
                host.volumes.discard(full)
                await write_line(p, f"Removing volume {full}")
    await brain.settle()
    return 0


def _level(p: Proc, word: str, colour: int) -> str:
    """compose 1.29's level prefix for its own log lines: coloured ``WORD: `` on a terminal, nothing otherwise."""
    return f"\x1b[{colour}m{word}\x1b[0m: " if p.tty else ""
