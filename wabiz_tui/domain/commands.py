"""Remote command lines, built from validated values and quoted with :func:`shlex.quote`.

Variables are passed on the command line (``EXTERNAL_HOSTNAME=h WA_API_VERSION=v docker-compose …``)
because OpenSSH servers drop client-sent environment variables unless ``AcceptEnv`` allows them
(design.md §6; field case R14). Compose always gets absolute ``-f`` and ``--project-directory`` so
``db.env`` resolves the same whatever the login directory is.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from .docker_access import with_sudo
from .model import HostSpec, Role
from .render import COMPOSE_FILE, DB_ENV_FILE, DBUPGRADE_FILE
from .validation import check_abs_path, check_hostname, check_since, check_version

#: Compose flavours: v1 standalone binary (the seed's) and the v2 plugin.
COMPOSE_V1 = "docker-compose"
COMPOSE_V2 = "docker compose"


#: Options of ``logs`` per compose flavour. docker-compose 1.29.2 (``docker-compose logs -h``, observed
#: here): ``--no-color``, ``-f``, ``-t``, ``--tail``, ``--no-log-prefix``, and no ``--since``/``--until``:
#: given ``--since 10m`` it prints ``View output from containers.`` + its usage on stderr and exits 0.
#: The v2 plugin adds ``--since``/``--until`` (docs.docker.com, "docker compose logs").
LOGS_OPTIONS: dict[str, frozenset[str]] = {
    COMPOSE_V1: frozenset({"--no-color", "--follow", "--timestamps", "--tail", "--no-log-prefix"}),
    COMPOSE_V2: frozenset({"--no-color", "--follow", "--timestamps", "--tail", "--no-log-prefix", "--since", "--until"}),
}
#: How compose starts its answer when it did not run the command but explained its usage or refused an
#: option (v1: ``View output from containers.``/``Usage: logs …``/``No such option``; v2: ``unknown flag``).
USAGE_STARTS = ("View output from containers.", "Usage:", "ERROR: No such option", "No such command", "unknown flag",
                "unknown shorthand flag")


def logs_option_supported(flavour: str, option: str) -> bool:
    """Whether ``<flavour> logs`` accepts ``option`` (see :data:`LOGS_OPTIONS`)."""
    return option in LOGS_OPTIONS.get(flavour, frozenset())


def usage_answer(head: list[str]) -> str | None:
    """The first line of a compose answer that is its usage or an option error instead of logs (``head``: the
    first lines of the output), or None when it looks like logs."""
    for line in head[:3]:
        if line.strip().startswith(USAGE_STARTS):
            return line.strip()
    return None


class UnsafeValue(ValueError):
    """A value that would reach a command line failed validation; the message names the field."""


def _require(errors: Sequence[object]) -> None:
    if errors:
        raise UnsafeValue("; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class ComposeInvocation:
    """Everything that identifies one compose call on one host."""

    host: HostSpec
    version: str
    flavour: str = COMPOSE_V1
    compose_file: str = COMPOSE_FILE
    #: run through ``sudo -n`` (the host's Docker socket is denied to the SSH user; ``domain.docker_access``)
    sudo: bool = False

    @property
    def compose_path(self) -> str:
        """Absolute path of the compose file on the host."""
        return posixpath.join(self.host.remote_dir, self.compose_file)

    def command(self, *args: str) -> str:
        """``EXTERNAL_HOSTNAME=… WA_API_VERSION=… docker-compose -f … --project-directory … ARGS``,
        prefixed by ``sudo -n`` when :attr:`sudo`.

        Raises :class:`UnsafeValue` when the hostname, version or directory is not valid.
        """
        _require(check_hostname(self.host.external_hostname, "external_hostname")
                 + check_version(self.version) + check_abs_path(self.host.remote_dir, "remote_dir"))
        if self.compose_file not in (COMPOSE_FILE, DBUPGRADE_FILE):
            raise UnsafeValue(f"compose file {self.compose_file!r} is not one wabiz-tui writes")
        if self.flavour not in (COMPOSE_V1, COMPOSE_V2):
            raise UnsafeValue(f"compose flavour {self.flavour!r} is neither {COMPOSE_V1!r} nor {COMPOSE_V2!r}")
        env = (f"EXTERNAL_HOSTNAME={shlex.quote(self.host.external_hostname)} "
               f"WA_API_VERSION={shlex.quote(self.version)}")
        parts = [self.flavour, "-f", shlex.quote(self.compose_path),
                 "--project-directory", shlex.quote(self.host.remote_dir), *map(shlex.quote, args)]
        return with_sudo(f"{env} {' '.join(parts)}", self.sudo)

    def up(self, role: Role) -> str:
        """Start the role's service detached: ``… up -d waweb|master|wacore`` (seed, HA step 5)."""
        return self.command("up", "-d", role.service)

    def ps(self) -> str:
        """List the project's containers (seed, HA step 6)."""
        return self.command("ps")

    def down(self) -> str:
        """Stop and remove the project's containers (seed, uninstall)."""
        return self.command("down")

    def logs(self, service: str | None = None, tail: int | None = None, since: str | None = None) -> str:
        """``logs --no-color [--since X] [--tail N] [SERVICE]`` (seed, troubleshooting).

        ``since`` is docker's format: a duration (``10m``, ``1h30m``), a date/time (``2026-11-30``,
        ``2026-11-30T10:00:00``) or a Unix timestamp. Raises :class:`UnsafeValue` for anything else, and
        for ``since`` on compose v1, which has no such option (:data:`LOGS_OPTIONS`).
        """
        args = ["logs", "--no-color"]
        if since:
            _require(check_since(since))
            if not logs_option_supported(self.flavour, "--since"):
                raise UnsafeValue(f"{self.flavour} logs has no --since option (use docker logs --since per container)")
            args += ["--since", since]
        if tail is not None:
            if isinstance(tail, bool) or not isinstance(tail, int) or tail < 0:
                raise UnsafeValue(f"tail: {tail!r} is not a line count (0 or more)")
            args += ["--tail", str(tail)]
        if service:
            allowed = {r.service for r in Role} if self.compose_file == COMPOSE_FILE else {"dbupgrade"}
            if service not in allowed:
                raise UnsafeValue(f"service {service!r} is not one of {', '.join(sorted(allowed))}")
            args.append(service)
        return self.command(*args)


