"""The one health path: poll ``GET /v1/health``, judge it, and keep a timeline of what changed.

:func:`client_for` and :func:`plan_for` are the one place the API client and the health plan are built
from a profile; :meth:`HealthMonitor.poll_once` is one poll (the answer parsed once, judged, its findings
computed once) and :meth:`HealthMonitor.results` the one poll loop, used by the TUI's monitor screen,
``wabiz-tui health [--watch]`` and the procedures' health steps (``Procedure.health``). Polls never overlap
(one poll, then ``interval`` seconds of sleep). Transitional states are tolerated for ``grace``
seconds after :meth:`HealthMonitor.note_start` (a start or upgrade) and during a failover the monitor
detects itself (a connected Coreapp lost while a standby can take its shard), from the first poll that sees
the loss (``domain.transitions``). While a planned operation runs (a wabiz-tui command holds the cluster's
lock, or the TUI runs one) the words say what happens and alerts pause; after an uninstall the cluster is
not polled (``PollResult.notice``). Polls are never closer than the poll floor. A 401 makes the client log
in once more before it is reported as a credentials problem (``api.client``).
"""

from __future__ import annotations

import asyncio
import shlex
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import AsyncGenerator, Awaitable, Callable, Union

from ..api.client import ApiError, WebappClient
from ..domain.diagnosis import Diagnosis, diagnose_api_error, diagnose_transport, diagnose_verdict
from ..domain.health import ClusterVerdict, HealthFormatError, Level, Plan, judge, parse_health, registered_by_cluster
from ..domain.model import ClusterProfile, Role
from ..domain.versions import VersionRead, with_versions
from ..domain.transitions import (FailoverStatus, FailoverWatch, OperationWatch, PlannedOperation, age_words,
                                  not_installed_words, operation_from_lock, paused_words, with_failover,
                                  with_operation)

DEFAULT_INTERVAL = 5.0
DEFAULT_GRACE = 60.0
#: Fewest seconds between two polls of one cluster, unless the profile (``monitoring.poll_floor``) or a flag
#: says otherwise: ten polls a second at most, whatever interval is asked.
DEFAULT_POLL_FLOOR = 0.1
#: Seconds between two reads of the nodes' images (versions) besides the reads at start, after an operation and on
#: demand: a read is one SSH command per host, never one per API poll.
VERSION_EVERY = 60.0


@dataclass(frozen=True)
class TimelineEntry:
    """Something that changed: ``at`` is a wall-clock time (epoch seconds), ``severity`` info/warning/alert."""

    at: float
    text: str
    severity: str = "info"


@dataclass(frozen=True)
class PollResult:
    """One poll: a verdict, or the API error that prevented it.

    ``polled_at`` is when the answer (or the error) came, epoch seconds; ``latency`` the seconds the poll took
    (request, answer, and ``GET /v1/account/shards`` when asked). Faces read the findings from here
    (``current_findings``), never compute them again.
    """

    polled_at: float
    latency: float
    verdict: ClusterVerdict | None = None
    error: ApiError | None = None
    new_entries: tuple[TimelineEntry, ...] = ()
    worsened: bool = False
    #: diagnoses that appeared with this poll (each shown once while its condition lasts)
    new_findings: tuple[Diagnosis, ...] = ()
    #: every diagnosis that holds at this poll
    current_findings: tuple[Diagnosis, ...] = ()
    #: "alerts paused: upgrade running since 00:42" while a planned operation runs ("" otherwise): then
    #: ``worsened`` is False and ``new_findings`` empty, whatever the cluster says
    alerts_paused: str = ""
    #: the cluster's state when it was not polled: "not installed (uninstalled at 08:01)" ("" when polled)
    notice: str = ""
    #: the failover this poll saw (``state`` "none" when none)
    failover: FailoverStatus = field(default_factory=FailoverStatus)
    #: an operation that stopped midway (an upgrade's journal left): the verdict is then at least degraded
    incomplete: IncompleteOperation | None = None
    #: the last read of the nodes' images (versions) judged with this poll (None: none yet, or not read here)
    versions: VersionRead | None = None

    def age(self, now: float | None = None) -> float:
        """Seconds since the answer came (``now``: epoch seconds, default the current time)."""
        return (time.time() if now is None else now) - self.polled_at

    def age_text(self, now: float | None = None) -> str:
        """``answer 3 s old``, or ``no answer (polled 3 s ago)`` when the poll got no health answer (``now``:
        epoch seconds, default the current time)."""
        if self.verdict is None:
            return f"no answer (polled {max(0.0, self.age(now)):.0f} s ago)"
        return age_words(self.age(now))


