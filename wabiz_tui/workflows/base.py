"""What every procedure shares: its steps, the per-host fan-out with streamed output, the journal, and
waiting for a health verdict. The work is done by collaborators it composes:

* :class:`~.session.HostSession` (``self.session``): connections, the host probe, docker access, compose
  invocation, run/upload/``up -d``/service state;
* :class:`~.sink.EventSink` (behind :meth:`Procedure.emit`): every string of every event masked, the run log;
* the health watch (``self.health``, :class:`~.monitor.HealthMonitor`), the same poll as the monitor's.

Subclasses define their steps (``steps``: a tuple of :class:`StepInfo`) and call these helpers.
No helper raises for a remote failure: failures become ``HostFinished(ok=False)`` and
``StepFinished(ok=False)`` events with the host, the command, the exit status and a next action.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from typing import Awaitable, Callable, Iterable

from ..api.client import ApiError, WebappClient
from ..config.profile import ProfileChanged, ProfileError, saved_profiles
from ..config.rewrite import update_profile_file
from ..config.runstate import write_run_state
from ..domain.commands import ComposeInvocation
from ..domain.crashloop import StateSample
from ..domain.docker_access import DockerAccess
from ..domain.diagnosis import Diagnosis, diagnose_duplicate_number, diagnose_lines, diagnose_transport
from ..domain.health import ClusterVerdict, Plan
from ..domain.model import ClusterProfile, HostSpec, Role, secret_values
from ..domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env
from ..domain.text import Redactor, sentence
from ..domain.validation import validate_profile
from ..remote.errors import HostKeyUnknown, RemoteError
from ..remote.fanout import fan_out
from ..remote.pool import ConnectionPool
from .monitor import HealthMonitor, PollResult, plan_for
from .events import (Emit, EngineNote, Event, Finding, HealthUpdated, HostKeyQuestion, HostFinished, HostOutput, Message,
                     StepFinished, StepStarted)
from .report import RunRecord
from .runlog import RunLog
from .session import HostSession
from .settings import RunSettings
from .sink import EventSink
from .stepinfo import StepInfo


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
        #: what the run did, for its report and an abort record (``workflows.report``)
        self.record = RunRecord(self.procedure)
        self._secrets_of: ClusterProfile | None = None
        self._profile_secrets: tuple[str, ...] = ()
        self._sink = EventSink(self.record.tee(emit), self._secrets, log_dir=self.settings.log_dir, profile_name=profile.name,
                               procedure=self.procedure)
        self.session = HostSession(lambda: self.profile, self.settings, self.emit, emit_lines=self.emit_lines)
        #: the health watch: the one poll of ``workflows.monitor``, with the profile in force
        self.health = HealthMonitor(lambda: self.profile, interval=self.settings.poll_interval, grace=self.settings.grace,
                                    registered=False, ask_shards=False)
        self.last_verdict: ClusterVerdict | None = None
        #: Secrets given to this run only (e.g. a backup password), masked like the profile's.
        self.extra_secrets: list[str] = []
        #: steps that reported their outcome since they last started
        self._ended_steps: set[int] = set()
        self._reported: set[tuple[str, str]] = set()
        #: why the operator's profile file was not updated (edited meanwhile), or ""
        self.profile_refused = ""
        #: (step, host) whose action really ran in this run (not skipped as already done)
        self._ran: set[tuple[int, str]] = set()

    # ---- events ---------------------------------------------------------------------------
    def _secrets(self) -> tuple[str, ...]:
        # asked for every event (every output line): the profile's values are read again only when the profile
        # was replaced (it is frozen), which halves the cost of an output line on the UI loop (issue 17)
        profile = self.profile
        if profile is not self._secrets_of:
            self._secrets_of, self._profile_secrets = profile, secret_values(profile)
        return (*self._profile_secrets, self.health.token, *self.extra_secrets)

    @property
    def _redact(self) -> Redactor:
        """The redactor for the secrets in force (the profile's, the API token, :attr:`extra_secrets`)."""
        return self._sink.redact

    @property
    def _runlog(self) -> RunLog | None:
        return self._sink.runlog

    @property
    def _pool(self) -> ConnectionPool:
        return self.session.pool

    def emit(self, event: Event) -> None:
        """Send ``event`` to the face, every string in it masked (:class:`~.sink.EventSink`)."""
        self._sink(event)

    def emit_lines(self, host: str, lines: list[str]) -> None:
        """One :class:`HostOutput` per line of ``lines`` (one read of ``host``'s output), masked and logged as
        :meth:`emit` does, at a fraction of its cost per line (:meth:`~.sink.EventSink.lines`)."""
        self._sink.lines(host, lines)

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

    def record_run_state(self, **changes: object) -> None:
        """Record run state (``installed``, ``installed_version``…) in the state directory, never in the profile."""
        try:
            write_run_state(self.profile, None, **changes)  # None: the default state directory
        except OSError as exc:
            self.emit(Message(f"could not record the run state in {exc.filename or 'the state directory'}: "
                              f"{exc.strerror or exc}; free space or fix its permissions", notice=True))

    def duplicate_number(self) -> Diagnosis | None:
        """DUPLICATE_REGISTRATION_RISK when another saved profile (``settings.profiles_dir``, this profile's
        own file excluded) registers the same cc/phone_number; None when none does or nothing is saved."""
        if self.settings.profiles_dir is None:
            return None
        others = saved_profiles(self.settings.profiles_dir, exclude=self.settings.profile_path)
        return diagnose_duplicate_number(self.profile, others)

    async def close(self) -> None:
        """Close SSH connections, the API client and the log files."""
        await self.session.close()
        await self.health.aclose()
        self._sink.close()

    def abort(self) -> None:
        """Drop the SSH connections at once (the app is quitting); :meth:`close` is still to be awaited."""
        self.session.abort()

    def report(self, diagnoses: Iterable[Diagnosis | None]) -> None:
        """Emit each diagnosis as a :class:`Finding`, once per key and host for the whole run (None entries,
        a ``diagnose_*`` that found nothing, are skipped)."""
        self._report_findings(diagnoses)

    def _report_findings(self, diagnoses: Iterable[Diagnosis | None]) -> None:
        # the helpers below call this name: a subclass may use ``report`` for its own data (Uninstall does)
        for d in diagnoses:
            if d is None or (d.key, d.host) in self._reported:
                continue
            self._reported.add((d.key, d.host))
            self.emit(Finding(d.key, d.severity, d.title, d.next_action, d.host, d.evidence))

    def _step(self, number: int) -> StepInfo:
        return next(s for s in self.steps if s.number == number)

    async def _begin(self, number: int, hosts: tuple[str, ...] = ()) -> None:
        """:meth:`_start` once the hold lets steps start (``workflows.hold``: a quit question is open, the next step
        waits for its answer). Steps that call only the Webapp's API begin so too: they run no SSH command, so
        ``HostSession.run``'s gate would never stop them."""
        await self.session.hold.gate()
        self._start(number, hosts)

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

    # ---- remote work (the host session's, named as the procedures call them) --------------------
    async def _run(self, host: HostSpec, command: str, on_line: Callable[[str], None] | None = None,
                   *, echo: bool = True, pty: bool = False, quiet: bool = False, timeout: float | None = None,
                   on_lines: Callable[[list[str]], None] | None = None) -> int | None:
        """:meth:`HostSession.run` (``echo``, ``pty``, ``quiet``, ``timeout``, ``on_lines``)."""
        return await self.session.run(host, command, on_line, echo=echo, pty=pty, quiet=quiet, timeout=timeout,
                                      on_lines=on_lines)

    async def _checked(self, host: HostSpec, command: str, what: str, next_action: str,
                       on_line: Callable[[str], None] | None = None) -> None:
        """:meth:`HostSession.checked`: raises :class:`RemoteError` unless ``command`` exits 0."""
        await self.session.checked(host, command, what, next_action, on_line)

    async def _on_hosts(self, number: int, hosts: tuple[HostSpec, ...], action: Callable[[HostSpec], Awaitable[str]],
                        what: str, *, needs_compose: bool = True) -> bool:
        """Step ``number``: run ``action`` on ``hosts`` in parallel; each returns a summary or raises RemoteError.

        ``needs_compose`` False: the action (and the step's journal re-check) runs no docker/compose command,
        so the host probe (compose flavour and docker access, one command) runs in the background instead of
        before it, and the first step that needs it waits for it (one round trip less before the first upload).
        """
        await self._begin(number, tuple(h.external_hostname for h in hosts))
        for h in hosts:
            self.session.forget_recent(h)

        journal = self.settings.journal

        async def wrapped(host: HostSpec) -> str:
            """Step ``number`` on one host: the docker probe (awaited, or in the background when the step needs no
            compose), a skip when the journal says it was done and the host still shows it, else ``action(host)``; the
            journal is written before HostFinished. Returns the host's summary; any exception is reported on the host's
            pane (error line, next action, findings from its recent output, a HostKeyQuestion for an unknown key) and
            re-raised for fan_out."""
            try:
                if self.uses_compose:
                    if needs_compose:
                        await self.session.docker_access(host)
                    else:
                        self.session.probe_in_background(host)
                if journal and host.external_hostname in journal.hosts_done(number) and await self._still_done(number, host):
                    self.emit(HostOutput(host.external_hostname, "already done in an earlier run (re-checked on the host): skipped"))
                    self.emit(HostFinished(host.external_hostname, True, 0, ""))
                    return "already done"
                summary = await action(host)
                self._ran.add((number, host.external_hostname))
            except Exception as exc:  # noqa: BLE001 - reported on the host's pane, then fan_out records it
                exc = self.session.plain_cause(host, exc)
                text = str(exc) if isinstance(exc, RemoteError) else f"{host.external_hostname}: {exc.__class__.__name__}: {exc}"
                if isinstance(exc, HostKeyUnknown) and exc.public_key:
                    self.emit(HostKeyQuestion(host.external_hostname, exc.address, exc.port, exc.key_type, exc.fingerprint,
                                              exc.public_key))
                self._report_findings(diagnose_lines(self.session.recent(host), host.external_hostname))
                self.emit(EngineNote(host.external_hostname, f"ERROR: {text}"))
                next_action = getattr(exc, "next_action", "")
                if next_action:
                    self.emit(EngineNote(host.external_hostname, f"next: {next_action}"))
                self.emit(HostFinished(host.external_hostname, False, getattr(exc, "exit_status", None), text))
                raise exc
            if journal:  # recorded before it is reported, so a kill right after the report cannot lose it
                journal.host_done(number, host.external_hostname)
            # a step can succeed with a known problem in its output (e.g. compose's "variable is not set" warning)
            self._report_findings(diagnose_lines(self.session.recent(host), host.external_hostname))
            self.emit(HostFinished(host.external_hostname, True, 0, ""))
            return summary

        try:
            results = await fan_out(hosts, wrapped)
        except asyncio.CancelledError:  # a cancelled step leaves no remote command behind, probes included
            await asyncio.shield(self.session.stop_probes())
            raise
        failed = [r for r in results.values() if not r.ok]
        if failed:
            first = failed[0]
            names = ", ".join(r.host for r in failed[:5]) + (f" (+{len(failed) - 5} more)" if len(failed) > 5 else "")
            rechecks = journal is not None and type(self)._still_done is not Procedure._still_done
            retry = (f"a retry runs the step again on {names} only (the other hosts are re-checked and skipped)" if rechecks
                     else "a retry redoes the step on every host (safe for the hosts that succeeded)")
            # no retry hint after advice that a retry cannot follow (every failure says e.g. "run install first")
            advice = first.next_action or f"fix {first.host}"
            return self._finish(number, False, f"{what} failed on {len(failed)} of {len(results)} host(s): {first.error}",
                                f"{advice}; {retry}" if any(r.retry_helps for r in failed) else advice)
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
        """:meth:`HostSession.invocation`: the compose invocation for ``host``."""
        return self.session.invocation(host)

    def sudo(self, host: HostSpec) -> bool:
        """:meth:`HostSession.sudo`: whether docker on ``host`` runs through ``sudo -n``."""
        return self.session.sudo(host)

    def _sudo_field(self, host: HostSpec) -> str:
        return self.session.sudo_field(host)

    async def docker_access(self, host: HostSpec) -> DockerAccess:
        """:meth:`HostSession.docker_access`: how docker is used on ``host`` (probed once)."""
        return await self.session.docker_access(host)

    def flavour(self, host: HostSpec) -> str:
        """:meth:`HostSession.flavour`: ``docker compose`` or ``docker-compose`` on ``host``."""
        return self.session.flavour(host)

    async def service_state(self, host: HostSpec, service: str, inv: ComposeInvocation | None = None) -> str:
        """:meth:`HostSession.service_state`: ``running``, ``exited (N)`` or ``missing``."""
        return await self.session.service_state(host, service, inv)

    async def service_samples(self, host: HostSpec, service: str, window: float, count: int = 3) -> list[StateSample]:
        """:meth:`HostSession.service_samples`: ``count`` state samples over ``window`` seconds."""
        return await self.session.service_samples(host, service, window, count)

    async def _mkdir(self, host: HostSpec) -> str:
        return await self.session.mkdir(host)

    async def _upload(self, host: HostSpec, name: str, text: str, mode: int) -> str:
        return await self.session.upload(host, name, text, mode)

    async def _upload_compose(self, host: HostSpec) -> str:
        return await self.session.upload(host, COMPOSE_FILE, render_compose(self.profile), 0o644)

    async def _upload_db_env(self, host: HostSpec) -> str:
        return await self.session.upload(host, DB_ENV_FILE, render_db_env(self.profile.db), 0o600)

    async def _up(self, host: HostSpec, roles: tuple[Role, ...] | None = None) -> str:
        """:meth:`HostSession.up` (``up -d`` the host's roles, or ``roles``), then the start time is recorded."""
        await self.session.up(host, roles)
        # read by `health` in another process: transitional states are tolerated for the grace from here
        self.record_run_state(started_at=time.time())
        return "started"

    # ---- health (the health watch's: workflows.monitor) ---------------------------------------------
    def _client(self) -> WebappClient:
        """The Webapp API client of the profile in force (the health watch's)."""
        return self.health.client

    def note_start(self) -> None:
        """Containers were (re)started now: transitional states are tolerated for ``settings.grace`` seconds."""
        self.health.note_start()

    def health_plan(self, registered: bool) -> Plan:
        """The health plan for the profile (``monitor.plan_for``); in grace for ``settings.grace`` seconds after a start."""
        return plan_for(self.profile, self.profile.shards, registered, self.health.in_grace)

    def _heard(self, result: PollResult) -> None:
        if result.verdict is not None:
            self.last_verdict = result.verdict
            self.emit(HealthUpdated(result.verdict))

    async def poll_health(self, registered: bool | None) -> ClusterVerdict:
        """One ``GET /v1/health`` judged against the plan; emits :class:`HealthUpdated`. Raises ApiError.
        ``registered`` None: as the cluster says (``domain.health.registered_by_cluster``; not yet said: the
        last answer, False before any)."""
        result = await self.health.poll_once(registered)
        self._heard(result)
        if result.error is not None:
            raise result.error
        assert result.verdict is not None
        return result.verdict

    async def _wait_health(self, number: int, registered: bool | None, accept: Callable[[ClusterVerdict], bool],
                           *, announce: bool = True, done: Callable[[ClusterVerdict], str] | None = None) -> bool:
        """Step ``number``: poll (``HealthMonitor.results``, every ``settings.poll_interval`` s) until
        ``accept(verdict)`` or ``settings.health_timeout`` seconds pass (``announce`` False when the step was
        already started by the caller; ``registered`` None: as the cluster says). While waiting, a line with the
        elapsed time and the latest verdict every ``PROGRESS_EVERY`` seconds, so a wait is never silent.
        ``done(verdict)``: the summary when accepted."""
        if not self._valid(number):
            return False
        if announce:
            await self._begin(number)
        started = time.monotonic()
        deadline = started + self.settings.health_timeout
        said = started
        last_error: ApiError | None = None
        verdict: ClusterVerdict | None = None
        self.health.interval = self.settings.poll_interval  # the settings may be changed after construction
        async with aclosing(self.health.results(registered)) as polls:
            async for result in polls:
                self._heard(result)
                exc = result.error
                if exc is None:
                    verdict, last_error = result.verdict, None
                    assert verdict is not None
                    if accept(verdict):
                        if self.settings.journal:
                            self.settings.journal.step_done(number)
                        return self._finish(number, True, sentence(done(verdict) if done else verdict.headline),
                                            verdict.next_action)
                else:
                    if exc.kind in ("auth", "tls", "not_tls", "dns", "config"):
                        self._report_findings([diagnose_transport(exc.kind, str(exc))])
                        return self._finish(number, False, str(exc), exc.next_action)
                    if last_error is None or str(exc) != str(last_error):
                        self.emit(Message(f"waiting for the Webapp: {exc}"))
                    last_error = exc
                if time.monotonic() >= deadline:
                    self._report_findings(result.current_findings)
                    if last_error is not None or verdict is None:
                        return self._finish(number, False, f"no health answer within {self.settings.health_timeout:.0f} s: {last_error}",
                                            (last_error.next_action if last_error else "") or "check the waweb container (docker-compose logs waweb)")
                    return self._finish(number, False, verdict.headline, verdict.next_action)
                if time.monotonic() - said >= PROGRESS_EVERY:
                    said = time.monotonic()
                    latest = verdict.headline if last_error is None and verdict is not None else f"no answer: {last_error}"
                    self.emit(Message(f"step {number}: still waiting, {said - started:.0f} s of "
                                      f"{self.settings.health_timeout:.0f} s: {latest}"))
        raise AssertionError("the poll loop never ends by itself")