def mkdir(path: str) -> str:
    """``mkdir -p PATH`` for an absolute, validated path."""
    _require(check_abs_path(path, "remote_dir"))
    return f"mkdir -p {shlex.quote(path)}"


def test_path(kind: str, path: str) -> str:
    """``test -d PATH`` (``kind="dir"``) or ``test -f PATH`` (``kind="file"``): exit 0 when it exists."""
    _require(check_abs_path(path, "path"))
    flag = {"dir": "-d", "file": "-f"}[kind]
    return f"test {flag} {shlex.quote(path)}"


def sha256_file(path: str) -> str:
    """``sha256sum PATH``: prints ``<64 hex>  PATH`` (coreutils, on every Debian/Ubuntu/RHEL host, even
    minimal images); exit 1 with ``sha256sum: PATH: No such file or directory`` when it is missing."""
    _require(check_abs_path(path, "path"))
    return f"sha256sum {shlex.quote(path)}"


def parse_sha256(lines: list[str]) -> str:
    """The digest in ``sha256sum`` output (first 64-hex word), or ``""`` when there is none."""
    for line in lines:
        word = line.split(" ", 1)[0].strip().lstrip("\\")
        if len(word) == 64 and all(c in "0123456789abcdef" for c in word):
            return word
    return ""


def stat_mode(path: str) -> str:
    """Print the octal mode of ``path`` (``stat -c %a``), used to check the media path is 755."""
    _require(check_abs_path(path, "media.host_path"))
    return f"stat -c %a {shlex.quote(path)}"


def remote_files(host: HostSpec) -> dict[str, str]:
    """Where the two configuration files go on ``host``: ``{file name: absolute remote path}``."""
    return {name: posixpath.join(host.remote_dir, name) for name in (COMPOSE_FILE, DB_ENV_FILE)}


