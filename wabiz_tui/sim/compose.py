"""docker-compose emulator (1.29 flavour; ``docker compose`` v2 accepted with the same behaviour).

It reads the compose file really uploaded into the host sandbox, interpolates ``${VAR}``,
``${VAR:-d}``, ``${VAR-d}``, ``${VAR:?msg}``, ``${VAR?msg}`` and ``$$`` from the command's
environment and the project's ``.env`` (as docker-compose does), checks ``env_file`` entries, and
drives :class:`~.brain.Brain` containers. Messages and table shapes imitate docker-compose 1.29
(progress lines go to stderr like the real tool; ``ps``/``logs``/``config``/``version`` to stdout).
"""

from __future__ import annotations

import asyncio
import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .brain import Container, classify
from .engine_access import docker_fault, exec_in
from .programs import program
from .registry import pull_refusal
from .shell import Proc

V1_VERSION = "1.29.2"
V2_VERSION = "v2.24.5"


class ComposeError(Exception):
    """A docker-compose failure; ``str(exc)`` is the text after ``ERROR: `` (``prefix``: compose 1.29.2 prints a
    pull refused during ``up`` bare, observed here: ``Head "https://…/manifests/v2.41.2": no basic auth
    credentials`` and exit 1, with no ``ERROR:``)."""

    def __init__(self, message: str, *, prefix: str = "ERROR: ") -> None:
        super().__init__(message)
        self.prefix = prefix


# --------------------------------------------------------------------------- interpolation
_PAT = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[_a-zA-Z][_a-zA-Z0-9]*))")
_BRACED = re.compile(r"^(?P<name>[_a-zA-Z][_a-zA-Z0-9]*)(?:(?P<sep>:?[-?])(?P<rest>.*))?$", re.S)


class _Missing(Exception):
    def __init__(self, err: str) -> None:
        self.err = err


def interpolate(value: str, env: dict[str, str], warnings: list[str]) -> str:
    """Interpolate one string like docker-compose 1.29; raises ``_Missing``/``ValueError``."""

    def sub(m: re.Match) -> str:
        if m.group("escaped"):
            return "$"
        name = m.group("named")
        if name:
            if name not in env:
                warnings.append(name)
            return env.get(name, "")
        b = _BRACED.match(m.group("braced") or "")
        if not b:
            raise ValueError(m.group(0))
        name, sep, rest = b.group("name"), b.group("sep"), b.group("rest") or ""
        val = env.get(name)
        if sep is None:
            if val is None:
                warnings.append(name)
            return val or ""
        if sep == ":-":
            return val if val else rest
        if sep == "-":
            return val if val is not None else rest
        if sep == ":?":
            if not val:
                raise _Missing(rest)
            return val
        if val is None:  # "?"
            raise _Missing(rest)
        return val

    return _PAT.sub(sub, value)


