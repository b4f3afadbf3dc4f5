"""Metrics from the latest poll of each cluster: :class:`ClusterState` keeps what the polls showed,
:class:`ExporterCollector` turns it into metric families at each scrape (prometheus-client's custom
collector, so a scrape never waits for a poll and a cluster's series change together).

Labels are bounded: ``cluster`` (the profile name), ``host`` (``EXTERNAL_HOSTNAME``), ``expected_role``
(master, coreapp, unplanned), and fixed state sets; never a container id, a message or a secret.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, StateSetMetricFamily
from prometheus_client.registry import Collector

from ..domain.health import ClusterVerdict, Level, NodeVerdict
from ..workflows.observe import Observation, verdict_word

#: operations the monitor knows to have stopped midway (``workflows.monitor.IncompleteOperation``)
INCOMPLETE_OPERATIONS = ("upgrade", "uninstall")
VERDICTS = ("healthy", "degraded", "failing", "unknown", "not_installed")
#: the monitor's failover states (``domain.transitions.FailoverStatus``; ``done`` is served as ``none``)
FAILOVER_STATES = ("none", "in_progress", "impossible", "overdue")
#: the ``kind`` of ``api.client.ApiError``, plus ``format`` (not a health answer) and ``none`` (the poll answered)
ERROR_KINDS = ("none", "unreachable", "tls", "dns", "auth", "timeout", "http", "not_tls", "config", "format")
NODE_ROLES = ("primary_master", "secondary_master", "coreapp", "missing", "unknown")
#: gateway_status values of wa-onprem-api.md §3.3, plus ``error`` (the node answered with errors), ``missing``
GATEWAY_STATES = ("connected", "disconnected", "unregistered", "connecting", "uninitialized", "error", "missing", "other")
#: commands that take the cluster lock (cli/main.py); anything else a lock file says is reported as ``other``
LOCKING_COMMANDS = ("install", "preflight", "upgrade", "dbupgrade", "uninstall", "multiconnect", "wizard", "logs", "drill",
                    "node-action")


def expected_role(node: NodeVerdict) -> str:
    """``master``, ``coreapp`` or ``unplanned`` from the verdict row's expected role."""
    if node.expected_role == "coreapp":
        return "coreapp"
    return "master" if "master" in node.expected_role else "unplanned"


def actual_role(node: NodeVerdict) -> str:
    """One of :data:`NODE_ROLES`."""
    if node.actual_status == "missing":
        return "missing"
    return node.actual_role if node.actual_role in NODE_ROLES else "unknown"


def gateway_state(node: NodeVerdict) -> str:
    """One of :data:`GATEWAY_STATES` from the row's actual status (``error 1011 Service not ready`` → error)."""
    status = node.actual_status
    if status in GATEWAY_STATES:
        return status
    return "error" if status.startswith("error ") else "other"


@dataclass
class ClusterState:
    """What the polls of one cluster showed. ``interval``/``grace`` are seconds (the poller's and the
    monitor's). Written by the poller, read by scrapes from the HTTP server's threads (hence the lock)."""

    cluster: str
    interval: float
    grace: float
    started: float = field(default_factory=time.time)
    last: Observation | None = None
    last_success: float | None = None
    polls: int = 0
    errors: dict[str, int] = field(default_factory=lambda: {k: 0 for k in ERROR_KINDS if k != "none"})
    operation: str = ""
    #: epoch seconds since which shards are unserved (None: all served), and whether that began with a loss
    unserved_since: float | None = None
    after_loss: bool = False
    #: how ``wabiz-tui upgrade`` names this cluster's profile from the exporter's machine and user, shell-quoted (the
    #: saved name, else the file's absolute path: ``config.profile.command_ref``); "" serves the cluster's name
    profile_ref: str = ""
    _all_served_before: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, obs: Observation) -> None:
        """Take one poll into account."""
        with self._lock:
            self.polls += 1
            self.last = obs
            if obs.not_installed:
                self.unserved_since, self.after_loss, self._all_served_before = None, False, False
                return
            if obs.verdict is None:
                kind = obs.error_kind if obs.error_kind in self.errors else "http"
                self.errors[kind] += 1
                return
            self.last_success = obs.answered_at
            self._track_failover(obs.verdict, obs.answered_at)

    def _track_failover(self, v: ClusterVerdict, at: float) -> None:
        # A failover is an unserved stretch that began right after a poll with every shard served (a serving
        # Coreapp was lost); unserved from the first poll on, or before registration, is no failover.
        unserved = v.registered and v.shards_served < v.shards_expected
        if unserved and self.unserved_since is None:
            self.unserved_since, self.after_loss = at, self._all_served_before
        elif not unserved:
            self.unserved_since, self.after_loss = None, False
        self._all_served_before = v.registered and not unserved

    def set_operation(self, command: str) -> None:
        """The command holding the cluster's lock now ("" when none)."""
        with self._lock:
            self.operation = command if command in LOCKING_COMMANDS or not command else "other"

    def snapshot(self) -> "ClusterState":
        """A consistent copy for one scrape."""
        with self._lock:
            return ClusterState(self.cluster, self.interval, self.grace, self.started, self.last, self.last_success,
                                self.polls, dict(self.errors), self.operation, self.unserved_since, self.after_loss,
                                self.profile_ref)


