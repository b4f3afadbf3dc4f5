"""What every procedure shares: secret-masked events, per-host fan-out with streamed output, the
per-host actions of the seed (mkdir, upload, ``up -d``), and waiting for a health verdict.

Subclasses define their steps (``steps``: a tuple of :class:`StepInfo`) and call these helpers.
No helper raises for a remote failure: failures become ``HostFinished(ok=False)`` and
``StepFinished(ok=False)`` events with the host, the command, the exit status and a next action.
"""

from __future__ import annotations

import asyncio
import posixpath
import time
from collections import deque
from typing import Awaitable, Callable, Iterable

from ..api.client import ApiError, WebappClient
from ..config.profile import ProfileChanged, ProfileError, saved_profiles
from ..config.rewrite import update_profile_file
from ..config.runstate import write_run_state
from ..domain.commands import COMPOSE_V1, ComposeInvocation, inspect_sample, inspect_state, mkdir
from ..domain.crashloop import StateSample, parse_sample
from ..domain.docker_access import SUDO_ALWAYS, DockerAccess, socket_denied, sudo_outcome
from ..domain.host_probe import ProbeIncomplete, parse_probe, probe_command
from ..domain.diagnosis import (Diagnosis, diagnose_api_error, diagnose_duplicate_number, diagnose_lines,
                                diagnose_transport, diagnose_verdict)
from ..domain.health import ClusterVerdict, HealthFormatError, Plan, judge, registered_by_cluster
from ..domain.model import ROLE_ORDER, ClusterProfile, HostSpec, Role, secret_values
from ..domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env
from ..domain.text import PullProgress, Redactor
from ..domain.validation import validate_profile
from ..remote.errors import HostKeyUnknown, HostUnreachable, RemoteError
from ..remote.fanout import fan_out
from ..remote.pool import ConnectionPool
from ..remote.run import run_streaming
from ..remote.upload import upload_text
from .events import (Emit, Finding, HealthUpdated, HostKeyQuestion, HostCommand, HostFinished, HostOutput, Message, Progress,
                     StepFinished, StepStarted)
from .runlog import RunLog
from .settings import RunSettings
from .stepinfo import StepInfo


#: Output lines kept per host for diagnosis when its part of a step fails.
RECENT_LINES = 400


def _failed(task: asyncio.Future) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


#: Seconds the background host probe (compose flavour + ``docker info``) may take: a wedged Docker daemon
#: must not hold a step for the whole command timeout with nothing on the host's pane.
PROBE_TIMEOUT = 30.0
#: seconds between two "still waiting" lines of a health step (a wait is never silent for longer)
PROGRESS_EVERY = 10.0