@dataclass(frozen=True)
class IncompleteOperation:
    """An operation that stopped midway and left the cluster between two states (an upgrade whose journal is left,
    ``workflows.upgrade.interrupted_upgrade``, or an uninstall, :func:`incomplete_uninstall`): ``operation``
    ("upgrade", "uninstall"), the versions (empty for an uninstall), ``last_done``
    (its highest finished step), ``words`` (one line) and ``next_action`` (the command that continues it).
    ``GET /v1/health`` cannot show it (it has no versions): the nodes may run two versions and still answer as
    healthy, so the monitor reads such a cluster as degraded (trial: a half-upgraded cluster read healthy, exit 0)."""

    operation: str
    source: str
    target: str
    last_done: int
    words: str
    next_action: str
    #: the verdict's own next action no longer applies (an uninstall stopped midway: its Webapp is down on purpose)
    supersedes: bool = False


@dataclass(frozen=True)
class PlannedState:
    """What the monitor knows of the operator's plans: ``operation`` running now (None: none),
    ``uninstalled_at`` (epoch seconds) when wabiz-tui uninstalled the cluster and has not installed it since, and
    ``incomplete``: an operation that stopped midway (None: none)."""

    operation: PlannedOperation | None = None
    uninstalled_at: float | None = None
    incomplete: IncompleteOperation | None = None


def incomplete_upgrade(profile: ClusterProfile, journals: Path, profile_ref: str = "") -> IncompleteOperation | None:
    """The upgrade of ``profile`` that stopped midway (its journal left in ``journals``), or None; ``profile_ref``
    is how the commands name the profile (default its name). An unreadable journal is none: it is no reason to
    fail a health check."""
    from .upgrade import interrupted_upgrade  # the upgrade imports the monitor (its health steps)

    try:
        found = interrupted_upgrade(journals, profile)
    except (OSError, ValueError):
        return None
    if found is None:
        return None
    aborted = found.aborted or {}
    where = (f"aborted during step {aborted['step']} ({aborted.get('title', '')})" if aborted.get("step") else
             f"after step {found.last_done}" if found.last_done else "before its first step ended")
    return IncompleteOperation("upgrade", found.source, found.target, found.last_done,
                               f"upgrade {found.source} → {found.target} stopped midway ({where}): nodes may run "
                               f"different versions", f"wabiz-tui upgrade {shlex.quote(profile_ref or profile.name)} --resume --yes")


def incomplete_uninstall(profile: ClusterProfile, journals: Path, profile_ref: str = "") -> IncompleteOperation | None:
    """The uninstall of ``profile`` that stopped midway (Ctrl-C, SIGTERM, a failed host: its journal, which a
    finished uninstall clears, left in ``journals`` with steps or an abort record), or None. Continuing it is
    running the same command again: hosts already removed are re-checked and skipped (``Uninstall._still_done``),
    the others removed (``rm -s -f`` and ``down`` of what is already gone succeed). ``remove_volumes`` noted in
    the journal by ``cli.uninstall`` adds the volume flags. An unreadable journal is none."""
    from .journal import Journal

    try:
        found = Journal.for_cluster(journals, profile, "uninstall")
    except (OSError, ValueError):
        return None
    aborted = found.aborted()
    if not found.exists and aborted is None:
        return None
    ref = profile_ref or profile.name
    volumes = " --remove-volumes --confirm-volumes" if found.note("remove_volumes") == "yes" else ""
    done = sorted(found.hosts_done(1))
    where = f"aborted {aborted.get('at', '')}".rstrip() if aborted else "failed"
    return IncompleteOperation("uninstall", "", "", found.last_done(),
                               f"uninstall stopped midway ({where}; removed on {len(done)} of {len(profile.hosts)} "
                               f"host(s)): some containers may still run, others are gone",
                               f"wabiz-tui uninstall {shlex.quote(ref)} --yes --confirm-name {shlex.quote(profile.name)}"
                               f"{volumes}", supersedes=True)


