"""The one health path: poll ``GET /v1/health``, judge it, and keep a timeline of what changed.

:func:`client_for` and :func:`plan_for` are the one place the API client and the health plan are built
from a profile; :meth:`HealthMonitor.poll_once` is one poll (the answer parsed once, judged, its findings
computed once) and :meth:`HealthMonitor.results` the one poll loop, used by the TUI's monitor screen,
``wabiz-tui health [--watch]`` and the procedures' health steps (``Procedure.health``). Polls never overlap
(one poll, then ``interval`` seconds of sleep). Transitional states are tolerated for ``grace``
seconds after :meth:`HealthMonitor.note_start` (a start or upgrade) and after a failover the
monitor detects itself (a connected Coreapp lost). A 401 makes the client log in once more before it
is reported as a credentials problem (``api.client``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import AsyncGenerator, Callable, Union

from ..api.client import ApiError, WebappClient
from ..domain.diagnosis import Diagnosis, diagnose_api_error, diagnose_transport, diagnose_verdict
from ..domain.health import ClusterVerdict, HealthFormatError, Plan, judge, parse_health, registered_by_cluster
from ..domain.model import ClusterProfile, Role

DEFAULT_INTERVAL = 5.0
DEFAULT_GRACE = 60.0


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

    def age(self, now: float | None = None) -> float:
        """Seconds since the answer came (``now``: epoch seconds, default the current time)."""
        return (time.time() if now is None else now) - self.polled_at


def client_for(profile: ClusterProfile) -> WebappClient:
    """A Webapp API client configured from the profile's ``webapp`` section (the only place one is built)."""
    w = profile.webapp
    return WebappClient(w.url, username=w.admin_user, password=w.admin_password, initial_password=w.initial_password,
                        ca_file=w.ca_file, self_signed_ok=w.self_signed_ok)


#: what the API client is built from (url, admin user, admin password, CA file, self-signed accepted)
_ClientKey = tuple[str, str, str, str, bool]


def _client_key(profile: ClusterProfile) -> _ClientKey:
    w = profile.webapp
    return (w.url, w.admin_user, w.admin_password, w.ca_file, w.self_signed_ok)


def plan_for(profile: ClusterProfile, shards: int, registered: bool, in_grace: bool) -> Plan:
    """The health plan of ``profile`` with the shard count in force (the only place one is built)."""
    def names(role: Role) -> tuple[str, ...]:
        return tuple(h.external_hostname for h in profile.hosts_with(role))

    return Plan(names(Role.MASTER), names(Role.COREAPP), names(Role.WEBAPP), shards, registered, in_grace)


@dataclass
class _Track:
    nodes: dict[str, str] = field(default_factory=dict)
    level_rank: int = -1
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

    ``interval`` and ``grace`` are seconds. ``client`` defaults to one built from the profile (built again
    when the profile's ``webapp`` settings change). ``registered``: what to assume until the cluster says
    (default the profile's ``installed``). ``ask_shards``: the shard count from ``GET /v1/account/shards`` once
    registered (else the profile's). ``clock`` (monotonic seconds) and ``wall`` (epoch seconds) are
    injectable for tests.
    """

    def __init__(self, profile: ProfileSource, *, interval: float = DEFAULT_INTERVAL, grace: float = DEFAULT_GRACE,
                 client: WebappClient | None = None, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, registered: bool | None = None, ask_shards: bool = True):
        self._profile = profile
        self.interval = interval
        self.grace = grace
        self._client = client
        self._own_client = client is None
        self._client_key: _ClientKey | None = None
        self._clock, self._wall = clock, wall
        self._grace_until = 0.0
        self._registered = self.profile.installed if registered is None else registered
        self._ask_shards = ask_shards
        self._track = _Track()
        self._active: set[tuple[str, str]] = set()
        self.timeline: list[TimelineEntry] = []
        self.last: PollResult | None = None

    @property
    def profile(self) -> ClusterProfile:
        """The profile in force."""
        return self._profile() if callable(self._profile) else self._profile

    @profile.setter
    def profile(self, value: ProfileSource) -> None:
        self._profile = value

    @property
    def client(self) -> WebappClient:
        """The API client (:func:`client_for`), built again (the old one closed) when the webapp settings change."""
        if self._own_client:
            key = _client_key(self.profile)
            if self._client is None or key != self._client_key:
                if self._client is not None:
                    asyncio.ensure_future(self._client.aclose())
                self._client, self._client_key = client_for(self.profile), key
        assert self._client is not None
        return self._client

    @property
    def token(self) -> str:
        """The API session token in use ("" before the first login): a secret to mask."""
        return self._client.token if self._client is not None else ""

    async def aclose(self) -> None:
        """Close the API client."""
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
        """Poll and judge once: the answer is parsed once (``domain.health.parse_health``), judged against
        :func:`plan_for`, its findings and timeline entries derived. ``registered`` None: as the cluster says
        (``registered_by_cluster``), the last known answer while no node says. Public for one-shot readers
        (``wabiz-tui health``, an exporter scraping one result per cluster). Never raises for API problems:
        they come back in ``PollResult.error`` (an answer that is no health answer too)."""
        start = self._clock()
        try:
            nodes = parse_health(await self.client.health())
            if registered is None:
                said = registered_by_cluster(nodes)  # None while every node is starting: the last known answer holds
                registered = self._registered if said is None else said
            self._registered = registered
            shards = await self._shards(registered)
            verdict = judge(nodes, plan_for(self.profile, shards, registered, self.in_grace))
            error = None
        except ApiError as exc:
            verdict, error = None, exc
        except HealthFormatError as exc:
            verdict, error = None, ApiError(f"health answer not understood: {exc}")
        latency = self._clock() - start
        entries, worsened = self._derive(verdict, error)
        new, current = self._findings(verdict, error)
        self.last = PollResult(self._wall(), latency, verdict, error, tuple(entries), worsened, new, current)
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

    def _findings(self, verdict: ClusterVerdict | None,
                  error: ApiError | None) -> tuple[tuple[Diagnosis, ...], tuple[Diagnosis, ...]]:
        found: list[Diagnosis | None] = []
        if verdict is not None:
            found.extend(diagnose_verdict(verdict))
        elif error is not None:
            found.append(diagnose_api_error(error.status, error.code, error.details, error.title)
                         or diagnose_transport(error.kind, str(error)))
        current = [d for d in found if d is not None]
        keys = {(d.key, d.host) for d in current}
        new = tuple(d for d in current if (d.key, d.host) not in self._active)
        self._active = keys
        return new, tuple(current)

    def _derive(self, verdict: ClusterVerdict | None, error: ApiError | None) -> tuple[list[TimelineEntry], bool]:
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
        worsened = t.level_rank >= 0 and rank > t.level_rank
        t.level_rank = rank
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
