"""Whether docker commands on a host run as the SSH user or through ``sudo -n``, and what to say when
neither works (issue "Works on real hosts", item 4: socket permission denied).

A host's ``ssh.docker_sudo`` (profile) says what is allowed:

- ``never`` (default): docker runs as the SSH user; a denied socket is an error that suggests the
  docker group or allowing sudo;
- ``auto``: docker runs as the SSH user, and through ``sudo -n`` only when the Docker socket answers
  "permission denied" and passwordless sudo works;
- ``always``: every docker / compose command runs through ``sudo -n``.

``sudo -n`` (non-interactive) never waits for a password: sudo prints ``sudo: a password is required``
and exits 1 instead (sudo(8), option ``-n``). Variables go after ``sudo`` as ``VAR=value`` arguments
(sudo(8), "Environment"), which a restricted sudoers rule accepts only with the ``SETENV`` tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

SUDO_NEVER, SUDO_AUTO, SUDO_ALWAYS = "never", "auto", "always"
#: The values of ``ssh.docker_sudo``, default first.
DOCKER_SUDO_MODES = (SUDO_NEVER, SUDO_AUTO, SUDO_ALWAYS)
#: What prefixes a docker command run through passwordless sudo.
SUDO_PREFIX = "sudo -n"
#: Probe run as the SSH user (and, prefixed, through sudo): needs the daemon, prints one short line.
DOCKER_PROBE = "docker info --format '{{.ServerVersion}}'"

#: What docker says (any case) when the SSH user may not use the Docker socket.
SOCKET_DENIED_TEXT = "permission denied while trying to connect to the docker daemon socket"

_SOCKET_DENIED = re.compile(re.escape(SOCKET_DENIED_TEXT), re.IGNORECASE)
_SUDO_PASSWORD = re.compile(r"^sudo: (a password is required|a terminal is required)", re.IGNORECASE)
_SUDO_REFUSED = re.compile(r"^(sudo: sorry|sorry, user|sudo: .*not allowed|.* is not in the sudoers file)", re.IGNORECASE)
_SUDO_MISSING = re.compile(r"sudo: (command )?not found", re.IGNORECASE)


def with_sudo(command: str, sudo: bool) -> str:
    """``command``, or ``sudo -n command`` when ``sudo`` (a ``VAR=value`` prefix stays valid after sudo)."""
    return f"{SUDO_PREFIX} {command}" if sudo else command


def socket_denied(lines: Iterable[str]) -> bool:
    """True when docker's output says the SSH user may not use the Docker socket."""
    return any(_SOCKET_DENIED.search(line) for line in lines)


def sudo_outcome(status: int | None, lines: Iterable[str]) -> tuple[str, str]:
    """How ``sudo -n <probe>`` went: ``(outcome, evidence line)``.

    ``outcome`` is ``ok`` (sudo ran the command, whatever docker then said), ``password`` (sudo wants a
    password), ``refused`` (the sudoers policy forbids it) or ``missing`` (no sudo on the host).
    """
    lines = [line.strip() for line in lines if line.strip()]
    if status == 127 or any(_SUDO_MISSING.search(line) for line in lines):
        return "missing", next((line for line in lines if _SUDO_MISSING.search(line)), "sudo: command not found")
    for line in lines:
        if _SUDO_PASSWORD.search(line):
            return "password", line
    for line in lines:
        if _SUDO_REFUSED.search(line):
            return "refused", line
    return "ok", ""


@dataclass(frozen=True)
class DockerAccess:
    """How docker is used on one host: through sudo or not; ``problem`` (one line) and ``next_action``
    are set when docker cannot be used at all with what the profile allows."""

    sudo: bool = False
    problem: str = ""
    next_action: str = ""

    @property
    def usable(self) -> bool:
        """True when docker commands can be run (``problem`` is empty)."""
        return not self.problem


def _group_fix(user: str) -> str:
    return f"add {user} to the docker group on the host (sudo usermod -aG docker {user}; it takes effect at the next login)"


def _rule(user: str) -> str:
    return (f"give {user} a passwordless sudo rule for docker (visudo: "
            f"{user} ALL=(root) NOPASSWD:SETENV: /usr/bin/docker, /usr/bin/docker-compose)")


def denied_without_sudo(user: str, field: str) -> DockerAccess:
    """The socket is denied and the profile does not allow sudo (``docker_sudo: never``)."""
    return DockerAccess(problem=f"permission denied on the Docker socket for the SSH user {user}, and the profile does not "
                                f"allow sudo ({field}: never)",
                        next_action=f"{_group_fix(user)}, or set {field}: auto in the profile to use passwordless sudo")


def sudo_unusable(user: str, field: str, outcome: str, evidence: str, *, denied: bool) -> DockerAccess:
    """Sudo was allowed (``auto`` after a denied socket, or ``always``) but ``sudo -n`` did not run docker.

    ``outcome`` and ``evidence`` come from :func:`sudo_outcome`.
    """
    why = f"permission denied on the Docker socket for the SSH user {user}, and " if denied else f"{field} is always, but "
    if outcome == "password":
        return DockerAccess(problem=f"{why}sudo -n needs a password on this host ({evidence})",
                            next_action=f"{_group_fix(user)}, or {_rule(user)}")
    if outcome == "missing":
        return DockerAccess(problem=f"{why}sudo is not installed on this host",
                            next_action=f"{_group_fix(user)}, or install sudo with a passwordless rule for docker")
    return DockerAccess(problem=f"{why}sudo refused to run docker ({evidence})",
                        next_action=f"{_group_fix(user)}, or {_rule(user)}")
