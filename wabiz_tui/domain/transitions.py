"""What the monitor says while the cluster is in a transition it should not call a failure.

Three situations change the words of a verdict (:mod:`.health`) and whether it may alert:

* a **planned operation** (install, upgrade, failover drill, uninstall...) runs: the words say what is
  happening ("upgrading: 2 of 5 nodes restarted"), alerts are paused and said to be;
* a **failover**: a Coreapp that served a shard is lost. With a standby Coreapp available the shard is
  expected to move within the grace period ("failing over: standby wa-core-3 should take shard 0, 4 s of
  30 s grace"); without one it cannot happen and is failing at once; past the grace it is failing;
* the cluster was **uninstalled** by wabiz-tui: the monitor stops alerting ("not installed (uninstalled
  at 08:01)").

Everything here is pure: times come in as arguments (``now``: a monotonic clock, seconds; ``wall``: epoch
seconds), so every transition is tested without sleeping. The failover facts are wa-onprem-api.md §3.3
("killing an owning coreapp with a spare available ⇒ transient connecting/1018 then the spare becomes
connected; without a spare ⇒ one shard has no connected owner") and design.md §4 (grace after a failover).
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from .health import ClusterVerdict, Level, NodeState, Plan

#: Lock-holder commands that change the cluster's containers (``cli/main.py``'s locking commands, and
#: ``node-action``: a node restarted or stopped from a TUI window's monitor): while one runs, the monitor's alerts
#: pause. ``preflight`` and ``logs`` also take the lock but change nothing.
PLANNED_COMMANDS = ("install", "upgrade", "dbupgrade", "uninstall", "multiconnect", "drill", "node-action")
#: The words for each planned command ("upgrade running since 00:42").
_DOING = {"install": "install", "upgrade": "upgrade", "dbupgrade": "DB upgrade", "uninstall": "uninstall",
          "multiconnect": "Multiconnect change", "drill": "failover drill", "node-action": "node action"}


@dataclass(frozen=True)
class PlannedOperation:
    """A planned operation running on the cluster now.

    ``command`` is one of :data:`PLANNED_COMMANDS`; ``since`` the epoch seconds it began (None: not known);
    ``by`` who runs it, for the words ("pid 4242", "this window"; "" not said); ``doing`` what runs in words when
    the command's own words would be wrong ("restart of wacore on wa-core-1" for a node restarted from the monitor,
    which is no failover drill; "": the command's words).
    """

    command: str
    since: float | None = None
    by: str = ""
    doing: str = ""

    @property
    def name(self) -> str:
        """The operation in words: ``upgrade``, ``failover drill``, ``DB upgrade``, or :attr:`doing`..."""
        return self.doing or _DOING.get(self.command, self.command)


def lock_command(holder: Mapping[str, object]) -> tuple[str, str]:
    """``(command, since text)`` a cluster-lock holder runs now (``("", "")``: nobody, or a TUI window that runs
    nothing). The TUI's lock (command ``wizard (…)``) is kept for the app's whole life: what it runs now is its
    ``operation`` field from ``operation_since`` (``config.lock.ClusterLock.note_operation``)."""
    command = str(holder.get("command", "") or "")
    if command.startswith("wizard"):
        return str(holder.get("operation", "") or ""), str(holder.get("operation_since", "") or "")
    return command, str(holder.get("since", "") or "")


def operation_from_lock(holder: Mapping[str, object]) -> PlannedOperation | None:
    """The planned operation a cluster-lock holder describes (``config.lock.ClusterLock.holder()``:
    ``{"command": "upgrade", "pid": 4242, "since": "2026-12-05 00:42:00 UTC"}``), or None when nobody holds
    the lock or the holder changes no container (``preflight``, ``logs``).

    A TUI window counts only while it runs an operation (:func:`lock_command`); its ``operation_doing`` (e.g.
    ``restart of wacore on wa-core-1`` for ``node-action``) gives the words."""
    command, text = lock_command(holder)
    if command not in PLANNED_COMMANDS:
        return None
    since: float | None = None
    try:
        since = float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S UTC")))
    except ValueError:
        since = None
    pid = holder.get("pid")
    doing = str(holder.get("operation_doing", "") or "") if str(holder.get("command", "")).startswith("wizard") else ""
    return PlannedOperation(command, since, f"pid {pid}" if pid else "", doing)


def clock_text(wall: float | None) -> str:
    """``HH:MM`` (local time) of epoch seconds ``wall``; ``?`` when unknown."""
    return "?" if wall is None else time.strftime("%H:%M", time.localtime(wall))


def paused_words(op: PlannedOperation) -> str:
    """``alerts paused: upgrade running since 00:42`` (the line every face shows while alerts are paused)."""
    since = f" since {clock_text(op.since)}" if op.since is not None else ""
    by = f" ({op.by})" if op.by else ""
    return f"alerts paused: {op.name} running{since}{by}"


def _slots(nodes: Sequence[NodeState]) -> dict[str, str]:
    """``{"<host>/<kind>": container id}`` of the nodes that name their role (the container behind each planned slot)."""
    return {f"{n.host}/{n.kind}": n.container_id for n in nodes if n.kind}


class OperationWatch:
    """Counts the nodes restarted since a planned operation began: a node counts once the slot (host and
    role) shows a container id other than the one it had at the operation's first poll, or comes back after
    being absent (an upgrade recreates each container: ``docker-compose up -d`` with a new image gives it a
    new id; the node key of ``/v1/health`` is ``hostname:container-id``, wa-onprem-api.md §3.3)."""

    def __init__(self) -> None:
        self.op: PlannedOperation | None = None
        self._baseline: dict[str, str] = {}
        self._absent: set[str] = set()
        self._restarted: set[str] = set()

    def observe(self, op: PlannedOperation | None, nodes: Sequence[NodeState] | None, planned_slots: int) -> str:
        """Take one poll into account (``nodes`` None: no health answer) and return the words for it:
        ``upgrading: 2 of 5 nodes restarted`` (upgrade), ``planned: uninstall running`` (others); "" when no
        operation runs. ``planned_slots`` is the number of Masters and Coreapps in the plan."""
        if op is None:
            self.op, self._baseline, self._absent, self._restarted = None, {}, set(), set()
            return ""
        if self.op is None or (self.op.command, self.op.since) != (op.command, op.since):
            self.op, self._restarted, self._absent = op, set(), set()
            self._baseline = _slots(nodes) if nodes is not None else {}
        if nodes is not None:
            now = _slots(nodes)
            for slot, cid in now.items():
                before = self._baseline.setdefault(slot, cid)
                if cid != before or slot in self._absent:
                    self._restarted.add(slot)
            self._absent |= set(self._baseline) - set(now)
        if op.command == "upgrade":
            total = max(planned_slots, len(self._baseline))
            return f"upgrading: {len(self._restarted)} of {total} node{'s' if total != 1 else ''} restarted"
        return f"planned: {op.name} running"


@dataclass(frozen=True)
class Failover:
    """A failover seen by the monitor.

    ``lost``: hosts of the Coreapps that stopped serving; ``since``: clock seconds of the first poll that saw
    the loss; ``standbys``: planned Coreapps that can take the shard now (``disconnected``, or already
    ``connecting`` to it); ``shard``: the shard in words (``shard 0`` in HA, where the one connected Coreapp
    owns shard 0, wa-onprem-api.md §3.3; ``the shard of wa-core-1`` in Multiconnect, where ``/v1/health``
    does not say which shard a Coreapp owned).
    """

    lost: tuple[str, ...]
    since: float
    standbys: tuple[str, ...]
    shard: str

    def elapsed(self, now: float) -> float:
        """Seconds since the loss was first seen."""
        return max(0.0, now - self.since)


@dataclass(frozen=True)
class FailoverStatus:
    """What :meth:`FailoverWatch.observe` found at one poll.

    ``state``: ``none``; ``in_progress`` (a standby should take the shard, within the grace); ``impossible``
    (no standby: nothing can take it); ``overdue`` (longer than the grace); ``done`` (all shards served again
    after a failover: ``took_over`` names the new owners, ``took`` the seconds it took).
    """

    state: str = "none"
    failover: Failover | None = None
    grace: float = 0.0
    elapsed: float = 0.0
    took_over: tuple[str, ...] = ()
    took: float = 0.0

    @property
    def tolerated(self) -> bool:
        """True while the transitional states of the failover are expected (the judge's grace applies)."""
        return self.state == "in_progress"

    @staticmethod
    def _either(standbys: Sequence[str]) -> str:
        """``standby a or b or c``; beyond three ``one of the 42 standbys (a, b, c, …)`` (a 50-host cluster named
        all 42 in one timeline entry)."""
        if len(standbys) <= 3:
            return f"standby {' or '.join(standbys)}"
        return f"one of the {len(standbys)} standbys ({', '.join(standbys[:3])}, …)"

    @staticmethod
    def _each(standbys: Sequence[str]) -> str:
        """``a and b``; beyond three ``the standbys (a, b, c, … 42 in all)``."""
        if len(standbys) <= 3:
            return " and ".join(standbys)
        return f"the standbys ({', '.join(standbys[:3])}, … {len(standbys)} in all)"

    def words(self) -> str:
        """The failover in words, "" when there is none (see the module docstring for examples)."""
        f = self.failover
        if f is None:
            return ""
        lost = ", ".join(f.lost)
        if self.state == "in_progress":
            who = self._either(f.standbys)
            return (f"failing over: {who} should take {f.shard}, "
                    f"{self.elapsed:.0f} s of {self.grace:g} s grace")
        if self.state == "impossible":
            return f"failing: no standby — {f.shard} is unserved since {lost} stopped serving, no Coreapp can take it"
        if self.state == "overdue":
            who = " or ".join(f.standbys) if len(f.standbys) <= 3 else self._either(f.standbys)
            return (f"failing: failover longer than its {self.grace:g} s grace — {who} has not taken {f.shard} "
                    f"after {self.elapsed:.0f} s")
        if self.state == "done":
            return f"{', '.join(self.took_over) or 'a standby'} took over after {self.took:.0f} s"
        return ""

    def next_action(self) -> str:
        """What to do now ("" when the verdict's own next action stands)."""
        f = self.failover
        if f is None:
            return ""
        if self.state == "in_progress":
            return (f"wait up to {max(0.0, self.grace - self.elapsed):.0f} s more; then read the logs of "
                    f"{self._each(f.standbys)}")
        if self.state == "impossible":
            return (f"start the Coreapp on {', '.join(f.lost)} again (docker-compose up -d wacore there), "
                    "or start one on another planned host: it takes the shard")
        if self.state == "overdue":
            return (f"read the coreapp logs of {self._each(f.standbys)} (can it reach the DB?); "
                    f"start the Coreapp on {', '.join(f.lost)} again")
        return ""


def _coreapp_states(nodes: Sequence[NodeState], coreapps: Sequence[str]) -> dict[str, str]:
    """``{host: gateway status}`` of the planned Coreapps in the answer (``error`` for a node with errors)."""
    planned = set(coreapps)
    return {n.host: (n.gateway_status or "error") for n in nodes if n.kind == "coreapp" and n.host in planned}


class FailoverWatch:
    """Follows the Coreapps that serve shards from poll to poll, and sees a failover at the first poll
    that sees the loss (so that poll already reads "failing over", not "failing").

    ``grace``: seconds a failover may leave a shard unserved before it is failing.
    """

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self._serving: set[str] = set()
        self.current: Failover | None = None

    def observe(self, nodes: Sequence[NodeState], plan: Plan, now: float) -> FailoverStatus:
        """One poll's nodes (``health.parse_health``) against ``plan``; ``now``: clock seconds."""
        states = _coreapp_states(nodes, plan.coreapps)
        connected = {h for h, s in states.items() if s == "connected"}
        served_all = len(connected) >= plan.shards
        before, self._serving = self._serving, connected
        if not plan.registered:
            self.current = None
            return FailoverStatus()
        f = self.current
        if served_all:
            if f is None:
                return FailoverStatus()
            self.current = None
            new = tuple(sorted(connected - before)) or tuple(sorted(connected - set(f.lost)))
            return FailoverStatus("done", f, self.grace, f.elapsed(now), new, f.elapsed(now))
        standbys = tuple(h for h in plan.coreapps if states.get(h) in ("disconnected", "connecting")
                         and h not in connected)
        lost = tuple(sorted(before - connected))
        if f is None:
            if not lost:
                return FailoverStatus()  # unserved without a loss seen (e.g. from the first poll on): no failover
            shard = "shard 0" if plan.shards == 1 else f"the shard of {', '.join(lost)}"
            f = Failover(lost, now, standbys, shard)
        else:
            f = replace(f, standbys=standbys, lost=tuple(dict.fromkeys(f.lost + lost)))
        self.current = f
        elapsed = f.elapsed(now)
        if not standbys:
            state = "impossible"
        elif elapsed > self.grace:
            state = "overdue"
        else:
            state = "in_progress"
        return FailoverStatus(state, f, self.grace, elapsed)


def with_failover(verdict: ClusterVerdict, status: FailoverStatus, mode: str) -> ClusterVerdict:
    """``verdict`` with the failover's words as its headline (``mode``: ``HA``, ``Multiconnect (2 shards)``) and
    its level: waiting while in progress, failure when impossible or overdue; "took over after N s" is added to
    the verdict of the poll that sees the shards served again."""
    words = status.words()
    if not words:
        return verdict
    if status.state == "done":
        return replace(verdict, headline=f"{verdict.headline} — {words}")
    level = Level.WAITING if status.state == "in_progress" else Level.FAILURE
    if level.rank < verdict.level.rank and status.state == "in_progress":
        level = verdict.level  # something else is worse than the failover: keep it
    return replace(verdict, level=level, headline=f"{mode} {words}", next_action=status.next_action() or verdict.next_action)


def with_operation(verdict: ClusterVerdict, words: str, paused: str) -> ClusterVerdict:
    """``verdict`` during a planned operation: the headline says what happens (``words``) and that alerts are
    paused; the level is kept (the faces show it, nothing alerts on it)."""
    return replace(verdict, headline=f"{words} — {verdict.headline}", next_action=f"{paused}; {verdict.next_action}")


def not_installed_words(uninstalled_at: float | None) -> str:
    """``not installed (uninstalled at 08:01)``; ``not installed`` when the time is not known."""
    return "not installed" + (f" (uninstalled at {clock_text(uninstalled_at)})" if uninstalled_at is not None else "")


def age_words(seconds: float) -> str:
    """``answer 3 s old`` (whole seconds; under a second reads ``answer 0 s old``)."""
    return f"answer {max(0.0, seconds):.0f} s old"