class Procedure:
    """Base of the procedures. ``profile`` may be replaced between steps; call :meth:`close` at the end."""

    steps: tuple[StepInfo, ...] = ()
    procedure = "procedure"
    #: whether host actions run compose (then its flavour is detected on each host first)
    uses_compose = True

    def __init__(self, profile: ClusterProfile, *, emit: Emit, settings: RunSettings | None = None):
        self.profile = profile
        self.settings = settings or RunSettings()
        self._emit_raw = emit
        self._pool = ConnectionPool(self.settings.ssh)
        self._api: WebappClient | None = None
        self._api_key: tuple | None = None
        self._runlog = RunLog(self.settings.log_dir, profile.name, self.procedure) if self.settings.log_dir else None
        self._started_at: float | None = None
        self.last_verdict: ClusterVerdict | None = None
        #: Secrets given to this run only (e.g. a backup password), masked like the profile's.
        self.extra_secrets: list[str] = []
        self._recent: dict[str, deque[str]] = {}
        self._flavours: dict[str, str] = {}
        #: steps that reported their outcome since they last started
        self._ended_steps: set[int] = set()
        self._access: dict[str, DockerAccess] = {}
        #: the host probe (compose flavour + docker access) of each host, running or done
        self._probe_tasks: dict[str, asyncio.Future] = {}
        #: hosts whose probe task's result was already used by a step (the next one needing docker probes again
        #: unless docker was usable)
        self._probe_used: set[str] = set()
        self._probe_notes: dict[str, str] = {}
        self._redactor_for: tuple[str, ...] = ()
        self._redactor = Redactor(())
        self._reported: set[tuple[str, str]] = set()
        #: why the operator's profile file was not updated (edited meanwhile), or ""
        self.profile_refused = ""
        #: (step, host) whose action really ran in this run (not skipped as already done)
        self._ran: set[tuple[int, str]] = set()

    # ---- events ---------------------------------------------------------------------------
    @property
    def _redact(self) -> Redactor:
        """The redactor for the secrets in force; rebuilt only when one of them changes (hot path)."""
        token = self._api.token if self._api is not None else ""
        secrets = (*secret_values(self.profile), token, *self.extra_secrets)
        if secrets != self._redactor_for:
            self._redactor_for = secrets
            self._redactor = Redactor(secrets)
        return self._redactor

    def emit(self, event) -> None:
        """Send ``event`` to the face, after masking secrets in any text it carries."""
        r = self._redact
        if isinstance(event, HostOutput):
            event = HostOutput(event.host, r(event.line))
            self._log_line(event.host, event.line)
        elif isinstance(event, HostCommand):
            event = HostCommand(event.host, r(event.command))
            self._log_line(event.host, f"$ {event.command}")
        elif isinstance(event, Message):
            event = Message(r(event.text), event.notice)
        elif isinstance(event, HostFinished):
            event = HostFinished(event.host, event.ok, event.exit_status, r(event.error))
        elif isinstance(event, Finding):
            event = Finding(event.key, event.severity, r(event.title), r(event.remedy), event.host, r(event.evidence))
        elif isinstance(event, StepFinished):
            event = StepFinished(event.number, event.ok, r(event.summary), r(event.next_action), event.procedure)
        self._emit_raw(event)

    def save_profile_changes(self, what: str) -> bool:
        """Write what changed in ``self.profile`` (``what``: e.g. "wa_api_version: 2.43.1") into the operator's
        profile file (``settings.profile_path``), keeping its comments and order. Refused when the file changed
        since it was read: then :attr:`profile_refused` says why and a notice gives the edit to make by hand.
        True when written or nothing was to write."""
        path = self.settings.profile_path
        if path is None:
            return True
        try:
            update_profile_file(path, self.profile)
            return True
        except ProfileChanged as exc:
            self.profile_refused = str(exc)
        except (ProfileError, OSError) as exc:
            self.profile_refused = f"{path}: could not be updated ({getattr(exc, 'strerror', None) or exc})"
        self.emit(Message(f"{self.profile_refused}; set it yourself in the profile: {what}", notice=True))
        return False

    def record_run_state(self, **changes) -> None:
        """Record run state (``installed``, ``installed_version``…) in the state directory, never in the profile."""
        try:
            write_run_state(self.profile, **changes)
        except OSError as exc:
            self.emit(Message(f"could not record the run state in {exc.filename or 'the state directory'}: "
                              f"{exc.strerror or exc}; free space or fix its permissions", notice=True))

    def _log_line(self, host: str, line: str) -> None:
        """Append to the run log; a local disk problem stops the run log (said once, naming the path) and is
        never turned into a failure of the host whose line it was."""
        if self._runlog is None:
            return
        try:
            self._runlog.write(host, line)
        except OSError as exc:
            runlog, self._runlog = self._runlog, None
            try:
                runlog.close()
            except OSError:
                pass  # what could not be written is lost either way; the message says where
            self._emit_raw(Message(f"local problem: cannot write the run log in {runlog.directory}: {exc.strerror or exc}; "
                                   "the run goes on without it (free space or fix the permissions there)", notice=True))

    def duplicate_number(self) -> Diagnosis | None:
        """DUPLICATE_REGISTRATION_RISK when another saved profile (``settings.profiles_dir``, this profile's
        own file excluded) registers the same cc/phone_number; None when none does or nothing is saved."""
        if self.settings.profiles_dir is None:
            return None
        others = saved_profiles(self.settings.profiles_dir, exclude=self.settings.profile_path)
        return diagnose_duplicate_number(self.profile, others)

    async def _stop_probes(self) -> None:
        """Cancel the background host probes still running (their remote commands end with them)."""
        for task in self._probe_tasks.values():
            task.cancel()
        await asyncio.gather(*self._probe_tasks.values(), return_exceptions=True)
        self._probe_tasks = {k: t for k, t in self._probe_tasks.items() if not t.cancelled()}

    async def close(self) -> None:
        """Close SSH connections, the API client and the log files."""
        await self._stop_probes()
        await self._pool.close()
        if self._api is not None:
            await self._api.aclose()
            self._api = None
        if self._runlog:
            try:
                self._runlog.close()
            except OSError as exc:
                self._emit_raw(Message(f"local problem: the run log in {self._runlog.directory} is incomplete: "
                                       f"{exc.strerror or exc}", notice=True))

    def abort(self) -> None:
        """Drop the SSH connections at once (the app is quitting); :meth:`close` is still to be awaited."""
        self._pool.abort()

    def report(self, diagnoses: Iterable[Diagnosis]) -> None:
        """Emit each diagnosis as a :class:`Finding`, once per key and host for the whole run."""
        self._report_findings(diagnoses)

    def _report_findings(self, diagnoses: Iterable[Diagnosis]) -> None:
        # the helpers below call this name: a subclass may use ``report`` for its own data (Uninstall does)
        for d in diagnoses:
            if d is None or (d.key, d.host) in self._reported:
                continue
            self._reported.add((d.key, d.host))
            self.emit(Finding(d.key, d.severity, d.title, d.next_action, d.host, d.evidence))

    def _step(self, number: int) -> StepInfo:
        return next(s for s in self.steps if s.number == number)

    def _start(self, number: int, hosts: tuple[str, ...] = ()) -> None:
        self._ended_steps.discard(number)
        self.emit(StepStarted(number, self._step(number).title, hosts, self.procedure))

    def _finish(self, number: int, ok: bool, summary: str, next_action: str = "") -> bool:
        self._ended_steps.add(number)
        self.emit(StepFinished(number, ok, summary, next_action, self.procedure))
        return ok

    def _finish_open(self, number: int, ok: bool, summary: str, next_action: str = "") -> bool:
        """:meth:`_finish` unless the step already reported its outcome since it started (each step ends once)."""
        return ok if number in self._ended_steps else self._finish(number, ok, summary, next_action)

    def _valid(self, number: int) -> bool:
        errors = validate_profile(self.profile)
        if errors:
            for e in errors:
                self.emit(Message(f"invalid: {e}"))
            return self._finish(number, False, f"the profile has {len(errors)} invalid value(s): {errors[0]}",
                                "fix the values shown and run the step again")
        return True

    # ---- remote work ----------------------------------------------------------------------
    async def _run(self, host: HostSpec, command: str, on_line: Callable[[str], None] | None = None,
                   *, echo: bool = True, pty: bool = False, quiet: bool = False, timeout: float | None = None,
                   on_lines: Callable[[list[str]], None] | None = None) -> int | None:
        """Run ``command`` on ``host``, streaming its lines to ``on_line`` (or in batches, one per channel
        read, to ``on_lines``) and, with ``echo``, as HostOutput.

        ``pty``: on a terminal, for commands that may run long (``up``, ``docker wait``, ``logs``, ``pull``):
        a cancelled step then ends them even where sshd refuses signals (root logins, remote.run).
        ``quiet``: not announced either, and its lines are not kept for the diagnosis of the step (a probe in
        the background must not pass for the step's command).
        ``timeout``: seconds, instead of ``settings.command_timeout``; a command stopped by it leaves the
        host's connection in place for the others (only a lost connection is dropped then).
        """
        conn = await self._pool.get(host)
        while self._pool.trusted:
            k = self._pool.trusted.pop(0)
            self.emit(Message(f"{k.host}: trusted the new host key {k.key_type} {k.fingerprint} of {k.address}:{k.port} "
                              "(--trust-new-host-keys); it is now in the app's known_hosts", notice=True))
        if not quiet:
            self.emit(HostCommand(host.external_hostname, command))

        recent = self._recent.setdefault(host.external_hostname, deque(maxlen=RECENT_LINES))
        name = host.external_hostname
        pulled = PullProgress() if pty and echo else None

        def lines(batch: list[str]) -> None:
            if not quiet:
                recent.extend(batch)
            if pulled is not None and pulled.feed(batch):  # an image pull in progress: layers done per host
                self.emit(Progress(name, pulled.done, pulled.total, unit="layers"))
            if on_lines:
                on_lines(batch)
            for text in batch:
                if on_line:
                    on_line(text)
                if echo:
                    self.emit(HostOutput(name, text))

        try:
            return await run_streaming(conn, name, command, None, on_lines=lines,
                                       timeout=self.settings.command_timeout if timeout is None else timeout, pty=pty)
        except RemoteError as exc:
            if timeout is None or isinstance(exc, HostUnreachable):
                self._pool.drop(name)
            raise

    async def _checked(self, host: HostSpec, command: str, what: str, next_action: str,
                       on_line: Callable[[str], None] | None = None) -> None:
        """Run an action whose output is only shown (``up -d``, ``rm``, ``down``, ``exec``…), on a terminal;
        raise :class:`RemoteError` naming ``what``, the status and the command unless it exits 0."""
        status = await self._run(host, command, on_line, pty=True)
        if status != 0:
            error = RemoteError(host.external_hostname,
                                f"{what} exited with status {status if status is not None else 'killed by a signal'}: {command}",
                                next_action)
            error.exit_status = status
            raise error

    async def _on_hosts(self, number: int, hosts: tuple[HostSpec, ...], action: Callable[[HostSpec], Awaitable[str]],
                        what: str, *, needs_compose: bool = True) -> bool:
        """Step ``number``: run ``action`` on ``hosts`` in parallel; each returns a summary or raises RemoteError.

        ``needs_compose`` False: the action (and the step's journal re-check) runs no docker/compose command,
        so the host probe (compose flavour and docker access, one command) runs in the background instead of
        before it, and the first step that needs it waits for it (one round trip less before the first upload).
        """
        self._start(number, tuple(h.external_hostname for h in hosts))
        for h in hosts:
            self._recent.pop(h.external_hostname, None)

        journal = self.settings.journal

        async def wrapped(host: HostSpec) -> str:
            try:
                if self.uses_compose:
                    if needs_compose:
                        await self.docker_access(host)
                    else:
                        self._probe_in_background(host)
                if journal and host.external_hostname in journal.hosts_done(number) and await self._still_done(number, host):
                    self.emit(HostOutput(host.external_hostname, "already done in an earlier run (re-checked on the host): skipped"))
                    self.emit(HostFinished(host.external_hostname, True, 0, ""))
                    return "already done"
                summary = await action(host)
                self._ran.add((number, host.external_hostname))
            except Exception as exc:  # noqa: BLE001 - reported on the host's pane, then fan_out records it
                exc = self._plain_cause(host, exc)
                text = str(exc) if isinstance(exc, RemoteError) else f"{host.external_hostname}: {exc.__class__.__name__}: {exc}"
                if isinstance(exc, HostKeyUnknown) and exc.public_key:
                    self.emit(HostKeyQuestion(host.external_hostname, exc.address, exc.port, exc.key_type, exc.fingerprint,
                                              exc.public_key))
                self._report_findings(diagnose_lines(self._recent.get(host.external_hostname, ()), host.external_hostname))
                self.emit(HostOutput(host.external_hostname, f"ERROR: {text}"))
                if getattr(exc, "next_action", ""):
                    self.emit(HostOutput(host.external_hostname, f"next: {exc.next_action}"))
                self.emit(HostFinished(host.external_hostname, False, getattr(exc, "exit_status", None), text))
                raise exc
            if journal:  # recorded before it is reported, so a kill right after the report cannot lose it
                journal.host_done(number, host.external_hostname)
            # a step can succeed with a known problem in its output (e.g. compose's "variable is not set" warning)
            self._report_findings(diagnose_lines(self._recent.get(host.external_hostname, ()), host.external_hostname))
            self.emit(HostFinished(host.external_hostname, True, 0, ""))
            return summary

        try:
            results = await fan_out(hosts, wrapped)
        except asyncio.CancelledError:  # a cancelled step leaves no remote command behind, probes included
            await asyncio.shield(self._stop_probes())
            raise
        failed = [r for r in results.values() if not r.ok]
        if failed:
            first = failed[0]
            names = ", ".join(r.host for r in failed)
            rechecks = journal is not None and type(self)._still_done is not Procedure._still_done
            retry = (f"a retry runs the step again on {names} only (the other hosts are re-checked and skipped)" if rechecks
                     else "a retry redoes the step on every host (safe for the hosts that succeeded)")
            return self._finish(number, False, f"{what} failed on {len(failed)} of {len(results)} host(s): {first.error}",
                                f"{first.next_action or f'fix {first.host}'}; {retry}")
        if journal:
            journal.step_done(number)
        kept = [r.host for r in results.values() if r.value == "already done"]
        if kept:
            ran = len(results) - len(kept)
            return self._finish(number, True, f"{what}: done on {ran} host(s); already in place on {len(kept)} "
                                              f"(re-checked on the host: {', '.join(kept)})" if ran else
                                f"{what}: already in place on {len(kept)} host(s) (re-checked on the host), nothing to do")
        return self._finish(number, True, f"{what}: done on {len(results)} host(s)")

    async def _still_done(self, number: int, host: HostSpec) -> bool:
        """Whether work the journal says ``host`` finished in step ``number`` is still in place on the host.

        The default trusts nothing (False): procedures that can re-check a step override it.
        """
        return False

    def invocation(self, host: HostSpec) -> ComposeInvocation:
        """The compose invocation (variables, file, project directory, the host's compose flavour, and
        ``sudo -n`` when the host's docker needs it) for ``host``."""
        return ComposeInvocation(host, self.profile.wa_api_version, flavour=self.flavour(host), sudo=self.sudo(host))

    def sudo(self, host: HostSpec) -> bool:
        """Whether docker commands on ``host`` run through ``sudo -n`` (see :meth:`docker_access`)."""
        access = self._access.get(host.external_hostname)
        return access.sudo if access is not None else host.ssh.docker_sudo == SUDO_ALWAYS

    def _sudo_field(self, host: HostSpec) -> str:
        index = next((i for i, h in enumerate(self.profile.hosts) if h.external_hostname == host.external_hostname), None)
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
            self.emit(HostOutput(name, note))
        return self._access[name]

    def _probe_in_background(self, host: HostSpec) -> None:
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
        await self._pool.get(host)
        try:
            status = await self._run(host, probe_command(mode), out.append, echo=False, quiet=True, timeout=PROBE_TIMEOUT)
        except HostUnreachable:
            raise
        except RemoteError:
            raise RemoteError(name, f"docker did not answer the probe within {PROBE_TIMEOUT:.0f} s (docker info)",
                              f"check the Docker daemon on {name} (systemctl status docker), then retry") from None
        try:
            found = parse_probe(mode, out, user=host.ssh.user or "the SSH user", field=self._sudo_field(host))
        except ProbeIncomplete:
            raise RemoteError(name, f"the docker probe ended early (status {status}): {probe_command(mode)}",
                              f"check that {name}'s login shell is a POSIX shell (bash, sh)") from None
        self._flavours[name] = found.flavour
        self._access[name] = found.access
        self._probe_notes[name] = found.note

    def _plain_cause(self, host: HostSpec, exc: Exception) -> Exception:
        """A failure on a host whose docker cannot be used (the socket denied, sudo refused) becomes
        that problem, said plainly with its fix; any other failure is returned as it is."""
        access = self._access.get(host.external_hostname)
        recent = self._recent.get(host.external_hostname, ())
        if access is not None and not access.usable and (socket_denied(recent) or sudo_outcome(None, recent)[0] != "ok"):
            plain = RemoteError(host.external_hostname, access.problem, access.next_action)
            plain.exit_status = getattr(exc, "exit_status", None)
            return plain
        return exc

    def flavour(self, host: HostSpec) -> str:
        """``docker compose`` (v2) or ``docker-compose`` (v1) as detected on ``host`` (v1 until detected)."""
        return self._flavours.get(host.external_hostname, COMPOSE_V1)

    async def service_state(self, host: HostSpec, service: str, inv: ComposeInvocation | None = None) -> str:
        """``running``, ``exited (N)`` or ``missing`` for ``service`` on ``host``.

        Containers are found the way compose finds them, by their project/service labels
        (``compose ps -q SERVICE``), never by parsing container names (v1 uses ``_``, v2 ``-``).
        """
        inv = inv or self.invocation(host)
        ids: list[str] = []
        await self._run(host, inv.command("ps", "-q", service), ids.append, echo=False)
        ids = [i.strip() for i in ids if i.strip() and all(c in "0123456789abcdef" for c in i.strip())]
        if not ids:
            return "missing"
        out: list[str] = []
        await self._run(host, inspect_state(ids[0], sudo=self.sudo(host)), out.append, echo=False)
        status, _, code = (out[-1] if out else "").strip().partition(" ")
        return "running" if status == "running" else f"{status or 'unknown'} ({code or '?'})"

    async def service_samples(self, host: HostSpec, service: str, window: float, count: int = 3) -> list[StateSample]:
        """``count`` state samples of ``service``'s container on ``host`` spread over ``window`` seconds
        (``domain.crashloop``); empty when it has no container."""
        inv = self.invocation(host)
        ids: list[str] = []
        await self._run(host, inv.command("ps", "-q", service), ids.append, echo=False)
        ids = [i.strip() for i in ids if i.strip() and all(c in "0123456789abcdef" for c in i.strip())]
        if not ids:
            return []
        samples: list[StateSample] = []
        for n in range(max(count, 1)):
            if n:
                await asyncio.sleep(window / max(count - 1, 1))
            out: list[str] = []
            await self._run(host, inspect_sample(ids[0], sudo=self.sudo(host)), out.append, echo=False)
            line = out[-1].strip() if out else ""
            samples.append(parse_sample(line) or StateSample(line.split()[0] if line else "unknown", 0, 0))
        return samples

    async def _mkdir(self, host: HostSpec) -> str:
        await self._checked(host, mkdir(host.remote_dir), "mkdir", f"check that the SSH user may create {host.remote_dir}")
        return host.remote_dir

    async def _upload(self, host: HostSpec, name: str, text: str, mode: int) -> str:
        path = posixpath.join(host.remote_dir, name)
        conn = await self._pool.get(host)
        self.emit(HostCommand(host.external_hostname, f"sftp put {name} {path} (mode {mode:o})"))
        size = await upload_text(conn, host.external_hostname, path, text, mode=mode)
        self.emit(HostOutput(host.external_hostname, f"uploaded {name}: {size} bytes to {path}, mode {mode:o}"))
        return path

    async def _upload_compose(self, host: HostSpec) -> str:
        return await self._upload(host, COMPOSE_FILE, render_compose(self.profile), 0o644)

    async def _upload_db_env(self, host: HostSpec) -> str:
        return await self._upload(host, DB_ENV_FILE, render_db_env(self.profile.db), 0o600)

    async def _up(self, host: HostSpec, roles: tuple[Role, ...] | None = None) -> str:
        """``up -d`` the service of each of the host's roles (or ``roles``), Webapp, Master, Coreapp order; a
        container compose leaves as it is ("is up-to-date") while it is in restart back-off or was restarted by
        Docker (``RestartCount`` above 0) is restarted (``docker-compose restart``, which resets the count)."""
        inv = self.invocation(host)
        for role in ROLE_ORDER:
            if host.has(role) and (roles is None or role in roles):
                lines: list[str] = []
                await self._checked(host, inv.up(role), f"up -d {role.service}",
                                    f"read the output above; check docker and {COMPOSE_FILE} on {host.external_hostname}",
                                    lines.append)
                # compose leaves a container in restart back-off as it is ("is up-to-date", v2 "Running"): once its
                # cause is fixed only a restart starts it now (domain.crashloop). Restarted by Docker before (a count
                # above 0) counts too: between two crashes a looping container reads "running" for a moment
                if any(l.rstrip().endswith(("is up-to-date", "Running")) for l in lines) \
                        and any(s.status == "restarting" or s.restarts > 0
                                for s in await self.service_samples(host, role.service, 0.0, count=1)):
                    self.emit(HostOutput(host.external_hostname, f"{role.service} is in Docker's restart back-off, which up -d "
                                                                 f"leaves as it is: restarting it"))
                    await self._checked(host, inv.command("restart", role.service), f"restart {role.service}",
                                        f"read {role.service}'s logs (docker-compose logs --tail 50 {role.service})")
        # read by `health` in another process: transitional states are tolerated for the grace from here
        self.record_run_state(started_at=time.time())
        return "started"

    # ---- health ---------------------------------------------------------------------------
    def _client(self) -> WebappClient:
        w = self.profile.webapp
        key = (w.url, w.admin_user, w.admin_password, w.ca_file, w.self_signed_ok)
        if self._api is None or self._api_key != key:
            if self._api is not None:
                asyncio.ensure_future(self._api.aclose())
            self._api = WebappClient(w.url, username=w.admin_user, password=w.admin_password,
                                     initial_password=w.initial_password, ca_file=w.ca_file, self_signed_ok=w.self_signed_ok)
            self._api_key = key
        return self._api

    def health_plan(self, registered: bool) -> Plan:
        """The health plan for the profile; in grace for ``settings.grace`` seconds after a start."""
        p = self.profile
        in_grace = self._started_at is not None and time.monotonic() - self._started_at < self.settings.grace
        return Plan(tuple(h.external_hostname for h in p.hosts_with(Role.MASTER)),
                    tuple(h.external_hostname for h in p.hosts_with(Role.COREAPP)),
                    tuple(h.external_hostname for h in p.hosts_with(Role.WEBAPP)),
                    p.shards, registered, in_grace)

    async def poll_health(self, registered: bool | None) -> ClusterVerdict:
        """One ``GET /v1/health`` judged against the plan; emits :class:`HealthUpdated`. Raises ApiError.
        ``registered`` None: as the cluster says (``domain.health.registered_by_cluster``; not yet said: False)."""
        body = await self._client().health()
        try:
            if registered is None:
                registered = bool(registered_by_cluster(body))
            verdict = judge(body, self.health_plan(registered))
        except HealthFormatError as exc:
            raise ApiError(f"health answer not understood: {exc}") from None
        self.last_verdict = verdict
        self.emit(HealthUpdated(verdict))
        return verdict

    async def _wait_health(self, number: int, registered: bool | None, accept: Callable[[ClusterVerdict], bool],
                           *, announce: bool = True, done: Callable[[ClusterVerdict], str] | None = None) -> bool:
        """Step ``number``: poll until ``accept(verdict)`` or ``settings.health_timeout`` seconds pass
        (``announce`` False when the step was already started by the caller; ``registered`` None: as the
        cluster says). While waiting, a line with the elapsed time and the latest verdict every
        ``PROGRESS_EVERY`` seconds, so a wait is never silent. ``done(verdict)``: the summary when accepted."""
        if not self._valid(number):
            return False
        if announce:
            self._start(number)
        started = time.monotonic()
        deadline = started + self.settings.health_timeout
        said = started
        last_error: ApiError | None = None
        verdict: ClusterVerdict | None = None
        while True:
            try:
                verdict = await self.poll_health(registered)
                last_error = None
                if accept(verdict):
                    if self.settings.journal:
                        self.settings.journal.step_done(number)
                    return self._finish(number, True, done(verdict) if done else verdict.headline, verdict.next_action)
            except ApiError as exc:
                if exc.kind in ("auth", "tls", "not_tls", "dns", "config"):
                    self._report_findings([diagnose_transport(exc.kind, str(exc))])
                    return self._finish(number, False, str(exc), exc.next_action)
                if last_error is None or str(exc) != str(last_error):
                    self.emit(Message(f"waiting for the Webapp: {exc}"))
                last_error = exc
            if time.monotonic() >= deadline:
                if last_error is not None:
                    self._report_findings([diagnose_api_error(last_error.status, last_error.code, last_error.details, last_error.title)
                                 or diagnose_transport(last_error.kind, str(last_error))])
                elif verdict is not None:
                    self._report_findings(diagnose_verdict(verdict))
                if last_error is not None or verdict is None:
                    return self._finish(number, False, f"no health answer within {self.settings.health_timeout:.0f} s: {last_error}",
                                        (last_error.next_action if last_error else "") or "check the waweb container (docker-compose logs waweb)")
                return self._finish(number, False, verdict.headline, verdict.next_action)
            if time.monotonic() - said >= PROGRESS_EVERY:
                said = time.monotonic()
                latest = verdict.headline if last_error is None and verdict is not None else f"no answer: {last_error}"
                self.emit(Message(f"step {number}: still waiting, {said - started:.0f} s of "
                                  f"{self.settings.health_timeout:.0f} s: {latest}"))
            await asyncio.sleep(self.settings.poll_interval)
