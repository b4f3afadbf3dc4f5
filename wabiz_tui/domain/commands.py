"""Remote command lines, built from validated values and quoted with :func:`shlex.quote`.

Variables are passed on the command line (``EXTERNAL_HOSTNAME=h WA_API_VERSION=v docker-compose …``)
because OpenSSH servers drop client-sent environment variables unless ``AcceptEnv`` allows them
(design.md §6; field case R14). Compose always gets absolute ``-f`` and ``--project-directory`` so
``db.env`` resolves the same whatever the login directory is.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass

from .docker_access import with_sudo
from .model import HostSpec, Role
from .render import COMPOSE_FILE, DB_ENV_FILE, DBUPGRADE_FILE
from .validation import check_abs_path, check_hostname, check_since, check_version

#: Compose flavours: v1 standalone binary (the seed's) and the v2 plugin.
COMPOSE_V1 = "docker-compose"
COMPOSE_V2 = "docker compose"


class UnsafeValue(ValueError):
    """A value that would reach a command line failed validation; the message names the field."""


def _require(errors: list) -> None:
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
        ``2026-11-30T10:00:00``) or a Unix timestamp. Raises :class:`UnsafeValue` for anything else.
        """
        args = ["logs", "--no-color"]
        if since:
            _require(check_since(since))
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
    and prints its exit code."""
    if not container_id or not all(c in "0123456789abcdef" for c in container_id) or len(container_id) > 64:
        raise UnsafeValue(f"container id {container_id!r} is not a hex id")
    return with_sudo(f"docker wait {container_id}", sudo)


def inspect_state(container_id: str, *, sudo: bool = False) -> str:
    """``docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' ID``: one container's state and exit code
    (through ``sudo -n`` with ``sudo``)."""
    docker_wait(container_id)  # same validation: a hex id
    return with_sudo(f"docker inspect -f {shlex.quote('{{.State.Status}} {{.State.ExitCode}}')} {container_id}", sudo)
