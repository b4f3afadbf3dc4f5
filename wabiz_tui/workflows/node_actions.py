"""Actions on one node of a running cluster, asked from the monitor: follow its container's logs, restart or
stop its container, the ``ssh`` command line of a shell on its host, and what a change does to the cluster.

A node is a host (its ``EXTERNAL_HOSTNAME``) and a planned kind (``webapp``, ``master``, ``coreapp``); its
container is the compose service of that kind on that host (``waweb``, ``master``, ``wacore``: seed, HA step 5).
The remote commands go through :class:`~.session.HostSession` (the host probe picks the compose flavour and
``sudo -n`` where docker needs it). Every change is in the run log of the monitor's node actions, one folder
``<state>/logs/<profile>-<time>-node-actions/``: its ``run.log`` has a line per change (when, what, on which host,
why, and how it ended), the host's ``<host>.log`` the command with its output.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..domain.commands import docker_logs
from ..domain.health import ClusterVerdict
from ..domain.model import ClusterProfile, HostSpec, Role
from ..remote.ssh import SshSettings, resolve_route
from .base import Procedure
from .errors import WorkflowError
from .events import HostOutput

#: The planned kinds of node and the role (compose service) each runs.
KIND_ROLE = {"webapp": Role.WEBAPP, "master": Role.MASTER, "coreapp": Role.COREAPP}
#: Lines of the log shown before following it.
FOLLOW_TAIL = 200
#: A followed log is ended by the operator (or by the container stopping), never by the command timeout.
FOLLOW_TIMEOUT = 7 * 24 * 3600.0
#: What each change is called in the confirmation and the run log.
VERBS = {"restart": "restarting", "stop": "stopping"}


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _hosts(names: Sequence[str]) -> str:
    return ", ".join(sorted(names, key=_natural))


def impact(action: str, host: str, kind: str, verdict: ClusterVerdict | None, profile: ClusterProfile) -> str:
    """What ``action`` (``restart`` or ``stop``) of the node ``host``/``kind`` does to the cluster, in words, from the
    last verdict (its rows' ``actual_status``, standby Coreapps, primary master) and the profile's Webapps, e.g.
    ``stopping wa-core-1 (connected, serves a shard): standby wa-core-3 should take over``.

    Rules (design.md §4, the seed): a stopped connected Coreapp's shard goes to a standby (``disconnected``)
    Coreapp after a delay; the primary master's lease goes to a secondary master; a restart stops the container
    before it starts again, and a Coreapp comes back as a standby once another took its shard."""
    verb = VERBS.get(action, action)
    nodes = list(getattr(verdict, "nodes", ()) or ())
    mine = next((n for n in nodes if n.host == host and _kind(n) == kind), None)
    status = mine.actual_status if mine is not None else "unknown"
    back = " while it restarts" if action == "restart" else " until it is started again"
    if status == "missing":
        if action == "restart":
            return f"{verb} {host} ({kind}, not running): compose starts its stopped container again"
        return f"{verb} {host} ({kind}, not running): nothing changes"
    if kind == "coreapp":
        standbys = [n.host for n in nodes if _kind(n) == "coreapp" and n.actual_status == "disconnected" and n.host != host]
        if status == "connected":
            then = (f"standby {sorted(standbys, key=_natural)[0]} should take over its shard" if standbys
                    else "no standby Coreapp: its shard stays unserved" + back)
            extra = "; it comes back as a standby" if action == "restart" and standbys else ""
            return f"{verb} {host} (connected, serves a shard): {then}{extra}"
        if status == "disconnected":
            now = len(standbys) + 1
            return (f"{verb} {host} (standby): the cluster tolerates {now - 1} Coreapp failure(s) instead of {now}"
                    f"{back}")
        return f"{verb} {host} (coreapp, {status}): no shard depends on it now"
    if kind == "master":
        others = [n.host for n in nodes if _kind(n) == "master" and n.host != host and n.actual_status != "missing"]
        if mine is not None and mine.actual_role == "primary_master":
            then = (f"a secondary master ({_hosts(others)}) should take over as primary" if others
                    else "no other master: registration, settings and failover stop" + back)
            return f"{verb} {host} (primary master): {then}"
        primary = getattr(verdict, "primary_master", "") or "none"
        return f"{verb} {host} (secondary master): primary master {primary} stays; one master fewer to take over{back}"
    if kind == "webapp":
        others = [h.external_hostname for h in profile.hosts_with(Role.WEBAPP) if h.external_hostname != host]
        if others:
            return f"{verb} {host} (Webapp): API calls sent to it fail{back}; {_hosts(others)} keep answering"
        return f"{verb} {host} (the only Webapp): the API, and this monitor, get no answer{back}"
    return f"{verb} {host} ({kind})"


def _kind(node: Any) -> str:
    expected = node.expected_role or ""
    if expected.startswith("primary_master"):
        return "master"
    return expected if expected in ("coreapp", "webapp") else "other"


def shell_argv(host: HostSpec, known_hosts: Sequence[Path], *, ssh: str = "ssh", config: Path | None = None,
               settings: SshSettings | None = None) -> list[str]:
    """The ``ssh`` command line of an interactive shell on ``host``, along the route the app's own connections take
    (``remote.ssh.resolve_route`` with ``settings``, default no config file: the profile's values only): the last
    hop's real address, port and user (an alias resolved through the SSH config, its ``HostKeyAlias`` kept), its
    key file(s), and the jump hosts in order (the profile's ``jump``, else the config's ``ProxyJump``). Host keys
    are checked strictly against the app's known_hosts files (``StrictHostKeyChecking=yes``: an unknown or changed
    key is refused, never asked).

    ``UserKnownHostsFile`` takes several files separated by spaces (ssh_config(5)); a path with a space is
    refused (ValueError naming it) rather than split, as is a destination that starts with ``-``. ``config``: an
    ssh config file (:func:`jump_config_text`) passed with ``-F``, which OpenSSH also gives the jump hosts' ssh
    (a jump host is named as written, so that config resolves it as the app did); without it ``-F /dev/null``: the
    argv is then self-contained (ssh(1): a config file given with ``-F`` replaces the user's and the system-wide
    one; ``ssh -G`` here showed a ``ProxyJump`` of ``~/.ssh/config`` for the address gone with it). Raises
    ``RemoteError`` when the SSH config cannot be read or its jump hosts loop."""
    files = [str(Path(p).expanduser()) for p in known_hosts]
    bad = [f for f in files if any(c.isspace() for c in f)]
    if bad:
        raise ValueError(f"known_hosts path {bad[0]!r} contains a space: ssh cannot take it in UserKnownHostsFile")
    jumps, final = resolve_route(host.ssh, settings or SshSettings(read_user_config=False), host.external_hostname)
    for hop in (*jumps, final):
        if hop.host.startswith("-") or hop.name.startswith("-"):
            raise ValueError(f"ssh host {hop.name!r} of {host.external_hostname} starts with '-': ssh would read it as "
                             "an option; fix the host's address in the profile")
    argv = [ssh, "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={' '.join(files) or '/dev/null'}",
            "-o", "GlobalKnownHostsFile=/dev/null"]
    # always a config file of our own: without -F, ssh reads ~/.ssh/config and /etc/ssh/ssh_config again for the
    # resolved address, and a ProxyJump (or IdentityFile, ...) there matching it adds what the app never checked
    argv += ["-F", str(config) if config is not None else os.devnull]
    for key in final.identity_files:
        argv += ["-i", str(Path(key).expanduser())]
    if final.key_file_required:  # the profile's key_file: that key only, as the app connects
        argv += ["-o", "IdentitiesOnly=yes"]
    if final.host_key_name:
        argv += ["-o", f"HostKeyAlias={final.host_key_name}"]
    if jumps:
        argv += ["-J", ",".join(f"{h.user + '@' if h.user else ''}{h.name}{'' if h.port == 22 else f':{h.port}'}"
                                for h in jumps)]
    argv += ["-p", str(final.port)]
    if final.user:
        argv += ["-l", final.user]
    return argv + [final.host]


def jump_config_text(known_hosts: Sequence[Path], include: Path | None, jumps: Sequence[str] = ()) -> str:
    """An OpenSSH client config that checks host keys strictly against ``known_hosts`` for every host, jump hosts
    included, then reads ``include`` (the user's or the app's own config) for the rest: for the hosts named
    ``jumps`` only when given (the jump hosts as the argv names them), so the destination, already resolved, takes
    nothing more from it (an ``IdentityFile`` or ``ProxyCommand`` of that config for its address).

    Why a file: ``-o`` options apply to the destination only; for a ``-J`` jump OpenSSH starts another ``ssh``
    with ``-l``, ``-p`` and ``-F FILE`` but no ``-o`` (observed with OpenSSH 9.2p1 here: ``ssh -v -F cfg -J
    u@127.0.0.1:1 target`` logs ``Executing proxy command: exec ssh -l u -p 1 -F cfg -v -W '[target]:22'
    127.0.0.1``). The first value found wins in ssh_config(5), so the strict lines come before the include."""
    files = " ".join(str(Path(p).expanduser()) for p in known_hosts) or "/dev/null"
    lines = ["# written by wabiz-tui for a shell on a node: host keys checked against wabiz-tui's known_hosts only",
             "Host *", "  StrictHostKeyChecking yes", f"  UserKnownHostsFile {files}", "  GlobalKnownHostsFile /dev/null"]
    if include is not None:
        if jumps:  # ssh_config(5): an Include inside a Host block applies to the hosts it matches only
            lines.append(f"Host {' '.join(jumps)}")
        lines.append(f"  Include {Path(include).expanduser()}")
    return "\n".join(lines) + "\n"


class NodeActions(Procedure):
    """Restart, stop and follow the logs of one node's container (see the module's docstring).

    ``emit`` receives the commands and their output (``HostCommand``/``HostOutput``, masked, written to the run
    log). Errors: :class:`WorkflowError` for a node the profile does not plan, :class:`RemoteError` for a remote
    failure (``remote.errors.RemoteError``: host, command, exit status and a next action)."""

    procedure = "node-actions"

    def target(self, host: str, kind: str) -> tuple[HostSpec, Role]:
        """The profile's host ``host`` and the role of ``kind``; WorkflowError when the profile does not plan it."""
        role = KIND_ROLE.get(kind)
        try:
            spec = self.profile.host(host)
        except KeyError:
            spec = None
        if role is None or spec is None or not spec.has(role):
            raise WorkflowError(f"{host} runs no {kind} in the profile {self.profile.name}",
                                "add it to the profile first (wabiz-tui init, or edit the hosts)")
        return spec, role

    @property
    def run_log(self) -> Path | None:
        """This engine's ``run.log`` (None when the run log is off or no change was made yet)."""
        runlog = self._runlog
        if runlog is None or not runlog.started:
            return None
        return runlog.directory / "run.log"

    def _note(self, text: str) -> None:
        """One line of ``run.log``: ``2026-12-05T16:20:00Z restart of wacore on wa-core-1 ...`` (masked)."""
        runlog = self._runlog
        if runlog is not None:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            runlog.note(self._redact(f"{stamp} {text}"))

    async def _change(self, action: str, host: str, kind: str, why: str) -> None:
        spec, role = self.target(host, kind)
        name = spec.external_hostname
        what = f"{action} of {role.service} on {name}"
        self._note(f"{what} asked from the monitor: {why or 'no reason given'}")
        try:
            await self.session.docker_access(spec)  # the compose flavour and sudo of this host
            self.emit(HostOutput(name, f"# wabiz-tui: {action} of {role.service} asked from the monitor: {why}"))
            command = self.session.invocation(spec).command(action, role.service)
            await self.session.checked(spec, command, f"{action} {role.service}",
                                       f"read the output above; check the container with docker-compose ps on {name}")
        except BaseException as exc:
            self._note(f"{what} FAILED: {exc}" if isinstance(exc, Exception) else f"{what} cancelled")
            raise
        self.emit(HostOutput(name, f"# wabiz-tui: {action} of {role.service} done"))
        self._note(f"{what} done (output: {name}.log)")

    async def restart(self, host: str, kind: str, why: str = "") -> None:
        """``docker-compose restart SERVICE`` on ``host`` (it restarts the stopped container too). ``why``: the
        cluster consequence, recorded in the run log before the command."""
        await self._change("restart", host, kind, why)

    async def stop(self, host: str, kind: str, why: str = "") -> None:
        """``docker-compose stop SERVICE`` on ``host`` (``docker-compose up -d`` or a restart starts it again)."""
        await self._change("stop", host, kind, why)

    async def follow_logs(self, host: str, kind: str, container: str, on_lines: Callable[[list[str]], None],
                          tail: int = FOLLOW_TAIL) -> int | None:
        """Follow the node's log: ``docker logs -f --tail N ID`` when ``container`` is its hex id (from
        ``/v1/health``), else ``docker-compose logs -f --tail N SERVICE``; lines go to ``on_lines`` in batches,
        not to the run log. Returns the exit status when the stream ends (the container stopped); cancel the
        task to stop following (the command runs on a terminal, so it ends with the channel)."""
        spec, role = self.target(host, kind)
        access = await self.session.docker_access(spec)
        if container and all(c in "0123456789abcdef" for c in container):
            # docker_logs validates the id and adds sudo and 2>&1; -f is the one option it does not offer
            command = docker_logs(container, tail=tail, sudo=access.sudo).replace("docker logs", "docker logs -f", 1)
        else:
            command = self.session.invocation(spec).command("logs", "--no-color", "-f", "--tail", str(tail), role.service)
        return await self.session.run(spec, command, echo=False, on_lines=on_lines, pty=True, timeout=FOLLOW_TIMEOUT)

    def shell(self, host: str, *, ssh: str = "ssh") -> list[str]:
        """:func:`shell_argv` for the profile's host ``host`` with this run's known_hosts files."""
        try:
            spec = self.profile.host(host)
        except KeyError:
            raise WorkflowError(f"{host} is not a host of the profile {self.profile.name}", "") from None
        known = list(self.settings.ssh.known_hosts)
        config = None
        jumps, _ = resolve_route(spec.ssh, self.settings.ssh, spec.external_hostname)
        if jumps:  # the jump hosts' ssh gets our strict settings only through a config file (-F)
            own = self.settings.ssh.config_file
            user = Path("~/.ssh/config").expanduser()
            include = own if own is not None else user if self.settings.ssh.read_user_config and user.is_file() else None
            folder = Path(known[0]).expanduser().parent if known else Path(tempfile.gettempdir())
            config = folder / "wabiz-shell-ssh-config"
            fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(jump_config_text(known, include, [h.name for h in jumps]))
        return shell_argv(spec, known, ssh=ssh, config=config, settings=self.settings.ssh)


def quoted(argv: Sequence[str]) -> str:
    """``argv`` as one shell line (to show the user what runs)."""
    return " ".join(shlex.quote(a) for a in argv)