def docker_wait(container_id: str, *, sudo: bool = False) -> str:
    """``docker wait ID`` (``sudo -n docker wait ID`` with ``sudo``): blocks until the container exits
    and prints its exit code. Raises :class:`UnsafeValue` unless ``container_id`` is 1-64 lowercase hex digits."""
    if not container_id or not all(c in "0123456789abcdef" for c in container_id) or len(container_id) > 64:
        raise UnsafeValue(f"container id {container_id!r} is not a hex id")
    return with_sudo(f"docker wait {container_id}", sudo)


def docker_logs(container_id: str, *, since: str | None = None, tail: int | None = None, sudo: bool = False) -> str:
    """``docker logs [--since X] [--tail N] ID 2>&1``: one container's logs, both streams (docker 20.10 has
    ``--since`` on ``docker logs`` where compose v1 has none). Raises :class:`UnsafeValue` for a bad value."""
    docker_wait(container_id)  # same validation: a hex id
    args = ["docker", "logs"]
    if since:
        _require(check_since(since))
        args += ["--since", shlex.quote(since)]
    if tail is not None:
        if isinstance(tail, bool) or not isinstance(tail, int) or tail < 0:
            raise UnsafeValue(f"tail: {tail!r} is not a line count (0 or more)")
        args += ["--tail", str(tail)]
    return with_sudo(" ".join(args + [container_id]), sudo) + " 2>&1"


#: ``docker inspect`` template of one state sample: status, exit code, restart count (docker 20.10 answers
#: ``restarting 1 6`` for a container in a crash loop under ``restart: unless-stopped``, observed here).
SAMPLE_FORMAT = "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}"


def inspect_sample(container_id: str, *, sudo: bool = False) -> str:
    """``docker inspect -f '<status> <exit code> <restart count>' ID`` (see :data:`SAMPLE_FORMAT`)."""
    docker_wait(container_id)  # same validation: a hex id
    return with_sudo(f"docker inspect -f {shlex.quote(SAMPLE_FORMAT)} {container_id}", sudo)


#: The label compose (v1 1.29.2 and v2) puts on every container it creates: the project directory.
WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"


def cluster_listing(remote_dir: str, fmt: str = "", *, service: str = "", stopped: bool = True,
                    sudo: bool = False) -> str:
    """``docker ps [-a] --filter label=<working_dir label>=DIR [--filter label=<service label>=SERVICE] --format FMT``:
    one line per container compose created from ``remote_dir`` (whichever compose file: the main one or dbupgrade's),
    in the ``docker ps`` template ``fmt`` (empty: ``-q``, the short ids); ``stopped`` lists stopped containers too;
    ``service`` keeps one compose service's; ``sudo``: through ``sudo -n``. Raises :class:`UnsafeValue` for a bad
    directory or service name."""
    _require(check_abs_path(remote_dir, "remote_dir"))
    words = ["docker ps"] + (["-a"] if stopped else []) + (["-q"] if not fmt else [])
    words += ["--filter", shlex.quote(f"label={WORKING_DIR_LABEL}={remote_dir}")]
    if service:
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", service):
            raise UnsafeValue(f"service: {service!r} is not a compose service name")
        words += ["--filter", f"label=com.docker.compose.service={service}"]
    if fmt:
        words += ["--format", shlex.quote(fmt)]
    return with_sudo(" ".join(words), sudo)


def project_containers(remote_dir: str, *, sudo: bool = False) -> str:
    """``docker ps -a --filter label=<working_dir label>=DIR --format '{{.Names}} {{.Status}}'``: every
    container compose created from ``remote_dir``, whichever compose file (the main one or dbupgrade's), one
    ``name status`` line each. Raises :class:`UnsafeValue` for a bad directory."""
    return cluster_listing(remote_dir, "{{.Names}} {{.Status}}", sudo=sudo)


def inspect_state(container_id: str, *, sudo: bool = False) -> str:
    """``docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' ID``: one container's state and exit code
    (through ``sudo -n`` with ``sudo``)."""
    docker_wait(container_id)  # same validation: a hex id
    return with_sudo(f"docker inspect -f {shlex.quote('{{.State.Status}} {{.State.ExitCode}}')} {container_id}", sudo)
