"""Many clusters at once, through the one health path (``monitor.HealthMonitor`` via ``observe.poll_health``).

:func:`load_fleet` reads the saved profiles (or the ones given), keeping a refused one as a member with its
``problem`` rather than failing the others; :func:`poll_fleet` polls every cluster once, in parallel, each
bounded by its own ``timeout`` (``wabiz-tui health --all``); :class:`FleetWatch` polls each cluster on its own
schedule until stopped (the TUI's fleet view). A dead or silent cluster never delays another beyond its own
timeout: every cluster has its own task and its own API client.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Sequence

from ..config.paths import saved_profile_names
from ..config.profile import ProfileError, load_profile, profile_path, resolve_profile
from ..config.paths import app_paths
from ..config.runstate import read_run_state
from ..domain.model import ClusterProfile
from ..domain.validation import validate_profile
from .monitor import DEFAULT_GRACE, DEFAULT_INTERVAL, HealthMonitor, planned_state_reader
from .observe import Observation, poll_health, verdict_word

#: Seconds one cluster's poll may take before it counts as ``timeout`` (the exporter's default too).
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class FleetMember:
    """One cluster of the fleet: ``label`` is the saved name or the argument given, ``path`` the profile file.

    ``profile`` is None when the file could not be read or its values are invalid; ``problem`` then says why
    (naming the file or the fields, never a secret): such a member is reported, never polled. ``note`` says
    why a polled member is special (the cluster on screen whose profile is not among the saved ones).
    """

    label: str
    path: Path | None
    profile: ClusterProfile | None
    problem: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        """The cluster's name (the profile's ``name:``), or the label when the profile could not be read."""
        return self.profile.name if self.profile is not None else self.label


def load_fleet(names: Sequence[str], profiles_dir: Path) -> list[FleetMember]:
    """A member per name (a profile file or a saved profile's name), in the order given; an empty ``names``
    means every saved profile of ``profiles_dir``. Never raises for a bad profile: the member carries the problem."""
    members = []
    for arg in names or saved_profile_names(profiles_dir):
        path = None
        try:
            path = resolve_profile(arg, profiles_dir) if names else profile_path(profiles_dir, arg)
            profile = load_profile(path)
        except ProfileError as exc:
            members.append(FleetMember(arg, path, None, str(exc)))
            continue
        errors = validate_profile(profile)
        if errors:
            members.append(FleetMember(arg, path, None, f"{arg}: invalid values: " + "; ".join(map(str, errors))))
        else:
            members.append(FleetMember(arg, path, profile))
    return members


def monitor_for(profile: ClusterProfile, *, interval: float = DEFAULT_INTERVAL,
                grace: float = DEFAULT_GRACE) -> HealthMonitor:
    """A monitor of ``profile`` whose grace counts from the containers' start of the last install or upgrade
    (the run state's ``started_at``), and which reads the planned operations, the uninstall and an upgrade left
    midway from the state directory, as ``wabiz-tui health`` does."""
    monitor = HealthMonitor(profile, interval=interval, grace=grace,
                            planned=planned_state_reader(profile, app_paths().locks, journals=app_paths().journals))
    started = (read_run_state(profile) or {}).get("started_at")
    if isinstance(started, (int, float)):
        monitor.note_start(at=float(started))
    return monitor


async def _close(monitors: Sequence[HealthMonitor]) -> None:
    # a client whose request was cut by the timeout closes at once; bounded anyway so an exit never hangs
    await asyncio.wait_for(asyncio.gather(*(m.aclose() for m in monitors), return_exceptions=True), 5)


async def poll_fleet(members: Sequence[FleetMember], *, timeout: float = DEFAULT_TIMEOUT,
                     monitors: Sequence[HealthMonitor | None] | None = None) -> list[Observation | None]:
    """Poll every member once, all at the same time, each for at most ``timeout`` seconds; the observations in
    the members' order (None for a member without a profile). The whole call takes about the slowest poll,
    never more than ``timeout`` plus the clients' closing. ``monitors``: one per member (tests), default
    :func:`monitor_for` each profile."""
    if monitors is None:
        monitors = [monitor_for(m.profile) if m.profile is not None else None for m in members]

    async def one(monitor: HealthMonitor | None) -> Observation | None:
        """One cluster's health observation within ``timeout`` seconds, None for a member without a profile."""
        return None if monitor is None else await poll_health(monitor, timeout)

    try:
        return list(await asyncio.gather(*(one(m) for m in monitors)))
    finally:
        await _close([m for m in monitors if m is not None])


async def repeat(action: Callable[[], Awaitable[object]], interval: Callable[[], float], stop: asyncio.Event,
                 wake: asyncio.Event | None = None) -> None:
    """Run ``action`` until ``stop`` is set, each run starting ``interval()`` seconds after the previous one began
    (at once when it took longer): runs never overlap. ``wake`` set ends a wait early (cleared before each run)."""
    while not stop.is_set():
        if wake is not None:
            wake.clear()
        began = time.monotonic()
        await action()
        waiters = [asyncio.ensure_future(stop.wait())] + ([asyncio.ensure_future(wake.wait())] if wake else [])
        try:
            await asyncio.wait(waiters, timeout=max(0.0, interval() - (time.monotonic() - began)),
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()


class FleetWatch:
    """Polls every member on its own schedule (``interval`` seconds between the starts of two polls of one
    cluster, each poll at most ``timeout`` seconds) and hands each observation to ``on_result(index, obs)``; a
    poll that raises (a bug) is observed as error kind ``internal`` and the watch goes on.

    ``latest[i]`` is member ``i``'s last observation (None before its first answer, and for a member without
    a profile). ``monitors`` (tests): one per member, default :func:`monitor_for` each profile with ``grace``.
    """

    def __init__(self, members: Sequence[FleetMember], *, interval: float = DEFAULT_INTERVAL,
                 timeout: float = DEFAULT_TIMEOUT, grace: float = DEFAULT_GRACE,
                 monitors: Sequence[HealthMonitor | None] | None = None):
        self.members = list(members)
        self.interval, self.timeout = interval, timeout
        self.monitors = list(monitors) if monitors is not None else [
            monitor_for(m.profile, interval=interval, grace=grace) if m.profile is not None else None
            for m in self.members]
        self.latest: list[Observation | None] = [None] * len(self.members)
        self._wakes = [asyncio.Event() for _ in self.members]

    def poll_now(self) -> None:
        """Every cluster polls again as soon as its poll in progress (if any) ends."""
        for wake in self._wakes:
            wake.set()

    async def run(self, on_result: Callable[[int, Observation], None], stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set, then close the API clients."""
        async def watch(i: int, monitor: HealthMonitor) -> None:
            """Poll cluster ``i`` every :attr:`interval` seconds until ``stop`` (woken early by its wake event)."""
            async def poll() -> None:
                """One poll of cluster ``i``: stored in ``latest[i]`` and passed to ``on_result``; an unexpected
                exception becomes an ``internal`` Observation, so one cluster never stops the others."""
                try:
                    obs = await poll_health(monitor, self.timeout)
                except Exception as exc:  # noqa: BLE001 - one cluster's bug must not stop watching the others
                    obs = Observation(time.time(), 0.0, None, "internal",
                                      message=f"the health poll failed unexpectedly: {type(exc).__name__}: {exc}")
                self.latest[i] = obs
                on_result(i, obs)
            await repeat(poll, lambda: self.interval, stop, self._wakes[i])

        try:
            await asyncio.gather(*(watch(i, m) for i, m in enumerate(self.monitors) if m is not None))
        finally:
            await _close([m for m in self.monitors if m is not None])


@dataclass(frozen=True)
class FleetRow:
    """One cluster as a line of words, the same for ``health --all`` and the fleet view: ``verdict`` healthy /
    degraded / failing / unknown (``observe.verdict_word``; ``waiting`` before the first answer), ``shards``
    served/expected, ``standby`` Coreapps, ``tolerated`` Coreapp failures survivable now/planned, ``version``
    the profile's ``WA_API_VERSION``; ``-`` where there is no answer to read it from."""

    cluster: str
    verdict: str
    shards: str
    standby: str
    tolerated: str
    version: str


def never_installed(member: FleetMember, obs: Observation) -> bool:
    """The profile was never installed and its Webapp gave no answer: "not installed", not an outage (as
    ``health PROFILE`` says for one cluster)."""
    return (member.profile is not None and not member.profile.installed and obs.verdict is None
            and obs.error_kind in ("unreachable", "timeout"))


def fleet_row(member: FleetMember, obs: Observation | None) -> FleetRow:
    """The words of one member's last observation (``obs`` None: no answer yet, or a profile refused)."""
    version = member.profile.wa_api_version if member.profile is not None else "-"
    if member.profile is None:
        return FleetRow(member.name, "unknown", "-", "-", "-", version)
    if obs is None:
        return FleetRow(member.name, "waiting", "-", "-", "-", version)
    v = obs.verdict
    if v is None and never_installed(member, obs):
        return FleetRow(member.name, "unknown", "-", "-", "-", version)
    if v is None:
        return FleetRow(member.name, verdict_word(obs), "-", "-", "-", version)
    return FleetRow(member.name, verdict_word(obs), f"{v.shards_served}/{v.shards_expected}", str(v.standby),
                    f"{v.failures_tolerated}/{v.failures_planned}", version)


def answer_text(member: FleetMember, obs: Observation | None, now: float | None = None, *, full: bool = True) -> str:
    """The answer column: ``in 85 ms`` (``now`` None: just polled) or ``4 s ago``; for a failed poll its error
    kind and message (``unreachable: ...``); for a refused profile its problem. ``full`` False: the error kind
    alone (``unreachable``, ``profile refused``), for a column that must stay narrow."""
    if member.profile is None:
        return member.problem if full else "profile refused"
    if obs is None:
        return "no answer yet"
    if obs.not_installed:
        return "uninstalled by wabiz-tui: not polled"
    if obs.verdict is None and never_installed(member, obs):
        target = member.path or member.name
        return f"not installed: run wabiz-tui install {target} first" if full else "not installed"
    if obs.verdict is None:
        return f"{obs.error_kind}: {obs.message}" if obs.message and full else obs.error_kind
    if now is None:
        return f"in {obs.latency * 1000:.0f} ms"
    return f"{max(0.0, now - obs.answered_at):.0f} s ago"