def _interp_tree(node: Any, env: dict[str, str], warnings: list[str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env, warnings)
    if isinstance(node, list):
        return [_interp_tree(x, env, warnings) for x in node]
    if isinstance(node, dict):
        return {k: _interp_tree(v, env, warnings) for k, v in node.items()}
    return node


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines (``#`` comments and blank lines ignored), as docker-compose reads db.env."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, val = line.partition("=")
        out[key.strip()] = val if sep else ""
    return out


# --------------------------------------------------------------------------- project model
@dataclass
class Service:
    name: str
    image: str
    command: list[str]
    ports: list[str]
    volumes: list[str]
    env: dict[str, str]
    network_mode: str | None = None
    restart: str = "no"

    def config_hash(self) -> str:
        return hashlib.sha1(repr((self.image, self.command, self.ports, sorted(self.env.items()))).encode()
                            ).hexdigest()


@dataclass
class Project:
    name: str
    directory: str  # virtual
    file: str  # virtual
    services: dict[str, Service]
    volumes: list[str]
    raw: dict
    warnings: list[str] = field(default_factory=list)


def _project_name(raw: str) -> str:
    return re.sub(r"[^-_a-z0-9]", "", raw.lower())


def load_project(p: Proc, files: list[str], project_dir: str | None, project_name: str | None,
                 env_files_check: bool = True) -> Project:
    """Read, parse and interpolate the compose file; raise :class:`ComposeError` like 1.29 would."""
    sh = p.shell
    if files:
        vfile = sh.vpath(files[0])
        real = sh.real(files[0])
        if not real.is_file():
            raise ComposeError(f".FileNotFoundError: [Errno 2] No such file or directory: '{files[0]}'")
    else:
        base = sh.vpath(project_dir) if project_dir else sh.cwd
        for cand in ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"):
            vfile = posixpath.join(base, cand)
            real = sh.host.sandbox.real(vfile)
            if real.is_file():
                break
        else:
            raise ComposeError(
                "\n        Can't find a suitable configuration file in this directory or any\n"
                "        parent directories. Are you in the right directory?\n\n"
                "        Supported filenames: docker-compose.yml, docker-compose.yaml, compose.yml, compose.yaml\n")
    directory = sh.vpath(project_dir) if project_dir else posixpath.dirname(vfile)
    try:
        raw = yaml.safe_load(real.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ComposeError(f"yaml.{type(exc).__module__.split('.')[-1]}.{type(exc).__name__}: {exc}") from None
    if not isinstance(raw, dict):
        raise ComposeError(f"Top level object in '{vfile}' needs to be an object not '{type(raw).__name__}'.")
    env: dict[str, str] = {}
    dot_env = sh.host.sandbox.real(posixpath.join(directory, ".env"))
    if dot_env.is_file():
        env.update(parse_env_file(dot_env.read_text()))
    env.update(p.env)
    name = project_name or env.get("COMPOSE_PROJECT_NAME") or posixpath.basename(directory.rstrip("/")) or "default"
    warnings: list[str] = []
    services_raw = raw.get("services") or {}
    if not isinstance(services_raw, dict):
        raise ComposeError(f"The Compose file '{vfile}' is invalid because:\nservices must be a mapping")
    services: dict[str, Service] = {}
    for sname, sdef in services_raw.items():
        sdef = sdef or {}
        inter: dict[str, Any] = {}
        for key, val in sdef.items():
            try:
                inter[key] = _interp_tree(val, env, warnings)
            except _Missing as miss:
                shown = _first_offending(val, env)
                raise ComposeError(
                    f'Missing mandatory value for "{key}" option interpolating {shown} in service '
                    f'"{sname}": {miss.err}') from None
            except ValueError as bad:
                raise ComposeError(
                    f'Invalid interpolation format for "{key}" option in service "{sname}": "{bad}"') from None
        env_vars: dict[str, str] = {}
        ef = inter.get("env_file") or []
        for entry in [ef] if isinstance(ef, str) else ef:
            path = entry if isinstance(entry, str) else entry.get("path", "")
            vpath = sh.host.sandbox.normalize(directory, path)
            rp = sh.host.sandbox.real(vpath)
            if not rp.is_file():
                if env_files_check:
                    raise ComposeError(f"Couldn't find env file: {vpath}")
                continue
            env_vars.update(parse_env_file(rp.read_text(errors="replace")))
        environment = inter.get("environment") or {}
        if isinstance(environment, list):
            for item in environment:
                k, _, v = str(item).partition("=")
                env_vars[k] = v
        else:
            for k, v in environment.items():
                env_vars[str(k)] = "" if v is None else str(v)
        cmd = inter.get("command") or []
        if isinstance(cmd, str):
            cmd = cmd.split()
        services[sname] = Service(
            name=sname, image=str(inter.get("image", f"{_project_name(name)}_{sname}")),
            command=[str(c) for c in cmd], ports=[str(x) for x in inter.get("ports") or []],
            volumes=[str(x) for x in inter.get("volumes") or []], env=env_vars,
            network_mode=inter.get("network_mode"), restart=str(inter.get("restart") or "no"))
    vols = list((raw.get("volumes") or {}).keys())
    return Project(_project_name(name), directory, vfile, services, vols, raw, sorted(set(warnings)))


def _first_offending(val: Any, env: dict[str, str]) -> str:
    """The original (uninterpolated) string that failed, as docker-compose quotes it."""
    stack = [val]
    while stack:
        v = stack.pop(0)
        if isinstance(v, str):
            try:
                interpolate(v, env, [])
            except (_Missing, ValueError):
                return v
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return str(val)


# --------------------------------------------------------------------------- helpers
def _port_text(spec: str) -> str:
    parts = spec.split(":")
    proto = "tcp"
    if "/" in parts[-1]:
        parts[-1], proto = parts[-1].split("/", 1)
    if len(parts) == 1:
        return f"{parts[0]}/{proto}"
    host_port, cont = parts[-2], parts[-1]
    ip = parts[0] if len(parts) == 3 else "0.0.0.0"
    return f"{ip}:{host_port}->{cont}/{proto}"


def ports_text(c: Container) -> str:
    return ", ".join(_port_text(s) for s in c.ports) if c.running else ""


def state_text(c: Container) -> str:
    """``ps`` State column of compose 1.29.2: ``Up``, ``Restarting`` (restart back-off), ``Exit N``."""
    if c.state == "restarting":
        return "Restarting"
    return "Up" if c.running else f"Exit {c.exit_code if c.exit_code is not None else 0}"


def truncate(s: str, width: int = 30) -> str:
    return s if len(s) <= width else s[: width - 4] + " ..."


def ps_table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    line = "   ".join(h.center(w) for h, w in zip(headers, widths)).rstrip()
    total = sum(widths) + 3 * (len(widths) - 1)
    out = [line, "-" * total]
    for r in rows:
        out.append("   ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    return "\n".join(out) + "\n"


def _fake_digest(image: str) -> str:
    return hashlib.sha256(image.encode()).hexdigest()


# --------------------------------------------------------------------------- main
@dataclass
class _Opts:
    files: list[str] = field(default_factory=list)
    project_dir: str | None = None
    project_name: str | None = None


@program("docker-compose", path="/usr/bin/docker-compose")
async def compose_v1_program(p: Proc) -> int:
    """The ``docker-compose`` program (1.29, when the host has it): daemon fault if any, else :func:`compose_main`."""
    if not p.shell.host.compose_v1:
        return await p.fail("bash: docker-compose: command not found", 127)
    failed = await docker_fault(p)
    return failed if failed is not None else await compose_main(p, v2=False)


async def compose_main(p: Proc, args: list[str] | None = None, *, v2: bool = False) -> int:
    """Run ``docker-compose ARGS`` (or ``docker compose ARGS`` when ``v2``) on the host of ``p``."""
    args = list(p.argv[1:] if args is None else args)
    o = _Opts()
    prog = "docker compose" if v2 else "docker-compose"
    while args and args[0].startswith("-"):
        a = args.pop(0)
        if a in ("-f", "--file"):
            o.files.append(args.pop(0) if args else "")
        elif a.startswith("--file="):
            o.files.append(a.split("=", 1)[1])
        elif a == "--project-directory":
            o.project_dir = args.pop(0) if args else ""
        elif a.startswith("--project-directory="):
            o.project_dir = a.split("=", 1)[1]
        elif a in ("-p", "--project-name"):
            o.project_name = args.pop(0) if args else ""
        elif a.startswith("--project-name="):
            o.project_name = a.split("=", 1)[1]
        elif a in ("--ansi", "--env-file", "--log-level", "--progress", "--profile"):
            if args:
                args.pop(0)
        elif a.startswith(("--ansi=", "--env-file=", "--log-level=", "--progress=")):
            continue
        elif a in ("--no-ansi", "--verbose", "--compatibility"):
            continue
        elif a in ("-v", "--version"):
            await p.out(f"Docker Compose version {V2_VERSION}\n" if v2
                        else f"docker-compose version {V1_VERSION}, build unknown\n")
            return 0
        elif a in ("-h", "--help"):
            await p.out(f"Define and run multi-container applications with Docker.\n\nUsage:\n  {prog} "
                        "[-f <arg>...] [--project-directory <path>] [options] [COMMAND] [ARGS...]\n")
            return 0
        else:
            return await p.fail(f"unknown flag: {a}" if v2 else f"ERROR: No such option: {a}", 1)
    if not args:
        await p.err(f"Define and run multi-container applications with Docker.\n\nUsage:\n  {prog} "
                    "[-f <arg>...] [--project-directory <path>] [options] [COMMAND] [ARGS...]\n")
        return 1
    sub, rest = args[0], args[1:]
    if sub == "version":
        if v2 or "--short" in rest:
            await p.out((f"Docker Compose version {V2_VERSION}\n" if v2 else f"{V1_VERSION}\n")
                        if "--short" not in rest else f"{V2_VERSION[1:] if v2 else V1_VERSION}\n")
        else:
            await p.out(f"docker-compose version {V1_VERSION}, build unknown\ndocker-py version: 5.0.3\n"
                        "CPython version: 3.11.2\nOpenSSL version: OpenSSL 3.0.11 19 Sep 2023\n")
        return 0
    handler = _SUBCOMMANDS.get(sub)
    if handler is None:
        return await p.fail(f"unknown docker command: \"compose {sub}\"" if v2 else f"No such command: {sub}", 1)
    try:
        proj = load_project(p, o.files, o.project_dir, o.project_name)
        for name in proj.warnings:  # v1 and v2 word it differently (docker/compose#4788, #9067)
            await p.err(f'WARN[0000] The "{name}" variable is not set. Defaulting to a blank string.\n' if v2
                        else f"WARNING: The {name} variable is not set. Defaulting to a blank string.\n")
        p.compose_v2 = v2
        return await handler(p, proj, rest)
    except ComposeError as exc:
        await p.err(f"{exc.prefix}{exc}\n")
        return 1


def _select(proj: Project, names: list[str]) -> list[Service]:
    for n in names:
        if n not in proj.services:
            raise ComposeError(f"No such service: {n}")
    return [proj.services[n] for n in (names or list(proj.services))]


def _split(rest: list[str], with_value: tuple[str, ...] = ()) -> tuple[dict[str, str], list[str]]:
    opts: dict[str, str] = {}
    pos: list[str] = []
    it = iter(rest)
    for a in it:
        if a.startswith("--") and "=" in a:
            k, v = a.split("=", 1)
            opts[k] = v
        elif a in with_value:
            opts[a] = next(it, "")
        elif a.startswith("-") and len(a) > 1:
            if a.startswith("--"):
                opts[a] = ""
            else:
                for ch in a[1:]:
                    opts["-" + ch] = ""
        else:
            pos.append(a)
    return opts, pos


def _containers(p: Proc, proj: Project, services: list[str] | None = None) -> list[Container]:
    out = [c for c in p.shell.host.brain.on_host(p.shell.host.name) if c.project == proj.name
           and (not services or c.service in services)]
    order = list(proj.services)
    return sorted(out, key=lambda c: (order.index(c.service) if c.service in order else 99, c.name))


async def _line(p: Proc, text: str, pause: float = 0.05, stream: str = "err") -> None:
    await (p.err if stream == "err" else p.out)(text + "\n")
    await p.shell.host.pause(pause)


class _Status:
    """docker-compose 1.29's per-container status lines (``Creating x ... done``), written to stderr.

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
        self.rows.append(name)
        await self.p.err(self._text(name) + "\r\n")

    async def close(self, name: str, word: str = "done", pause: float = 0.02) -> None:
        if name not in self.rows:
            await self.open(name)
        if self.p.tty:
            up = len(self.rows) - self.rows.index(name)
            await self.p.err(f"\x1b[{up}A\x1b[2K\r{self._text(name)}{self.COLOURS.get(word, '')}{word}\x1b[0m\r\x1b[{up}B")
        else:
            await self.p.err(f"{self._text(name)}{word}\r\n")
        await self.p.shell.host.pause(pause)


async def _pull(p: Proc, svc: Service) -> None:
    """Pull ``svc``'s image unless the host holds it. On a terminal the layer rows are rewritten in place as
    compose 1.29.2 / dockerd 20.10 did here (``tests/fixtures/compose/up_pull.pty``): a blank row per layer
    filled by ``ESC[1A ESC[2K CR <layer>: Pulling fs layer CR ESC[1B``, progress written ``n`` rows up, and
    ``ESC[2K CR`` before ``Digest:``/``Status:``; without one, one plain line per event."""
    host = p.shell.host
    if svc.image in host.images:
        return
    repo, _, tag = svc.image.rpartition(":")
    await _line(p, f"Pulling {svc.name} ({svc.image})...", 0.2)
    refusal = pull_refusal(host, svc.image)
    if refusal:
        raise ComposeError(refusal, prefix="")
    digest = _fake_digest(svc.image)
    layers = [digest[i:i + 12] for i in range(0, 48, 12)]
    tty = p.tty
    await p.err(("\x1b[2K\r" if tty else "") + f"{tag}: Pulling from {repo.split('/', 1)[-1]}" + ("\r\n" if tty else "\n"))
    await host.pause(0.1)

    async def row(i: int, text: str, pause: float) -> None:
        if tty:
            up = len(layers) - i
            await p.err(f"\x1b[{up}A\x1b[2K\r{text}\r\x1b[{up}B")
        else:
            await p.err(text + "\n")
        await host.pause(pause)

    for layer in layers:
        if tty:
            await p.err(f"\n\x1b[1A\x1b[2K\r{layer}: Pulling fs layer\r\x1b[1B")
            await host.pause(0.05)
        else:
            await _line(p, f"{layer}: Pulling fs layer", 0.05)
    for i, layer in enumerate(layers):
        await row(i, f"{layer}: Downloading [=>                                                 ]  36.45kB/1.064MB", 0.1)
        await row(i, f"{layer}: Pull complete", 0.15)
    end = "\r\n" if tty else "\n"
    await p.err(("\x1b[2K\r" if tty else "") + f"Digest: sha256:{digest}" + end)
    await p.err(("\x1b[2K\r" if tty else "") + f"Status: Downloaded newer image for {svc.image}" + end)
    await host.pause(0.05)
    host.images.add(svc.image)


def _new_container(p: Proc, proj: Project, svc: Service) -> Container:
    host = p.shell.host
    kind = classify(svc.image, svc.env, svc.name)
    node = svc.env.get("COREAPP_HOSTNAME") or svc.env.get("WEBAPP_HOSTNAME") or host.name
    c = Container(id=host.brain.new_id(), name=f"{proj.name}_{svc.name}_1", host=host.name, project=proj.name,
                  service=svc.name, image=svc.image, kind=kind, node_hostname=node, command=list(svc.command),
                  ports=list(svc.ports), env=dict(svc.env), restart=svc.restart)
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
    opts, names = _split(rest, ("-t", "--timeout", "--scale"))
    services = _select(proj, names)
    host, brain = p.shell.host, p.shell.host.brain
    if "--remove-orphans" not in opts:
        await _orphan_warning(p, _orphans(p, proj))
    net = f"{proj.name}_default"
    if net not in host.networks and any(s.network_mode is None for s in services):
        await _line(p, f'Creating network "{net}" with the default driver')
        host.networks.add(net)
    for vol in proj.volumes:
        full = f"{proj.name}_{vol}"
        if full not in host.volumes:
            await _line(p, f'Creating volume "{full}" with local driver')
            host.volumes.add(full)
    for svc in services:
        await _pull(p, svc)
    force = "--force-recreate" in opts
    for svc in services:
        name = f"{proj.name}_{svc.name}_1"
        existing = next((c for c in _containers(p, proj, [svc.name]) if c.name == name), None)
        same = existing is not None and existing.env.get("__config_hash") == svc.config_hash()
        if existing and ((same and not force) or "--no-recreate" in opts):
            # a container in restart back-off counts as up: compose 1.29.2 said "biz_wacore_1 is up-to-date" here
            if existing.running or existing.state == "restarting":
                await _line(p, f"{name} is up-to-date")
            else:
                status = _Status(p, "Starting", [name])
                await status.open(name)
                await host.pause(0.3)
                brain.start(existing)
                await status.close(name, pause=0.0)
            continue
        if existing:
            status = _Status(p, "Recreating", [name])
            await status.open(name)
            await host.pause(0.3)
            brain.stop(existing, 0)
            brain.remove(existing)
            c = _new_container(p, proj, svc)
            brain.start(c)
            await status.close(name, pause=0.05)
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


def _level(p: Proc, word: str, colour: int) -> str:
    """compose 1.29's level prefix for its own log lines: coloured ``WORD: `` on a terminal, nothing otherwise."""
    return f"\x1b[{colour}m{word}\x1b[0m: " if p.tty else ""


async def cmd_ps(p: Proc, proj: Project, rest: list[str]) -> int:
    opts, names = _split(rest)
    _select(proj, names)
    cs = _containers(p, proj, names)
    if "--services" in opts:
        for s in names or list(proj.services):
            await p.out(s + "\n")
        return 0
    if "-q" in opts or "--quiet" in opts:
        for c in cs:
            await p.out(c.full_id + "\n")
        return 0
    rows = [[c.name, truncate(" ".join(c.command)), state_text(c), ports_text(c)] for c in cs]
    await p.out(ps_table(rows, ["Name", "Command", "State", "Ports"]))
    return 0


#: ``docker-compose logs`` 1.29.2's answer to an option it lacks (``--since``, ``--until``): this usage text
#: on stderr, exit status 0 (observed here, Debian's docker-compose 1.29.2-3).
V1_LOGS_USAGE = """View output from containers.

Usage: logs [options] [--] [SERVICE...]

Options:
    --no-color              Produce monochrome output.
    -f, --follow            Follow log output.
    -t, --timestamps        Show timestamps.
    --tail="all"            Number of lines to show from the end of the logs
                            for each container.
    --no-log-prefix         Don't print prefix in logs.
"""


async def cmd_logs(p: Proc, proj: Project, rest: list[str]) -> int:
    """``logs``. v1 prints ``Attaching to <containers>`` first and prefixes lines with ``<service>_<n>``
    padded to the longest plus one (``wacore_1  | stand-in node ready``, observed on compose 1.29.2 here);
    v2 prefixes with the container name. v1 has no ``--since``/``--until`` (:data:`V1_LOGS_USAGE`)."""
    v2 = getattr(p, "compose_v2", False)
    if not v2 and any(a in ("--since", "--until") or a.startswith(("--since=", "--until=")) for a in rest):
        await p.err(V1_LOGS_USAGE)
        return 0
    opts, names = _split(rest, ("--tail", "--since", "--until"))
    _select(proj, names)
    cs = _containers(p, proj, names)
    tail = opts.get("--tail", "all")
    stamps = "-t" in opts or "--timestamps" in opts
    since = since_time(opts["--since"]) if opts.get("--since") else None
    label = {c.id: c.name if v2 else c.name[len(proj.name) + 1:] for c in cs}
    width = max([len(v) for v in label.values()] or [0]) + 1
    if not v2 and cs:
        await p.out("Attaching to " + ", ".join(c.name for c in cs) + "\n")
    sent: dict[str, int] = {}
    for c in cs:
        lines = [(ts, text) for ts, text in c.logs if since is None or ts >= since]
        if tail != "all":
            n = int(tail)
            lines = lines[-n:] if n > 0 else []
        for ts, text in lines:
            stamp = f"{ts:%Y-%m-%dT%H:%M:%S.%f}000Z " if stamps else ""
            await p.out(f"{label[c.id].ljust(width)} | {stamp}{text}\n")
        if tail == "all" and since is None and p.shell.host.log_filler_bytes > 0:
            await _filler(p, label[c.id].ljust(width), p.shell.host.log_filler_bytes)
        sent[c.id] = len(c.logs)
        await asyncio.sleep(0)
    if "-f" in opts or "--follow" in opts:
        while any(c.running for c in cs):
            await asyncio.sleep(max(0.05, 0.5 * p.shell.host.speed))
            for c in cs:
                for ts, text in c.logs[sent.get(c.id, 0):]:
                    await p.out(f"{label[c.id].ljust(width)} | {text}\n")
                sent[c.id] = len(c.logs)
    return 0


def since_time(value: str):
    """Docker's ``--since`` value as a UTC datetime: a duration (``10m``, ``1h30m``, ``45s``), an RFC 3339
    date or date-time, or a Unix timestamp. Raises :class:`ComposeError` for anything else."""
    import datetime as _dt

    now = _dt.datetime.now(_dt.timezone.utc)
    m = re.fullmatch(r"((?:\d+(?:\.\d+)?(?:h|m|s|ms))+)", value)
    if m:
        seconds = sum(float(n) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[u]
                      for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", value))
        return now - _dt.timedelta(seconds=seconds)
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return _dt.datetime.fromtimestamp(float(value), _dt.timezone.utc)
    try:
        when = _dt.datetime.fromisoformat(value.rstrip("Z"))
        return when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        raise ComposeError(f'invalid value "{value}" for flag --since') from None


async def _filler(p: Proc, prefix: str, total: int) -> None:
    """Print about ``total`` bytes of realistic coreapp log lines, in ~64 KiB writes."""
    sent, n = 0, 0
    while sent < total:
        chunk = []
        size = 0
        while size < 65536 and sent + size < total:
            n += 1
            line = (f"{prefix} | I 2026-11-30 10:{(n // 60) % 60:02d}:{n % 60:02d} UTC 140 message_queue.cpp:88] "
                    f"delivered message id=gBEGkWUVUQVRAgk{n:010d} to 1631555{n % 10000:04d} in {n % 97} ms\n")
            chunk.append(line)
            size += len(line)
        await p.out("".join(chunk))
        sent += size


async def cmd_stop(p: Proc, proj: Project, rest: list[str]) -> int:
    opts, names = _split(rest, ("-t", "--timeout"))
    _select(proj, names)
    running = [c for c in _containers(p, proj, names) if c.running]
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
    opts, names = _split(rest, ("-s",))
    _select(proj, names)
    running = [c for c in _containers(p, proj, names) if c.running]
    status = _Status(p, "Killing", [c.name for c in running])
    for c in running:
        p.shell.host.brain.stop(c, 137)
        await status.close(c.name)
    await p.shell.host.brain.settle()
    return 0


async def cmd_start(p: Proc, proj: Project, rest: list[str]) -> int:
    opts, names = _split(rest)
    services = _select(proj, names)
    for svc in services:
        cs = [c for c in _containers(p, proj, [svc.name])]
        if not cs:
            raise ComposeError("No containers to start")
        for c in cs:
            if not c.running:
                p.shell.host.brain.start(c)
        await _line(p, f"Starting {svc.name} ... done", 0.2)
    await p.shell.host.brain.settle()
    return 0


async def cmd_restart(p: Proc, proj: Project, rest: list[str]) -> int:
    opts, names = _split(rest, ("-t", "--timeout"))
    _select(proj, names)
    brain = p.shell.host.brain
    cs = _containers(p, proj, names)
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
    opts, names = _split(rest)
    _select(proj, names)
    brain = p.shell.host.brain
    cs = _containers(p, proj, names)
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
        await _line(p, "No stopped containers")
        return 0
    await _line(p, "Going to remove " + ", ".join(c.name for c in stopped))
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
    opts, names = _split(rest, ("-t", "--timeout", "--rmi"))
    if names:
        raise ComposeError("down does not accept service names")
    host, brain = p.shell.host, p.shell.host.brain
    cs = _containers(p, proj)
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
            await _line(p, f'Removing orphan container "{c.name}"', 0.05)
    net = f"{proj.name}_default"
    if net in host.networks:
        host.networks.discard(net)
        await _line(p, f"Removing network {net}")
    if "-v" in opts or "--volumes" in opts:
        for vol in proj.volumes:
            full = f"{proj.name}_{vol}"
            if full in host.volumes:
                host.volumes.discard(full)
                await _line(p, f"Removing volume {full}")
    await brain.settle()
    return 0


async def cmd_config(p: Proc, proj: Project, rest: list[str]) -> int:
    opts, _ = _split(rest)
    if "--services" in opts:
        for s in proj.services:
            await p.out(s + "\n")
        return 0
    if "--volumes" in opts:
        for v in proj.volumes:
            await p.out(v + "\n")
        return 0
    if "-q" in opts or "--quiet" in opts:
        return 0
    doc: dict[str, Any] = {"services": {}}
    for s in proj.services.values():
        entry: dict[str, Any] = {}
        if s.command:
            entry["command"] = s.command
        entry["environment"] = {k: v for k, v in sorted(s.env.items()) if not k.startswith("__")}
        entry["image"] = s.image
        if s.network_mode:
            entry["network_mode"] = s.network_mode
        if s.ports:
            entry["ports"] = [{"published": int(x.split(":")[-2]) if ":" in x else None,
                               "target": int(x.split(":")[-1].split("/")[0]), "protocol": "tcp"}
                              for x in s.ports]
        if s.volumes:
            entry["volumes"] = s.volumes
        doc["services"][s.name] = entry
    doc["version"] = str(proj.raw.get("version", "3"))
    if proj.volumes:
        doc["volumes"] = {v: (proj.raw.get("volumes") or {}).get(v) or {} for v in proj.volumes}
    await p.out(yaml.safe_dump(doc, default_flow_style=False, sort_keys=True))
    return 0


async def cmd_pull(p: Proc, proj: Project, rest: list[str]) -> int:
    _, names = _split(rest)
    for svc in _select(proj, names):
        await _pull(p, svc)
    return 0


async def cmd_exec(p: Proc, proj: Project, rest: list[str]) -> int:
    args = list(rest)
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-u", "--user", "-e", "--env", "-w", "--workdir", "--index") and args:
            args.pop(0)
    if not args:
        raise ComposeError("exec requires SERVICE and COMMAND")
    svc, cmd = args[0], args[1:]
    _select(proj, [svc])
    running = [c for c in _containers(p, proj, [svc]) if c.running]
    if not running:
        raise ComposeError(f"No container found for {svc}_1")
    return await exec_in(p, running[0], cmd)


_SUBCOMMANDS = {"up": cmd_up, "ps": cmd_ps, "logs": cmd_logs, "stop": cmd_stop, "down": cmd_down,
                "config": cmd_config, "start": cmd_start, "restart": cmd_restart, "kill": cmd_kill,
                "rm": cmd_rm, "pull": cmd_pull, "exec": cmd_exec}

__all__ = ["compose_main", "load_project", "interpolate", "parse_env_file", "ComposeError"]
