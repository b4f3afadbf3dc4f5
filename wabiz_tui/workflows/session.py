"""The per-host side of a procedure: SSH connections, the host probe (compose flavour and docker access,
cached), and the remote actions of the seed (run, upload, mkdir, ``up -d``, a service's state).

A :class:`HostSession` knows nothing of steps: it streams output and commands as events through the
``emit`` it is given (the procedure's, which masks secrets) and raises :class:`RemoteError` for a remote
failure; the procedure turns that into ``HostFinished``/``StepFinished``.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections import deque
from typing import Any, Callable

from ..domain.commands import COMPOSE_V1, ComposeInvocation, inspect_sample, inspect_state, mkdir
from ..domain.crashloop import StateSample, parse_sample
from ..domain.docker_access import SUDO_ALWAYS, DockerAccess, socket_denied, sudo_outcome
from ..domain.host_probe import ProbeIncomplete, parse_probe, probe_command
from ..domain.model import ROLE_ORDER, ClusterProfile, HostSpec, Role
from ..domain.pull_retry import PAUSES, PULL_ATTEMPTS, pull_refusal, refused_code
from ..domain.render import COMPOSE_FILE
from ..domain.text import PullProgress
from ..remote.errors import HostUnreachable, RemoteError
from ..remote.pool import ConnectionPool
from ..remote.run import run_streaming
from ..remote.upload import upload_text
from .events import Emit, HostCommand, HostOutput, Message, Progress
from .hold import Hold
from .settings import RunSettings

#: Output lines kept per host for diagnosis when its part of a step fails.
RECENT_LINES = 400
#: Seconds the background host probe (compose flavour + ``docker info``) may take: a wedged Docker daemon
#: must not hold a step for the whole command timeout with nothing on the host's pane.
PROBE_TIMEOUT = 30.0


def _failed(task: asyncio.Future[Any]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


def _container_ids(lines: list[str]) -> list[str]:
    """The container ids in ``compose ps -q`` output (other lines, e.g. warnings, dropped)."""
    return [i.strip() for i in lines if i.strip() and all(c in "0123456789abcdef" for c in i.strip())]


class HostSession:
    """Connections and docker access to the hosts of ``profile()`` (a callable: the procedure's profile may
    be replaced between steps). ``emit`` receives ``HostCommand``, ``HostOutput``, ``Progress`` and
    ``Message`` events (already masked by the caller's emit); ``emit_lines(host, lines)``, when given, the
    ``HostOutput`` of one read at once (else ``emit`` gets them one by one). Call :meth:`close` at the end."""

    def __init__(self, profile: Callable[[], ClusterProfile], settings: RunSettings, emit: Emit,
                 emit_lines: Callable[[str, list[str]], None] | None = None):
        self._profile = profile
        self.settings = settings
        self._emit = emit
        self._emit_lines = emit_lines
        self.pool = ConnectionPool(settings.ssh)
        self._recent: dict[str, deque[str]] = {}
        self._flavours: dict[str, str] = {}
        self._access: dict[str, DockerAccess] = {}
        #: the host probe (compose flavour + docker access) of each host, running or done
        self._probe_tasks: dict[str, asyncio.Future[None]] = {}
        #: hosts whose probe task's result was already used by a step (the next one needing docker probes again
        #: unless docker was usable)
        self._probe_used: set[str] = set()
        self._probe_notes: dict[str, str] = {}
        #: held while a quit question is open: no new command starts (``workflows.hold``)
        self.hold = Hold()

    # ---- lifecycle --------------------------------------------------------------------------
    async def stop_probes(self) -> None:
        """Cancel the background host probes still running (their remote commands end with them)."""
        for task in self._probe_tasks.values():
            task.cancel()
        await asyncio.gather(*self._probe_tasks.values(), return_exceptions=True)
        self._probe_tasks = {k: t for k, t in self._probe_tasks.items() if not t.cancelled()}

    async def close(self) -> None:
        """Stop the probes and close every SSH connection."""
        await self.stop_probes()
        await self.pool.close()

    def abort(self) -> None:
        """Drop the SSH connections at once (the app is quitting); :meth:`close` is still to be awaited."""
        self.pool.abort()

    # ---- output kept for diagnosis ------------------------------------------------------------
    def recent(self, host: HostSpec) -> tuple[str, ...] | deque[str]:
        """The last :data:`RECENT_LINES` lines of the step's commands on ``host`` (probes excluded)."""
        return self._recent.get(host.external_hostname, ())

    def forget_recent(self, host: HostSpec) -> None:
        """A new step starts on ``host``: its earlier lines no longer explain anything."""
        self._recent.pop(host.external_hostname, None)

    # ---- commands ---------------------------------------------------------------------------
    async def connect(self, host: HostSpec) -> Any:
        """The pooled asyncssh connection to ``host``; raises :class:`RemoteError` (HostUnreachable, HostKeyUnknown…)."""
        return await self.pool.get(host)

    async def run(self, host: HostSpec, command: str, on_line: Callable[[str], None] | None = None,
                  *, echo: bool = True, pty: bool = False, quiet: bool = False, timeout: float | None = None,
                  on_lines: Callable[[list[str]], None] | None = None) -> int | None:
        """Run ``command`` on ``host``, streaming its lines to ``on_line`` (or in batches, one per channel
        read, to ``on_lines``) and, with ``echo``, as HostOutput; returns the exit status (None: killed).

        ``pty``: on a terminal, for commands that may run long (``up``, ``docker wait``, ``logs``, ``pull``):
        a cancelled step then ends them even where sshd refuses signals (root logins, remote.run).
        ``quiet``: not announced either, and its lines are not kept for the diagnosis of the step (a probe in
        the background must not pass for the step's command).
        ``timeout``: seconds, instead of ``settings.command_timeout``; a command stopped by it leaves the
        host's connection in place for the others (only a lost connection is dropped then).
        Raises :class:`RemoteError`.
        """
        async with self.hold.command(host.external_hostname, command):
            return await self._run(host, command, on_line, echo=echo, pty=pty, quiet=quiet, timeout=timeout,
                                   on_lines=on_lines)

    async def _run(self, host: HostSpec, command: str, on_line: Callable[[str], None] | None,
                   *, echo: bool, pty: bool, quiet: bool, timeout: float | None,
                   on_lines: Callable[[list[str]], None] | None) -> int | None:
        conn = await self.pool.get(host)
        while self.pool.trusted:
            k = self.pool.trusted.pop(0)
            self._emit(Message(f"{k.host}: trusted the new host key {k.key_type} {k.fingerprint} of {k.address}:{k.port} "
                               "(--trust-new-host-keys); it is now in the app's known_hosts", notice=True))
        if not quiet:
            self._emit(HostCommand(host.external_hostname, command))

        recent = self._recent.setdefault(host.external_hostname, deque(maxlen=RECENT_LINES))
        name = host.external_hostname
        pulled = PullProgress() if pty and echo else None
        emit, emit_lines = self._emit, self._emit_lines

        def lines(batch: list[str]) -> None:
            """One batch of the command's output lines: kept as the host's recent output (unless ``quiet``), counted as
            pulled layers during an image pull (Progress in layers), then handed to ``on_lines``/``on_line`` and echoed
            as HostOutput when ``echo``."""
            if not quiet:
                recent.extend(batch)
            if pulled is not None and pulled.feed(batch):  # an image pull in progress: layers done per host
                emit(Progress(name, pulled.done, pulled.total, unit="layers"))
            if on_lines:
                on_lines(batch)
            if echo and emit_lines is not None and on_line is None:
                emit_lines(name, batch)
                return
            for text in batch:  # each line's callback before its echo, as a caller reading both may expect
                if on_line:
                    on_line(text)
                if echo:
                    emit(HostOutput(name, text))

        try:
            return await run_streaming(conn, name, command, None, on_lines=lines,
                                       timeout=self.settings.command_timeout if timeout is None else timeout, pty=pty)
        except RemoteError as exc:
            if timeout is None or isinstance(exc, HostUnreachable):
                self.pool.drop(name)
            raise

    async def checked(self, host: HostSpec, command: str, what: str, next_action: str,
                      on_line: Callable[[str], None] | None = None) -> None:
        """Run an action whose output is only shown (``up -d``, ``rm``, ``down``, ``exec``…), on a terminal;
        raise :class:`RemoteError` naming ``what``, the status and the command unless it exits 0."""
        status = await self.run(host, command, on_line, pty=True)
        if status != 0:
            error = RemoteError(host.external_hostname,
                                f"{what} exited with status {status if status is not None else 'killed by a signal'}: {command}",
                                next_action)
            error.exit_status = status
            raise error

    async def mkdir(self, host: HostSpec) -> str:
        """Create the host's ``remote_dir``; returns it. Raises :class:`RemoteError`."""
        await self.checked(host, mkdir(host.remote_dir), "mkdir", f"check that the SSH user may create {host.remote_dir}")
        return host.remote_dir

    async def upload(self, host: HostSpec, name: str, text: str, mode: int) -> str:
        """Write ``text`` to ``remote_dir/name`` on ``host`` over SFTP with ``mode``; returns the path."""
        path = posixpath.join(host.remote_dir, name)
        async with self.hold.command(host.external_hostname, f"sftp put {name}"):
            conn = await self.pool.get(host)
            self._emit(HostCommand(host.external_hostname, f"sftp put {name} {path} (mode {mode:o})"))
            size = await upload_text(conn, host.external_hostname, path, text, mode=mode)
        self._emit(HostOutput(host.external_hostname, f"uploaded {name}: {size} bytes to {path}, mode {mode:o}"))
        return path

    async def up(self, host: HostSpec, roles: tuple[Role, ...] | None = None) -> None:
        """``up -d`` the service of each of the host's roles (or ``roles``), Webapp, Master, Coreapp order; a
        container compose leaves as it is ("is up-to-date") while it is in restart back-off or was restarted by
        Docker (``RestartCount`` above 0) is restarted (``docker-compose restart``, which resets the count).
        A service whose image pull the registry refused is brought up again after a pause, at most ``PULL_ATTEMPTS``
        times in all (:meth:`_up_pulling`, ``domain.pull_retry``, FR02). Raises :class:`RemoteError`."""
        inv = self.invocation(host)
        for role in ROLE_ORDER:
            if host.has(role) and (roles is None or role in roles):
                lines = await self._up_pulling(host, inv, role)
                # compose leaves a container in restart back-off as it is ("is up-to-date", v2 "Running"): once its
                # cause is fixed only a restart starts it now (domain.crashloop). Restarted by Docker before (a count
                # above 0) counts too: between two crashes a looping container reads "running" for a moment
                if any(l.rstrip().endswith(("is up-to-date", "Running")) for l in lines) \
                        and any(s.status == "restarting" or s.restarts > 0
                                for s in await self.service_samples(host, role.service, 0.0, count=1)):
                    self._emit(HostOutput(host.external_hostname, f"{role.service} is in Docker's restart back-off, which up -d "
                                                                  f"leaves as it is: restarting it"))
                    await self.checked(host, inv.command("restart", role.service), f"restart {role.service}",
                                       f"read {role.service}'s logs (docker-compose logs --tail 50 {role.service})")

    async def _up_pulling(self, host: HostSpec, inv: ComposeInvocation, role: Role) -> list[str]:
        """``up -d`` one service, again after a pause when its image pull was refused in a way another attempt may
        pass (``domain.pull_retry``, FR02), at most ``PULL_ATTEMPTS`` times; says how many attempts were refused.
        Returns the output lines of the attempt that worked. Raises :class:`RemoteError`."""
        name, refusals = host.external_hostname, []
        for attempt in range(1, PULL_ATTEMPTS + 1):
            lines: list[str] = []
            try:
                await self.checked(host, inv.up(role), f"up -d {role.service}",
                                   f"read the output above; check docker and {COMPOSE_FILE} on {name}", lines.append)
            except RemoteError as exc:
                # no exit status: the command did not end (timeout, lost host), so its output says nothing of a pull
                refusal = pull_refusal(lines) if exc.exit_status is not None else None
                if refusal is None:
                    raise
                refusals.append(refusal)
                if attempt == PULL_ATTEMPTS:
                    raise RemoteError(name, f"up -d {role.service}: the registry refused the image pull on each of "
                                            f"{PULL_ATTEMPTS} attempts: {refusal}",
                                      "run doctor (it asks the registry again from every host); if the refusal stays, "
                                      f"pull on a host that gets through and docker save | ssh {name} docker load") from exc
                pause = PAUSES[min(attempt, len(PAUSES)) - 1]
                self._emit(HostOutput(name, f"the registry refused the image pull (attempt {attempt} of {PULL_ATTEMPTS}"
                                            f"{', ' + refused_code(refusal) if refused_code(refusal) else ''}); trying "
                                            f"again in {pause:g} s"))
                await asyncio.sleep(pause)
                continue
            if refusals:
                self._emit(HostOutput(name, f"{role.service}: pulled on attempt {attempt} of {PULL_ATTEMPTS}, after "
                                            f"{len(refusals)} refused: the registry refuses {name} only sometimes"))
            return lines
        raise AssertionError("unreachable")  # the last attempt returned or raised

    async def _service_ids(self, host: HostSpec, service: str, inv: ComposeInvocation | None = None) -> list[str]:
        # found the way compose finds them, by their project/service labels, never by parsing container names
        # (v1 uses ``_``, v2 ``-``)
        out: list[str] = []
        await self.run(host, (inv or self.invocation(host)).command("ps", "-q", service), out.append, echo=False)
        return _container_ids(out)

    async def service_state(self, host: HostSpec, service: str, inv: ComposeInvocation | None = None) -> str:
        """``running``, ``exited (N)`` or ``missing`` for ``service`` on ``host`` (``compose ps -q SERVICE``, then
        ``docker inspect``); ``inv``: another compose invocation than the host's (e.g. the upgrade's target)."""
        ids = await self._service_ids(host, service, inv)
        if not ids:
            return "missing"
        out: list[str] = []
        await self.run(host, inspect_state(ids[0], sudo=self.sudo(host)), out.append, echo=False)
        status, _, code = (out[-1] if out else "").strip().partition(" ")
        return "running" if status == "running" else f"{status or 'unknown'} ({code or '?'})"

    async def service_samples(self, host: HostSpec, service: str, window: float, count: int = 3) -> list[StateSample]:
        """``count`` state samples of ``service``'s container on ``host`` spread over ``window`` seconds
        (``domain.crashloop``); empty when it has no container."""
        ids = await self._service_ids(host, service)
        if not ids:
            return []
        samples: list[StateSample] = []
        for n in range(max(count, 1)):
            if n:
                await asyncio.sleep(window / max(count - 1, 1))
            out: list[str] = []
            await self.run(host, inspect_sample(ids[0], sudo=self.sudo(host)), out.append, echo=False)
            line = out[-1].strip() if out else ""
            samples.append(parse_sample(line) or StateSample(line.split()[0] if line else "unknown", 0, 0))
        return samples

    # ---- docker access and compose flavour ------------------------------------------------------
    def flavour(self, host: HostSpec) -> str:
        """``docker compose`` (v2) or ``docker-compose`` (v1) as detected on ``host`` (v1 until detected)."""
        return self._flavours.get(host.external_hostname, COMPOSE_V1)

    def invocation(self, host: HostSpec) -> ComposeInvocation:
        """The compose invocation (variables, file, project directory, the host's compose flavour, and
        ``sudo -n`` when the host's docker needs it) for ``host``."""
        return ComposeInvocation(host, self._profile().wa_api_version, flavour=self.flavour(host), sudo=self.sudo(host))

    def sudo(self, host: HostSpec) -> bool:
        """Whether docker commands on ``host`` run through ``sudo -n`` (see :meth:`docker_access`)."""
        access = self._access.get(host.external_hostname)
        return access.sudo if access is not None else host.ssh.docker_sudo == SUDO_ALWAYS

    def sudo_field(self, host: HostSpec) -> str:
        """The profile field that sets ``host``'s docker sudo mode, e.g. ``hosts[2].ssh.docker_sudo``."""
        index = next((i for i, h in enumerate(self._profile().hosts) if h.external_hostname == host.external_hostname), None)
        return f"hosts[{index}].ssh.docker_sudo" if index is not None else "ssh.docker_sudo"

    async def docker_access(self, host: HostSpec) -> DockerAccess:
        """How docker is used on ``host``, from the host probe (``domain.host_probe``: the compose flavour
        and docker access in one command), run once; a host whose docker was not usable is probed again
        the next time (once fixed). A probe already running in the background is awaited, not repeated.

        With ``ssh.docker_sudo`` ``never``/``auto`` docker is tried as the SSH user; when the socket answers
        permission denied, ``auto`` tries ``sudo -n`` and ``never`` reports the problem. ``always`` goes
        through ``sudo -n`` straight away. Docker failing for another reason (daemon down) is not a
        problem here: the commands themselves report it. Raises :class:`RemoteError` only for SSH trouble.
        """
        name = host.external_hostname
        cached = self._access.get(name)
        if cached is None or not cached.usable or name not in self._flavours:
            task = self._probe_tasks.get(name)
            if task is not None and name not in self._probe_used and not _failed(task):
                self._probe_used.add(name)  # started in the background: other waiters may share it
                await asyncio.shield(task)
            else:
                self._probe_used.add(name)
                task = self._probe_tasks[name] = asyncio.ensure_future(self._probe_host(host))
                await task
        self._probe_used.add(name)
        note = self._probe_notes.pop(name, "")
        if note:  # said in the step that uses docker, not in the one the probe ran behind
            self._emit(HostOutput(name, note))
        return self._access[name]

    def probe_in_background(self, host: HostSpec) -> None:
        """Start the probe of ``host`` unless one is running or has answered for the next step needing it."""
        name = host.external_hostname
        task = self._probe_tasks.get(name)
        if task is not None and not _failed(task) and (
                name not in self._probe_used or not task.done() or self._access[name].usable):
            return
        self._probe_used.discard(name)
        self._probe_tasks[name] = asyncio.ensure_future(self._probe_host(host))
        # a probe nobody awaits (the run stops first) must not warn "exception never retrieved"
        self._probe_tasks[name].add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _probe_host(self, host: HostSpec) -> None:
        """Run the host probe quietly; record the flavour, the docker access and the line to show when
        docker goes through sudo. Raises :class:`RemoteError` for SSH trouble."""
        name, mode = host.external_hostname, host.ssh.docker_sudo
        out: list[str] = []
        # connected first, outside the try: a missing key file or a refused login is said as it is, never
        # as docker not answering (a fresh-user trial got the latter from `logs` for a missing key file)
        await self.pool.get(host)
        try:
            status = await self.run(host, probe_command(mode), out.append, echo=False, quiet=True, timeout=PROBE_TIMEOUT)
        except HostUnreachable:
            raise
        except RemoteError:
            raise RemoteError(name, f"docker did not answer the probe within {PROBE_TIMEOUT:.0f} s (docker info)",
                              f"check the Docker daemon on {name} (systemctl status docker), then retry") from None
        try:
            found = parse_probe(mode, out, user=host.ssh.user or "the SSH user", field=self.sudo_field(host))
        except ProbeIncomplete:
            raise RemoteError(name, f"the docker probe ended early (status {status}): {probe_command(mode)}",
                              f"check that {name}'s login shell is a POSIX shell (bash, sh)") from None
        self._flavours[name] = found.flavour
        self._access[name] = found.access
        self._probe_notes[name] = found.note

    def plain_cause(self, host: HostSpec, exc: Exception) -> Exception:
        """A failure on a host whose docker cannot be used (the socket denied, sudo refused) becomes
        that problem, said plainly with its fix; any other failure is returned as it is."""
        access = self._access.get(host.external_hostname)
        recent = self._recent.get(host.external_hostname, ())
        if access is not None and not access.usable and (socket_denied(recent) or sudo_outcome(None, recent)[0] != "ok"):
            plain = RemoteError(host.external_hostname, access.problem, access.next_action)
            plain.exit_status = getattr(exc, "exit_status", None)
            return plain
        return exc
