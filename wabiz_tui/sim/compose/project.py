"""The compose project as docker-compose 1.29 reads it: the file uploaded into the host sandbox,
``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``, ``${VAR:?msg}``, ``${VAR?msg}`` and ``$$`` interpolated from
the command's environment and the project's ``.env``, ``env_file`` entries checked; errors are
:class:`ComposeError` worded like the real tool's.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..daemon import Container
from ..shell import Proc

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
        """The replacement of one ``$`` match: ``$$`` → ``$``; ``$NAME``/``${NAME}`` → its value, ``""`` when unset (the
        name then goes to ``warnings``); ``${NAME:-d}`` → ``d`` when unset or empty, ``${NAME-d}`` when unset;
        ``${NAME:?msg}`` raises ``_Missing(msg)`` when unset or empty, ``${NAME?msg}`` when unset. A malformed
        ``${...}`` raises ``ValueError``."""
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
    """One service of the compose file, interpolated: ``image`` (``<project>_<service>`` when the file has none),
    ``command`` (a string split on spaces), ``ports`` and ``volumes`` as written (``"9090:443"``), ``env`` from its
    ``env_file`` entries then ``environment`` (which wins), ``restart`` the policy (``"no"`` by default)."""
    name: str
    image: str
    command: list[str]
    ports: list[str]
    volumes: list[str]
    env: dict[str, str]
    network_mode: str | None = None
    restart: str = "no"

    def config_hash(self) -> str:
        """SHA-1 hex of the image, command, ports and environment, standing in for compose's
        ``com.docker.compose.config-hash`` label: ``up`` keeps a container whose stored hash matches and recreates it
        otherwise (volumes, ``network_mode`` and ``restart`` are not part of it)."""
        return hashlib.sha1(repr((self.image, self.command, self.ports, sorted(self.env.items()))).encode()
                            ).hexdigest()


@dataclass
class Project:
    """A loaded compose project: ``name`` lowercased with only ``-_a-z0-9`` kept (from ``-p``, ``COMPOSE_PROJECT_NAME``
    or the directory's name), ``directory`` and ``file`` as paths inside the host sandbox, ``services`` in file order,
    ``volumes`` the top-level named volumes, ``raw`` the parsed YAML, ``warnings`` the names of the unset variables."""
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


def select_services(proj: Project, names: list[str]) -> list[Service]:
    """The services named, in the order given, or all of the project's in file order when ``names`` is empty; raises
    :class:`ComposeError` ``No such service: <name>`` for a name the file does not define."""
    for n in names:
        if n not in proj.services:
            raise ComposeError(f"No such service: {n}")
    return [proj.services[n] for n in (names or list(proj.services))]


def project_containers(p: Proc, proj: Project, services: list[str] | None = None) -> list[Container]:
    """The containers of ``proj`` on ``p``'s host (only those of ``services`` when given), in any state, sorted by their
    service's place in the file (services the file no longer has, the orphans, last), then by name."""
    out = [c for c in p.shell.host.brain.on_host(p.shell.host.name) if c.project == proj.name
           and (not services or c.service in services)]
    order = list(proj.services)
    return sorted(out, key=lambda c: (order.index(c.service) if c.service in order else 99, c.name))