def with_incomplete(verdict: ClusterVerdict, incomplete: IncompleteOperation) -> ClusterVerdict:
    """``verdict`` of a cluster an operation left midway: at least degraded (warning), the headline says what
    stopped, the next action is the command that continues it (after the verdict's own when it was worse), said
    once: a verdict whose action already names it (the versions' "finish the upgrade: ...") keeps its action."""
    level = verdict.level if verdict.level.rank >= Level.WARNING.rank else Level.WARNING
    action = (f"continue it: {incomplete.next_action}" if level is not verdict.level or incomplete.supersedes else
              verdict.next_action if incomplete.next_action in verdict.next_action else
              f"{verdict.next_action}; then continue the {incomplete.operation}: {incomplete.next_action}")
    return replace(verdict, level=level, headline=f"{incomplete.words} — {verdict.headline}", next_action=action,
                   problems=(*verdict.problems, incomplete.words))


def planned_state_reader(profile: "ProfileSource", locks: Path | None,
                         own: Callable[[], PlannedOperation | None] | None = None,
                         runstate_dir: Path | None = None, journals: Path | None = None,
                         profile_ref: str = "") -> Callable[[], PlannedState]:
    """A reader of the cluster's :class:`PlannedState`, read anew at each poll: ``own()`` (the operation the
    calling face runs itself, e.g. the TUI's upgrade) first, else the holder of the cluster's lock in ``locks``
    (``config.lock``: another wabiz-tui command; None: not read); ``uninstalled_at`` from the run state
    (``config.runstate``, in ``runstate_dir`` or the default state directory); ``incomplete`` from the
    journals in ``journals`` (default: ``journals/`` beside ``locks``, as in the state directory; none read
    without either), named in its command by ``profile_ref`` (default the profile's name)."""
    from ..config.lock import ClusterLock
    from ..config.runstate import read_run_state

    def current() -> ClusterProfile:
        """The profile in force (``profile`` called when it is a callable)."""
        return profile() if callable(profile) else profile

    def read() -> PlannedState:
        """The PlannedState now: the operation running (ours, else the cluster lock's holder) and the run state's
        uninstall/start times, read from disk on each call."""
        p = current()
        op = own() if own is not None else None
        if op is None and locks is not None:
            op = operation_from_lock(ClusterLock.for_profile(locks, p).holder())
        state = read_run_state(p, runstate_dir) or {}
        gone, started = state.get("uninstalled_at"), state.get("started_at")
        # containers started after the uninstall (a new install) bring the cluster back
        uninstalled = float(gone) if (isinstance(gone, (int, float)) and state.get("installed") is False
                                      and not (isinstance(started, (int, float)) and started > gone)) else None
        stopped = ((incomplete_uninstall(p, journal_dir, profile_ref) or incomplete_upgrade(p, journal_dir, profile_ref))
                   if journal_dir is not None and op is None else None)
        return PlannedState(op, uninstalled, stopped)

    journal_dir = journals if journals is not None else (Path(locks).parent / "journals" if locks is not None else None)
    return read


def uninstalled_words(profile: ClusterProfile) -> str:
    """``"not installed (uninstalled at HH:MM)"`` when wabiz-tui uninstalled the cluster and has not started it since
    (the run state, read as health reads it: :func:`planned_state_reader`); "" otherwise."""
    from ..domain.transitions import not_installed_words

    gone = planned_state_reader(profile, None)().uninstalled_at
    return not_installed_words(gone) if gone is not None else ""


def client_for(profile: ClusterProfile, *, first_login: bool = True) -> WebappClient:
    """A Webapp API client configured from the profile's ``webapp`` section (the only place one is built).
    ``first_login`` False: the client never tries the initial password with ``new_password`` (a reader that must
    change nothing, such as doctor, only logs in with the profile's password)."""
    w = profile.webapp
    return WebappClient(w.url, username=w.admin_user, password=w.admin_password,
                        initial_password=w.initial_password if first_login else "",
                        ca_file=w.ca_file, self_signed_ok=w.self_signed_ok)


#: what the API client is built from (url, admin user, admin password, CA file and what is on disk there,
#: self-signed accepted)
_ClientKey = tuple[str, str, str, str, tuple[int, int] | None, bool]


def _file_identity(path: str) -> tuple[int, int] | None:
    """(mtime ns, size) of the file at ``path``; None when there is none (or no path)."""
    if not path:
        return None
    try:
        st = Path(path).expanduser().stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _client_key(profile: ClusterProfile) -> _ClientKey:
    # the CA file is read when the client is built: a long-running reader (the exporter, the monitor) builds it
    # again when the file changes or goes, so it reads the same as a fresh `health` (a served demo stopped
    # takes its CA with it: both say the profile's CA cannot be used, not one of them "unreachable")
    w = profile.webapp
    return (w.url, w.admin_user, w.admin_password, w.ca_file, _file_identity(w.ca_file), w.self_signed_ok)