class _Families:
    """The metric families of one scrape, filled cluster by cluster."""

    def __init__(self) -> None:
        self.items: list = []

    def gauge(self, name: str, doc: str, labels: Iterable[str] = ("cluster",)) -> GaugeMetricFamily:
        """A new ``GaugeMetricFamily`` ``name`` with help text ``doc`` and label names ``labels`` (default ``cluster``),
        added to this scrape's families; returns it to fill."""
        fam = GaugeMetricFamily(name, doc, labels=list(labels))
        self.items.append(fam)
        return fam


class ExporterCollector(Collector):
    """Collects the metrics of every :class:`ClusterState` (see the README's metric list).
    ``wall`` (epoch seconds) is injectable for tests."""

    def __init__(self, states: Iterable[ClusterState], wall: Callable[[], float] = time.time):
        self.states = list(states)
        self.wall = wall

    def describe(self) -> list:
        """No metric descriptions (``[]``): the registry then does not call :meth:`collect` at registration, before any
        poll has run (prometheus_client's ``Collector`` contract)."""
        # no description: the registry must not call collect() at registration (no poll has run yet)
        return []

    def collect(self) -> Iterator:
        now = self.wall()
        snaps = [s.snapshot() for s in self.states]
        f = _Families()
        verdict = StateSetMetricFamily("wabiz_cluster_verdict", "Cluster verdict of the last poll (health's reading).",
                                       labels=["cluster"])
        f.items.append(verdict)
        last_error = StateSetMetricFamily("wabiz_last_poll_error", "Why the last poll gave no verdict (none: it answered).",
                                          labels=["cluster"])
        f.items.append(last_error)
        errors = CounterMetricFamily("wabiz_poll_errors", "Polls that gave no verdict, by error kind.", labels=["cluster", "kind"])
        polls = CounterMetricFamily("wabiz_polls", "Polls made.", labels=["cluster"])
        f.items += [errors, polls]
        g = {name: f.gauge(name, doc) for name, doc in (
            ("wabiz_poll_interval_seconds", "Seconds between the starts of two polls of this cluster."),
            ("wabiz_failover_grace_seconds", "Seconds a failover or start may leave shards unserved before it is a failure."),
            ("wabiz_health_answer_latency_seconds", "Duration of the last poll (GET /v1/health and the shard count)."),
            ("wabiz_health_answer_age_seconds", "Seconds since the last poll with a verdict (since the exporter started if none)."),
            ("wabiz_last_successful_poll_timestamp_seconds", "Epoch time of the last poll with a verdict."),
            ("wabiz_planned_operation_running", "1 while a wabiz-tui command holds the cluster's lock (install, upgrade...)."),
            ("wabiz_cluster_installed", "0 once wabiz-tui uninstalled the cluster (it is not polled then), else 1."),
        )}
        incomplete = f.gauge("wabiz_operation_incomplete", "1 while an operation stopped midway (its journal left: the "
                             "nodes may run two versions; health reads degraded), by operation; profile: the profile as a command takes it "
                             "(the saved name, else the file's path), for the alert's command.", ("cluster", "operation", "profile"))
        profile_info = f.gauge("wabiz_profile_info", "Always 1: how a wabiz-tui command names this cluster's profile from "
                               "the exporter's machine (the saved name, else the file's path, shell-quoted); the "
                               "alerts' commands read it.", ("cluster", "profile"))
        failover_state = StateSetMetricFamily(
            "wabiz_failover_state", "The monitor's failover reading: in_progress (a standby should take the shard within "
            "the grace), impossible (no standby), overdue (longer than the grace), none.", labels=["cluster"])
        f.items.append(failover_state)
        operation = f.gauge("wabiz_planned_operation_info", "The command holding the cluster's lock.", ("cluster", "command"))
        v = {name: f.gauge(name, doc) for name, doc in (
            ("wabiz_cluster_registered", "1 when the number is registered (as the cluster says)."),
            ("wabiz_shards_expected", "Shards in force (1 in HA)."),
            ("wabiz_shards_served", "Shards with a connected Coreapp."),
            ("wabiz_shards_unserved", "Shards without a connected Coreapp (0 before registration)."),
            ("wabiz_standby_coreapps", "Coreapps disconnected and ready to take over a shard."),
            ("wabiz_failures_tolerated", "Coreapp failures the cluster survives now."),
            ("wabiz_failures_tolerated_planned", "Coreapp failures the plan tolerates (planned Coreapps minus shards)."),
            ("wabiz_primary_masters", "Nodes reporting role primary_master (exactly 1 is right)."),
            ("wabiz_primary_master_present", "1 when exactly one primary master is reported."),
            ("wabiz_nodes_unplanned", "Nodes in the health answer that the profile does not plan."),
            ("wabiz_failover_in_progress", "1 while shards are unserved after a serving Coreapp was lost."),
            ("wabiz_failover_started_timestamp_seconds", "Epoch time the current failover began (absent when none)."),
        )}
        node_labels = ("cluster", "host", "expected_role")
        present = f.gauge("wabiz_node_present", "1 when the planned node is in the health answer.", node_labels)
        as_expected = f.gauge("wabiz_node_as_expected", "1 when the node's role and gateway_status are as planned.", node_labels)
        role = f.gauge("wabiz_node_role", "The node's actual role (1 for the one it reports).", (*node_labels, "role"))
        status = f.gauge("wabiz_node_gateway_status", "The node's actual gateway_status (1 for the one it reports).",
                         (*node_labels, "status"))
        finding = f.gauge("wabiz_finding", "Diagnoses that hold now (count of hosts), by catalogue key and severity.",
                          ("cluster", "key", "severity"))

        for s in snaps:
            c = [s.cluster]
            obs = s.last
            word = verdict_word(obs)
            verdict.add_metric(c, {w: w == word for w in VERDICTS})
            kind = "none" if obs is None or obs.verdict is not None or obs.not_installed else (obs.error_kind or "http")
            last_error.add_metric(c, {k: k == kind for k in ERROR_KINDS})
            for k, count in s.errors.items():
                errors.add_metric([s.cluster, k], count)
            polls.add_metric(c, s.polls)
            g["wabiz_poll_interval_seconds"].add_metric(c, s.interval)
            g["wabiz_failover_grace_seconds"].add_metric(c, s.grace)
            if obs is not None:
                g["wabiz_health_answer_latency_seconds"].add_metric(c, obs.latency)
            g["wabiz_health_answer_age_seconds"].add_metric(c, max(0.0, now - (s.last_success or s.started)))
            if s.last_success is not None:
                g["wabiz_last_successful_poll_timestamp_seconds"].add_metric(c, s.last_success)
            g["wabiz_planned_operation_running"].add_metric(c, 1 if s.operation else 0)
            g["wabiz_cluster_installed"].add_metric(c, 0 if obs is not None and obs.not_installed else 1)
            if s.operation:
                operation.add_metric([s.cluster, s.operation], 1)
            profile_info.add_metric([s.cluster, s.profile_ref or s.cluster], 1)
            for name in INCOMPLETE_OPERATIONS:
                incomplete.add_metric([s.cluster, name, s.profile_ref or s.cluster], 1 if obs is not None and obs.incomplete == name else 0)
            if obs is None:
                continue
            counts: dict[tuple[str, str], int] = {}
            for d in obs.findings:
                counts[(d.key, d.severity)] = counts.get((d.key, d.severity), 0) + 1
            for (fkey, severity), count in sorted(counts.items()):
                finding.add_metric([s.cluster, fkey, severity], count)
            if obs.verdict is None:
                continue  # no verdict now: its series disappear rather than repeat an old answer
            reading = obs.failover if obs.failover in FAILOVER_STATES else "none"
            failover_state.add_metric(c, {k: k == reading for k in FAILOVER_STATES})
            vd = obs.verdict
            primaries = sum(1 for n in vd.nodes if n.actual_role == "primary_master")
            since = s.unserved_since
            # no standby: nothing is failing over (WabizFailoverImpossible says so at once)
            failover = since is not None and s.after_loss and obs.failover != "impossible"
            for name, value in (("wabiz_cluster_registered", vd.registered), ("wabiz_shards_expected", vd.shards_expected),
                                ("wabiz_shards_served", vd.shards_served),
                                ("wabiz_shards_unserved", max(0, vd.shards_expected - vd.shards_served) if vd.registered else 0),
                                ("wabiz_standby_coreapps", vd.standby), ("wabiz_failures_tolerated", vd.failures_tolerated),
                                ("wabiz_failures_tolerated_planned", vd.failures_planned),
                                ("wabiz_primary_masters", primaries), ("wabiz_primary_master_present", primaries == 1),
                                ("wabiz_nodes_unplanned", sum(1 for n in vd.nodes if expected_role(n) == "unplanned")),
                                ("wabiz_failover_in_progress", failover)):
                v[name].add_metric(c, float(value))
            if since is not None and failover:
                v["wabiz_failover_started_timestamp_seconds"].add_metric(c, since)
            seen: set[tuple[str, str]] = set()
            for node in vd.nodes:
                key = (node.host, expected_role(node))
                if key in seen:  # a second unplanned container on one host: counted by wabiz_nodes_unplanned
                    continue
                seen.add(key)
                labels = [s.cluster, *key]
                present.add_metric(labels, 0 if node.actual_status == "missing" else 1)
                as_expected.add_metric(labels, 1 if node.level in (Level.OK, Level.STANDBY) else 0)
                r, st = actual_role(node), gateway_state(node)
                for name in NODE_ROLES:
                    role.add_metric([*labels, name], 1 if name == r else 0)
                for name in GATEWAY_STATES:
                    status.add_metric([*labels, name], 1 if name == st else 0)
        yield from f.items
