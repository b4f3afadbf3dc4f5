"""One remote command, run once per host before its first docker/compose command, that answers both
questions asked of a host: which compose flavour it has, and whether docker runs as the SSH user or
through ``sudo -n`` (``domain.docker_access``). One command is one round trip on the critical path
instead of two or three (issue 8, fan-out).

The command is a plain list (``;``, ``&&``, ``|``, ``2>&1``, ``$?``, ``echo``, ``grep``): the same
under bash, POSIX sh (dash) and the simulator's shell. Each part is followed by a marker line
``@wabiz-probe <part> <status>``:

- ``compose N``: ``docker compose version`` (the v2 plugin) exited N;
- ``denied``: docker as the SSH user answered "permission denied" on the socket (``grep`` found it);
- ``sudo N``: ``sudo -n WABIZ_SUDO_PROBE=1 docker info`` exited N. It is run only when needed: the socket
  denied and ``docker_sudo: auto``, or ``docker_sudo: always`` (then docker is not tried as the SSH user).
  The variable is there because the real commands pass ``EXTERNAL_HOSTNAME=…`` through sudo, which a
  sudoers rule allows only with the ``SETENV`` tag: a rule without it fails here, not at ``up -d``;
- ``end``: the probe ran to its end.

``sudo -n`` never waits for a password (sudo(8), option ``-n``); running it only when needed keeps
sudo's "a password is required" out of the host's auth log when docker works without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .commands import COMPOSE_V1, COMPOSE_V2
from .docker_access import (DOCKER_PROBE, SOCKET_DENIED_TEXT, SUDO_ALWAYS, SUDO_AUTO, SUDO_NEVER, DockerAccess,
                            denied_without_sudo, sudo_outcome, sudo_unusable, with_sudo)

#: What starts a marker line in the probe's output.
MARK = "@wabiz-probe"
#: A variable passed through ``sudo -n`` by the probe, as the compose commands pass theirs.
SUDO_SETENV_PROBE = "WABIZ_SUDO_PROBE=1"


def probe_command(mode: str) -> str:
    """The probe for a host whose ``ssh.docker_sudo`` is ``mode`` (``never``/``auto``/``always``).

    Raises ValueError for another mode.
    """
    if mode not in (SUDO_NEVER, SUDO_AUTO, SUDO_ALWAYS):
        raise ValueError(f"docker_sudo must be never, auto or always, not {mode!r}")
    parts = [f'docker compose version 2>&1; echo "{MARK} compose $?"']
    # the variable checks what the real commands need: sudo accepts VAR=value only with SETENV
    sudo = f'{with_sudo(SUDO_SETENV_PROBE + " " + DOCKER_PROBE, True)} 2>&1; echo "{MARK} sudo $?"'
    if mode == SUDO_ALWAYS:
        parts.append(sudo)
    else:
        denied = f"{DOCKER_PROBE} 2>&1 | grep -i '{SOCKET_DENIED_TEXT}' && echo \"{MARK} denied\""
        parts.append(f"{denied} && {sudo}" if mode == SUDO_AUTO else denied)
    parts.append(f'echo "{MARK} end"')
    return "; ".join(parts)


@dataclass(frozen=True)
class ProbeResult:
    """What the probe found: the compose ``flavour`` (``docker compose`` or ``docker-compose``) and the
    :class:`DockerAccess`; ``note`` is the line to show on the host's pane when docker goes through sudo
    after a denied socket (empty otherwise)."""

    flavour: str
    access: DockerAccess
    note: str = ""


class ProbeIncomplete(ValueError):
    """The probe's output lacks its ``end`` marker (the command was killed or the shell is not POSIX)."""


def parse_probe(mode: str, lines: list[str], *, user: str, field: str) -> ProbeResult:
    """Read the output ``lines`` of :func:`probe_command` (``mode``) run on a host.

    ``user`` (the SSH user) and ``field`` (e.g. ``hosts[3].ssh.docker_sudo``) go into the messages.
    Raises :class:`ProbeIncomplete` when the ``end`` marker is missing. Docker failing for another
    reason than a denied socket (daemon down) is not a problem here: the commands themselves report it.
    """
    parts: dict[str, tuple[int | None, list[str]]] = {}
    out: list[str] = []
    for line in lines:
        if not line.startswith(MARK + " "):
            out.append(line)
            continue
        word, _, status = line[len(MARK) + 1:].strip().partition(" ")
        parts[word] = (int(status) if status.strip().lstrip("-").isdigit() else None, out)
        out = []
    if "end" not in parts:
        raise ProbeIncomplete("the host probe did not run to its end")
    compose_status, compose_out = parts.get("compose", (None, []))
    v2 = compose_status == 0 and "version" in " ".join(compose_out).lower()
    flavour = COMPOSE_V2 if v2 else COMPOSE_V1
    denied = "denied" in parts
    if mode == SUDO_NEVER and denied:
        return ProbeResult(flavour, denied_without_sudo(user, field))
    if mode == SUDO_ALWAYS or (denied and mode == SUDO_AUTO):
        sudo_status, sudo_out = parts.get("sudo", (None, []))
        outcome, evidence = sudo_outcome(sudo_status, sudo_out)
        if outcome != "ok":
            return ProbeResult(flavour, sudo_unusable(user, field, outcome, evidence, denied=denied))
        note = f"the Docker socket is denied to {user}: docker runs through sudo -n ({field}: {mode})" if denied else ""
        return ProbeResult(flavour, DockerAccess(sudo=True), note)
    return ProbeResult(flavour, DockerAccess())