def _consistent(finding: Diagnosis, verdict: ClusterVerdict) -> Diagnosis:
    """``finding`` with the verdict's next action where the catalogue's generic one would contradict it: with a
    planned Coreapp missing (e.g. after a failover) "no standby" is cured by starting that Coreapp again, which
    comes back as a standby, not by adding a host (trial of the demo's F5 fault)."""
    if finding.key == "NO_SPARE_COREAPP" and verdict.next_action.startswith("start the Coreapp on"):
        return replace(finding, next_action=verdict.next_action)
    return finding


def _mode(shards: int) -> str:
    """``HA`` or ``Multiconnect (N shards)``, as the verdict's headline begins."""
    return "HA" if shards == 1 else f"Multiconnect ({shards} shards)"


def plan_for(profile: ClusterProfile, shards: int, registered: bool, in_grace: bool) -> Plan:
    """The health plan of ``profile`` with the shard count in force (the only place one is built)."""
    def names(role: Role) -> tuple[str, ...]:
        """The external hostnames of ``profile``'s hosts with ``role``, in profile order."""
        return tuple(h.external_hostname for h in profile.hosts_with(role))

    return Plan(names(Role.MASTER), names(Role.COREAPP), names(Role.WEBAPP), shards, registered, in_grace)


@dataclass
class _Track:
    nodes: dict[str, str] = field(default_factory=dict)
    level_rank: int = -1
    #: the level "worsened" compares with: kept during a failover within its grace
    alert_rank: int = -1
    unserved_since: float | None = None
    lost_owners: list[str] = field(default_factory=list)
    #: the primary master's host at the last answer, and since when (monotonic) the one lost had no successor
    primary: str = ""
    primary_lost: str = ""
    primary_lost_since: float | None = None


#: a profile, or a callable giving the one in force (a procedure's or the app's profile is replaced between steps)
ProfileSource = Union[ClusterProfile, Callable[[], ClusterProfile]]


class HealthMonitor:
    """Polls one cluster's health and derives events.

    ``interval`` and ``grace`` are seconds; ``poll_floor`` the fewest seconds between two polls (an interval
    below it is raised to it). ``client`` defaults to one built from the profile (built again when the
    profile's ``webapp`` settings change). ``registered``: what to assume until the cluster says (default the
    profile's ``installed``). ``ask_shards``: the shard count from ``GET /v1/account/shards`` once registered
    (else the profile's). ``planned``: the reader of :class:`PlannedState` (:func:`planned_state_reader`;
    None: no operation is ever known to run). ``versions``: a reader of the nodes' images
    (``workflows.versions.VersionReader.read``; None: versions are not read), called at the first poll, after an
    operation ends, every ``version_every`` seconds and after :meth:`refresh_versions`, in the background (a poll
    never waits for it; :meth:`read_versions` does); each node's version is then judged against the profile's
    ``WA_API_VERSION`` (``domain.versions.with_versions``; ``profile_ref``/``profile_file`` name the profile in its
    advice). While a planned operation runs no read starts and none is judged (an upgrade writes the profile's
    version only at its end). ``clock`` (monotonic seconds) and ``wall`` (epoch seconds) are injectable for tests.
    """

    def __init__(self, profile: ProfileSource, *, interval: float = DEFAULT_INTERVAL, grace: float = DEFAULT_GRACE,
                 client: WebappClient | None = None, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, registered: bool | None = None, ask_shards: bool = True,
                 poll_floor: float = DEFAULT_POLL_FLOOR, planned: Callable[[], PlannedState] | None = None,
                 versions: Callable[[], Awaitable[VersionRead]] | None = None, version_every: float = VERSION_EVERY,
                 profile_ref: str = "", profile_file: str = ""):
        self._profile = profile
        #: how commands and words name the profile when every node runs another version than it says
        #: (``domain.versions.agreed_words``): the command's name for it, and its file
        self.profile_ref, self.profile_file = profile_ref, profile_file
        self._read_versions = versions
        self.version_every = version_every
        #: the last read of the nodes' images (None: none yet)
        self.versions: VersionRead | None = None
        self._version_task: asyncio.Task[VersionRead] | None = None
        self._versions_due = True
        self._version_read_at = 0.0  # monotonic, when the last read started
        #: the profile's WA_API_VERSION when the running read / the kept read started: a read made under another
        #: (an upgrade just changed the profile) is not judged against the new one
        self._reading_for = ""
        self._versions_for = ""
        self._version_problem = ""
        #: a poll that got an answer waits for the version read running beside it (one-shot readers: ``health``)
        self.wait_versions = False
        self.poll_floor = poll_floor
        self._interval = interval
        self._failover = FailoverWatch(grace)
        self._operation = OperationWatch()
        self._planned = planned
        self._paused_by: PlannedOperation | None = None
        self._client = client
        self._own_client = client is None
        self._client_key: _ClientKey | None = None
        #: False: the client built here never changes the initial admin password (:func:`client_for`)
        self.first_login = True
        self._clock, self._wall = clock, wall
        self._grace_until = 0.0
        self._registered = self.profile.installed if registered is None else registered
        self._ask_shards = ask_shards
        self._track = _Track()
        self._active: set[tuple[str, str]] = set()
        self.timeline: list[TimelineEntry] = []
        self.last: PollResult | None = None

    @property
    def interval(self) -> float:
        """Seconds between two polls: the interval asked, never below :attr:`poll_floor`."""
        return max(self._interval, self.poll_floor)

    @interval.setter
    def interval(self, value: float) -> None:
        """Set the asked interval between polls (seconds); reads are floored at :attr:`poll_floor`."""
        self._interval = value

    @property
    def grace(self) -> float:
        """Seconds transitional states are tolerated after a start and a failover may leave a shard unserved."""
        return self._failover.grace

    @grace.setter
    def grace(self, value: float) -> None:
        """Set the grace (seconds) of the failover tracker."""
        self._failover.grace = value

    @property
    def profile(self) -> ClusterProfile:
        """The profile in force."""
        return self._profile() if callable(self._profile) else self._profile

    @profile.setter
    def profile(self, value: ProfileSource) -> None:
        """Set the profile source: a ClusterProfile, or a callable returning the one in force."""
        self._profile = value

    @property
    def client(self) -> WebappClient:
        """The API client (:func:`client_for`), built again (the old one closed) when the webapp settings change."""
        if self._own_client:
            key = _client_key(self.profile)
            if self._client is None or key != self._client_key:
                if self._client is not None:
                    asyncio.ensure_future(self._client.aclose())
                self._client, self._client_key = client_for(self.profile, first_login=self.first_login), key
        assert self._client is not None
        return self._client

    @property
    def token(self) -> str:
        """The API session token in use ("" before the first login): a secret to mask."""
        return self._client.token if self._client is not None else ""

    def refresh_versions(self) -> None:
        """Read the nodes' images again at the next poll (an operation ended, the operator asked)."""
        self._versions_due = True

    async def read_versions(self) -> VersionRead | None:
        """Read the nodes' images now and keep the read (a read already running is awaited); None without a
        reader. For one-shot readers (``wabiz-tui health``) that want the versions with their first poll."""
        if self._read_versions is None:
            return None
        self._start_version_read()
        return await self._take_versions(wait=True)

    def _start_version_read(self) -> None:
        """Start a read in the background when one is due (first poll, asked, or older than ``version_every``)."""
        if self._read_versions is None or (self._version_task is not None and not self._version_task.done()):
            return
        if not (self._versions_due or self._clock() - self._version_read_at >= self.version_every):
            return
        self._versions_due = False
        self._version_read_at = self._clock()
        self._reading_for = self.profile.wa_api_version
        self._version_task = asyncio.ensure_future(self._read_versions())

    async def _take_versions(self, wait: bool = False) -> VersionRead | None:
        """The finished read, kept in :attr:`versions` (``wait``: await the one running); a read that failed
        as a whole keeps the read before it (each host's own failure is in the read itself)."""
        task = self._version_task
        if task is not None and (wait or task.done()):
            self._version_task = None
            try:
                self.versions, self._versions_for = await task, self._reading_for
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bug in a reader must not stop the health poll
                self._versions_due = True
        return self.versions

    async def _versions_now(self, wait: bool) -> VersionRead | None:
        """The read to judge this poll with (``wait``: the one running is awaited): None when none finished yet, or
        when it was made under another ``WA_API_VERSION`` than the profile's now (then a new one starts)."""
        versions = await self._take_versions(wait=wait)
        if versions is not None and self._versions_for != self.profile.wa_api_version:
            versions = self.versions = None  # read before the profile's version changed: it proves nothing now
            self.refresh_versions()
            self._start_version_read()
        return versions

    async def aclose(self) -> None:
        """Close the API client and stop a version read still running."""
        if self._version_task is not None and not self._version_task.done():
            self._version_task.cancel()
            await asyncio.gather(self._version_task, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            if self._own_client:
                self._client = None

    def note_start(self, at: float | None = None) -> None:
        """A start, upgrade or failover happened now (or at ``at``, epoch seconds, e.g. the run state's
        ``started_at`` written when ``up -d`` ran): tolerate transitional states for ``grace`` seconds from then."""
        ago = 0.0 if at is None else max(0.0, self._wall() - at)
        self._grace_until = self._clock() + self.grace - ago

    @property
    def in_grace(self) -> bool:
        """Whether transitional states are tolerated now (within ``grace`` seconds of the last start)."""
        return self._clock() < self._grace_until

    def _entry(self, text: str, severity: str = "info") -> TimelineEntry:
        e = TimelineEntry(self._wall(), text, severity)
        self.timeline.append(e)
        return e

    async def _shards(self, registered: bool) -> int:
        if not registered or not self._ask_shards:
            return self.profile.shards
        try:
            return await self.client.get_shards()
        except ApiError:
            return self.profile.shards

    async def poll_once(self, registered: bool | None = None) -> PollResult:
        """Poll and judge once: the answer is parsed once (``domain.health.parse_health``), a failover is looked
        for (``domain.transitions.FailoverWatch``: the poll that first sees a lost Coreapp with a standby
        available is already in grace), the answer judged against :func:`plan_for`, its words set for a
        failover or a planned operation, its findings and timeline entries derived. ``registered`` None: as the
        cluster says (``registered_by_cluster``), the last known answer while no node says. A cluster
        wabiz-tui uninstalled is not polled: ``notice`` says so. Public for one-shot readers (``wabiz-tui
        health``, an exporter scraping one result per cluster). Never raises for API problems: they come back
        in ``PollResult.error`` (an answer that is no health answer too)."""
        planned = self._planned() if self._planned is not None else PlannedState()
        if planned.uninstalled_at is not None and planned.operation is None:
            return self._not_installed(planned.uninstalled_at)
        op_entries = self._follow_operation(planned.operation)
        # an operation (an upgrade) changes the images before it writes the profile's version at its end: a read
        # judged meanwhile would advise undoing it. None starts; _follow_operation reads again when it ends
        reading = planned.operation is None
        if reading:
            self._start_version_read()  # runs beside the API poll
        start = self._clock()
        status = FailoverStatus()
        op_words = ""
        try:
            nodes = parse_health(await self.client.health())
            if registered is None:
                said = registered_by_cluster(nodes)  # None while every node is starting: the last known answer holds
                registered = self._registered if said is None else said
            self._registered = registered
            shards = await self._shards(registered)
            plan = plan_for(self.profile, shards, registered, self.in_grace)
            status = self._failover.observe(nodes, plan, self._clock())
            if status.tolerated and not plan.in_grace:
                plan = plan_for(self.profile, shards, registered, True)
            verdict: ClusterVerdict | None = with_failover(judge(nodes, plan), status, _mode(shards))
            op_words = self._operation.observe(planned.operation, nodes, len(plan.masters) + len(plan.coreapps))
            error = None
        except ApiError as exc:
            verdict, error = None, exc
        except HealthFormatError as exc:
            verdict, error = None, ApiError(f"health answer not understood: {exc}")
        latency = self._clock() - start
        if verdict is None:
            op_words = self._operation.observe(planned.operation, None, 0)
        versions = await self._versions_now(wait=self.wait_versions and verdict is not None) if reading else None
        paused = paused_words(planned.operation) if planned.operation is not None else ""
        if verdict is not None and paused:
            verdict = with_operation(verdict, op_words, paused)
        incomplete = planned.incomplete if planned.operation is None else None
        if verdict is not None and versions is not None:
            p = self.profile
            verdict = with_versions(verdict, versions, p.wa_api_version,
                                    tuple(h.external_hostname for h in p.hosts_with(Role.WEBAPP)),
                                    incomplete.next_action if incomplete and incomplete.operation == "upgrade" else "",
                                    self.profile_ref or self.profile.name, self.profile_file)
            op_entries += self._version_entries(verdict)
        if verdict is not None and incomplete is not None:
            verdict = with_incomplete(verdict, incomplete)
        # during a failover a standby should complete, the level before it is kept: nothing alerts within the
        # grace, and what the failover leaves (e.g. no standby any more) alerts once it is over
        entries, worsened = self._derive(verdict, error, hold=status.tolerated)
        entries = op_entries + entries
        new, current = self._findings(verdict, error, in_failover=status.tolerated)
        if paused:
            worsened, new = False, ()
        self.last = PollResult(self._wall(), latency, verdict, error, tuple(entries), worsened, new, current,
                               paused, op_words if verdict is None else "", status, incomplete, versions)
        return self.last

    def _version_entries(self, verdict: ClusterVerdict) -> list[TimelineEntry]:
        """A timeline entry when the nodes' versions start or stop differing from the profile's (or differ
        otherwise)."""
        problem = next((p for p in verdict.problems if p.startswith(("versions differ", "every node runs v"))), "")
        if problem == self._version_problem:
            return []
        before, self._version_problem = self._version_problem, problem
        if problem:
            return [self._entry(problem, "warning")]
        return [self._entry(f"every node read runs v{self.profile.wa_api_version} again", "info")] if before else []

    def _follow_operation(self, op: PlannedOperation | None) -> list[TimelineEntry]:
        """Timeline entries when a planned operation begins or ends; when one ends, the grace starts (what it
        started may still be coming up: no alert for nodes still starting right after an upgrade's "done")."""
        if op == self._paused_by:
            return []
        before, self._paused_by = self._paused_by, op
        if op is not None:
            return [self._entry(paused_words(op))]
        assert before is not None
        self.note_start()
        self.versions = None  # what it started may run another image: no stale version is shown meanwhile
        if self._version_task is not None:  # a read begun during the operation may predate what it changed
            self._version_task.cancel()
            # nobody awaits it now: a read ending with an error must not warn "exception never retrieved"
            self._version_task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._version_task = None
        self.refresh_versions()
        return [self._entry(f"alerts resumed: {before.name} ended")]

    def _not_installed(self, uninstalled_at: float) -> PollResult:
        """The result of a poll skipped because wabiz-tui uninstalled the cluster (no alert, no finding)."""
        words = not_installed_words(uninstalled_at)
        if self.last is None or self.last.notice != words:
            entries: tuple[TimelineEntry, ...] = (self._entry(f"cluster {words}: the monitor stops alerting on it"),)
        else:
            entries = ()
        self._track = _Track()
        self._active = set()
        self.last = PollResult(self._wall(), 0.0, None, None, entries, notice=words)
        return self.last

    async def results(self, registered: bool | None = None, *, wake: asyncio.Event | None = None,
                      paused: Callable[[], bool] | None = None,
                      on_error: Callable[[Exception], None] | None = None) -> AsyncGenerator[PollResult, None]:
        """The poll loop: poll (:meth:`poll_once`), yield the result, sleep ``interval`` seconds (read anew each
        time), again; polls never overlap. ``wake`` set ends a sleep at once (cleared before each poll, so a
        wake during a poll ends the next sleep); ``paused()`` True skips the poll. ``on_error``: an unexpected
        exception of a poll goes there and polling goes on (without it, it is raised). Stop by leaving the
        ``async for`` (``contextlib.aclosing`` closes the loop at once)."""
        wake = wake or asyncio.Event()
        while True:
            wake.clear()
            if paused is None or not paused():
                try:
                    result = await self.poll_once(registered)
                except Exception as exc:  # noqa: BLE001 - given to on_error when there is one
                    if on_error is None:
                        raise
                    on_error(exc)
                else:
                    yield result
            try:
                await asyncio.wait_for(wake.wait(), self.interval)
            except asyncio.TimeoutError:
                pass

    def _findings(self, verdict: ClusterVerdict | None, error: ApiError | None,
                  in_failover: bool = False) -> tuple[tuple[Diagnosis, ...], tuple[Diagnosis, ...]]:
        """(new, current) diagnoses of this poll. ``in_failover``: a failover with a standby is within its grace,
        so what it causes (the unserved shard, the lost node) is shown as a warning said to be in the grace and
        is not new yet: it alerts once if it is still there when the grace is over (the trial saw ERROR findings
        under a WARNING "failing over" verdict)."""
        found: list[Diagnosis | None] = []
        if verdict is not None:
            found.extend(_consistent(d, verdict) for d in diagnose_verdict(verdict))
        elif error is not None:
            found.append(diagnose_api_error(error.status, error.code, error.details, error.title)
                         or diagnose_transport(error.kind, str(error)))
        current = [d for d in found if d is not None]
        if in_failover:
            current = [replace(d, severity="warning", title=f"{d.title} (failover within its grace)")
                       if d.severity == "error" else d for d in current]
            return (), tuple(current)
        keys = {(d.key, d.host) for d in current}
        new = tuple(d for d in current if (d.key, d.host) not in self._active)
        self._active = keys
        return new, tuple(current)

    def _derive(self, verdict: ClusterVerdict | None, error: ApiError | None,
                hold: bool = False) -> tuple[list[TimelineEntry], bool]:
        """Timeline entries of this poll, and whether the cluster's level worsened; ``hold``: not now (the
        level before is kept, so a worse one is reported when the hold ends)."""
        t = self._track
        out: list[TimelineEntry] = []
        if verdict is None:
            rank = 4
            if t.level_rank != rank:
                out.append(self._entry(f"health unavailable: {error}", "alert"))
        else:
            rank = verdict.level.rank
            now_nodes = {f"{n.host}:{n.container_id}": f"{n.actual_role} {n.actual_status}"
                         for n in verdict.nodes if n.actual_status != "missing"}
            for key, state in now_nodes.items():
                before = t.nodes.get(key)
                if before is None and t.nodes:
                    out.append(self._entry(f"{key} appeared: {state}"))
                elif before is not None and before != state:
                    out.append(self._entry(f"{key}: {before} → {state}", "warning" if "connected" in before else "info"))
            for key, state in t.nodes.items():
                if key not in now_nodes:
                    out.append(self._entry(f"{key} disappeared (was {state})", "warning"))
            out += self._shard_events(verdict, t.nodes, now_nodes)
            out += self._primary_events(verdict)
            t.nodes = now_nodes
            if t.level_rank >= 0 and rank != t.level_rank:
                out.append(self._entry(f"cluster: {verdict.headline}", "alert" if rank > t.level_rank else "info"))
        # waiting (nodes starting within the grace) is expected, not worse: what comes after it may be
        worsened = t.alert_rank >= 0 and rank > t.alert_rank and rank != Level.WAITING.rank and not hold
        t.level_rank = rank
        if not hold or t.alert_rank < 0:
            t.alert_rank = rank
        return out, worsened

    def _shard_events(self, verdict: ClusterVerdict, before: dict[str, str], now: dict[str, str]) -> list[TimelineEntry]:
        t = self._track
        out: list[TimelineEntry] = []
        was_connected = {k for k, s in before.items() if s == "coreapp connected"}
        is_connected = {k for k, s in now.items() if s == "coreapp connected"}
        lost = sorted(was_connected - is_connected)
        gained = sorted(is_connected - was_connected)
        if lost:
            t.lost_owners += [k.split(":")[0] for k in lost]
            self.note_start()  # a failover starts: transitional states are expected for a while
        if verdict.registered and verdict.shards_served < verdict.shards_expected:
            if t.unserved_since is None:
                t.unserved_since = self._clock()
                n = verdict.shards_expected - verdict.shards_served
                out.append(self._entry(f"{n} shard(s) unserved" + (f" since {', '.join(t.lost_owners)} stopped serving" if t.lost_owners else ""),
                                       "alert"))
        elif t.unserved_since is not None:
            took = self._clock() - t.unserved_since
            for k in gained:
                origin = t.lost_owners.pop(0) if t.lost_owners else "a lost coreapp"
                out.append(self._entry(f"{k.split(':')[0]} took over the shard of {origin} after {took:.1f} s"))
            out.append(self._entry(f"all shards served again after {took:.1f} s unserved"))
            t.unserved_since = None
        elif gained and t.lost_owners:
            origin = t.lost_owners.pop(0)
            out.append(self._entry(f"{gained[0].split(':')[0]} took over the shard of {origin} (within one poll)"))
        return out

    def _primary_events(self, verdict: ClusterVerdict) -> list[TimelineEntry]:
        """A master takeover, timed like a Coreapp's: from the poll that lost the primary master (none, or another
        host) to the one where another master says ``primary_master`` ("wa-master-2 took over as primary master
        from wa-master-1 after 4.2 s")."""
        t = self._track
        out: list[TimelineEntry] = []
        now = verdict.primary_master
        if t.primary_lost_since is None:
            if t.primary and now and now != t.primary:
                out.append(self._entry(f"{now} took over as primary master from {t.primary} (within one poll)"))
            elif t.primary and not now:
                t.primary_lost, t.primary_lost_since = t.primary, self._clock()
                out.append(self._entry(f"no primary master since {t.primary} stopped being one", "alert"))
        elif now:
            if now != t.primary_lost:
                took = self._clock() - t.primary_lost_since
                out.append(self._entry(f"{now} took over as primary master from {t.primary_lost} after {took:.1f} s"))
            t.primary_lost, t.primary_lost_since = "", None
        t.primary = now or t.primary
        return out
