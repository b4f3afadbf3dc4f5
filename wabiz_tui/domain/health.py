"""Judge a ``GET /v1/health`` answer against the plan: expected versus actual, per node and cluster.

Rules (design.md §4; wa-onprem-api.md §3.3 and §4; the seed's four samples in ``cases/health/``):

* before registration the primary master says ``unregistered``; other nodes ``unregistered``,
  ``disconnected`` or error 1011 "Service not ready" while starting — none of it is a failure;
* HA (1 shard), registered: exactly 1 coreapp ``connected``, the other coreapps ``disconnected``
  (standby), masters ``disconnected``;
* Multiconnect (S shards): exactly S coreapps ``connected``, spares ``disconnected``; the primary
  master may be ``connected`` (Meta's docs) or ``disconnected`` (the seed): both are fine;
* always exactly one ``primary_master`` and every planned node present; ``connecting``,
  ``uninitialized`` and 1011 are tolerated during a grace period, then flagged.

A node key is ``<hostname>:<container-id>`` where hostname is the host's ``EXTERNAL_HOSTNAME``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping, Sequence

TRANSITIONAL = ("connecting", "uninitialized")
SERVICE_NOT_READY = 1011


class Level(str, Enum):
    """Verdict levels, from best to worst."""

    OK = "ok"
    STANDBY = "standby"
    WAITING = "waiting"
    WARNING = "warning"
    FAILURE = "failure"

    @property
    def rank(self) -> int:
        """0 (ok) to 4 (failure); standby ranks with ok for the cluster."""
        return {"ok": 0, "standby": 0, "waiting": 1, "warning": 2, "failure": 3}[self.value]


def worst(levels: list[Level]) -> Level:
    """The worst level of ``levels`` (OK for an empty list; standby counts as ok)."""
    result = Level.OK
    for lv in levels:
        if lv.rank > result.rank:
            result = lv
    return result


@dataclass(frozen=True)
class NodeState:
    """One entry of the health answer. ``role``/``gateway_status`` are None when the node reports errors."""

    key: str
    host: str
    container_id: str
    role: str | None
    gateway_status: str | None
    errors: tuple[tuple[int, str, str], ...] = ()

    @property
    def kind(self) -> str | None:
        """``master`` or ``coreapp`` from the role; None when the node gave no role."""
        if self.role in ("primary_master", "secondary_master"):
            return "master"
        return "coreapp" if self.role == "coreapp" else None

    @property
    def status_text(self) -> str:
        """The gateway status, or the first error as ``error 1011 Service not ready``."""
        if self.gateway_status:
            return self.gateway_status
        if self.errors:
            code, title, _ = self.errors[0]
            return f"error {code} {title}"
        return "no status"


class HealthFormatError(ValueError):
    """The body is not a ``/v1/health`` answer (no ``health`` object)."""


def parse_health(body: Mapping[str, Any]) -> list[NodeState]:
    """Parse a ``/v1/health`` JSON body into nodes, sorted by key.

    A single-instance answer (``{"health": {"gateway_status": …}}``) gives one node with key ``""``. Both shapes:
    reference/wa-onprem-api.md §3.3 (Meta's health page).
    Raises :class:`HealthFormatError` when ``health`` is missing or not an object.
    """
    health = body.get("health") if isinstance(body, Mapping) else None
    if not isinstance(health, Mapping):
        raise HealthFormatError("the answer has no 'health' object")
    if "gateway_status" in health and not isinstance(health.get("gateway_status"), Mapping):
        return [NodeState("", "", "", "single", str(health["gateway_status"]))]
    nodes = []
    for key, entry in health.items():
        host, _, cid = str(key).rpartition(":")
        if not host:
            host, cid = str(key), ""
        entry = entry if isinstance(entry, Mapping) else {}
        errs = tuple((int(e.get("code", 0) or 0), str(e.get("title", "")), str(e.get("details", "")))
                     for e in entry.get("errors", []) if isinstance(e, Mapping))
        nodes.append(NodeState(str(key), host, cid, entry.get("role"), entry.get("gateway_status"), errs))
    return sorted(nodes, key=lambda n: n.key)


def registered_by_cluster(nodes: Sequence[NodeState]) -> bool | None:
    """Whether the number is registered, as the cluster itself says: the primary master ``unregistered``
    → False; the primary master ``connected``/``disconnected``, or any coreapp ``connected`` → True; None
    while no node says (no primary master yet, nodes starting). Design.md §4: before registration the
    primary master says ``unregistered``; registered, it says ``disconnected`` (HA) or either (Multiconnect).
    ``nodes``: the answer as :func:`parse_health` gives it."""
    primaries = [n.gateway_status for n in nodes if n.role == "primary_master"]
    if "unregistered" in primaries:
        return False
    if any(s in ("connected", "disconnected") for s in primaries):
        return True
    if any(n.kind == "coreapp" and n.gateway_status == "connected" for n in nodes):
        return True
    return None


@dataclass(frozen=True)
class Plan:
    """What should run: host names per role, the shard count, whether the number is registered.

    ``in_grace`` is True during the grace period after a start, upgrade or failover, when
    transitional states are tolerated.
    """

    masters: tuple[str, ...]
    coreapps: tuple[str, ...]
    webapps: tuple[str, ...] = ()
    shards: int = 1
    registered: bool = False
    in_grace: bool = False


@dataclass(frozen=True)
class NodeVerdict:
    """One row of the health table: expected versus actual, a level and the reason in words."""

    host: str
    container_id: str
    expected_role: str
    actual_role: str
    expected_status: str
    actual_status: str
    level: Level
    reason: str
    #: the version its container runs (``v2.43.1``), or why it is not known (``version not read: ...``); "" when
    #: no read was made (``domain.versions.with_versions``)
    version: str = ""
    #: what to do about its version when that is the row's only problem (``domain.versions.version_action``'s
    #: text), else ""
    version_action: str = ""


@dataclass(frozen=True)
class ClusterVerdict:
    """The cluster's verdict: ``headline`` and ``next_action`` in words, ``problems`` one per line."""

    level: Level
    headline: str
    next_action: str
    nodes: tuple[NodeVerdict, ...]
    problems: tuple[str, ...] = ()
    shards_expected: int = 1
    shards_served: int = 0
    standby: int = 0
    primary_master: str = ""
    registered: bool = False
    planned_coreapps: int = 0
    #: (host, version text, reason: "" unless it differs, the version's next action: "" unless it differs) of each
    #: Webapp of the plan (``/v1/health`` lists none), from the last image read
    webapp_versions: tuple[tuple[str, str, str, str], ...] = ()
    #: when the versions were read (epoch seconds; 0: not read) and whether a node runs another than the profile's
    versions_read_at: float = 0.0
    versions_differ: bool = False

    @property
    def healthy(self) -> bool:
        """True when nothing is waiting, wrong or failing."""
        return self.level is Level.OK

    @property
    def connected_coreapps(self) -> tuple[str, ...]:
        """The hosts of the planned Coreapps that say ``connected`` (each serves a shard), in the rows' order."""
        return tuple(n.host for n in self.nodes if n.expected_role == "coreapp" and n.actual_status == "connected")

    @property
    def failures_planned(self) -> int:
        """How many coreapp failures the plan tolerates: planned coreapps minus shards (the shards + X rule)."""
        return max(0, self.planned_coreapps - self.shards_expected)

    @property
    def failures_tolerated(self) -> int:
        """How many coreapp failures the cluster survives now (the standby count when all shards are served)."""
        return self.standby if self.shards_served >= self.shards_expected else 0


def _match(nodes: list[NodeState], plan: Plan) -> tuple[list[tuple[NodeState, str]], list[NodeState], list[tuple[str, str]]]:
    """Pair nodes with planned (host, kind) slots: (matched with kind, not in plan, missing slots)."""
    slots = [(h, "master") for h in plan.masters] + [(h, "coreapp") for h in plan.coreapps]
    free = list(slots)
    matched: list[tuple[NodeState, str]] = []
    extra: list[NodeState] = []
    # nodes that name their role first, then role-less (error) nodes fill what is left on their host
    for node in sorted(nodes, key=lambda n: n.kind is None):
        kinds = [node.kind] if node.kind else ["master", "coreapp"]
        slot = next(((h, k) for h, k in free if h == node.host and k in kinds), None)
        if slot is None:
            extra.append(node)
        else:
            free.remove(slot)
            matched.append((node, slot[1]))
    return matched, extra, free


def _starting_reason(node: NodeState) -> str:
    if node.errors:
        code, title, _ = node.errors[0]
        return f"starting: {title} ({code})" if code == SERVICE_NOT_READY else f"error {code}: {title}"
    return f"{node.gateway_status}: initialising"


def judge(nodes: Sequence[NodeState], plan: Plan) -> ClusterVerdict:
    """Judge a health answer, parsed once by :func:`parse_health` (which raises :class:`HealthFormatError`)."""
    nodes = list(nodes)
    matched, extra, missing = _match(nodes, plan)
    rows: list[NodeVerdict] = []
    problems: list[str] = []
    connected = [n for n, k in matched if k == "coreapp" and n.gateway_status == "connected"]
    standby = [n for n, k in matched if k == "coreapp" and n.gateway_status == "disconnected"]
    primaries = [n for n in nodes if n.role == "primary_master"]
    transitional_level = Level.WAITING if plan.in_grace else Level.WARNING

    for node, kind in matched:
        rows.append(_node_row(node, kind, plan, transitional_level))
    for node in extra:
        rows.append(NodeVerdict(node.host, node.container_id, "not in the plan", node.role or "?",
                                "-", node.status_text, Level.WARNING,
                                f"host {node.host!r} does not run this role in the profile: add it to the plan or stop the container"))
        problems.append(f"node {node.key} is not in the plan")
    missing_rows = []
    for host, kind in missing:
        missing_rows.append(NodeVerdict(host, "-", kind, "missing", "present", "missing", Level.FAILURE,
                                        f"no {kind} node from {host}: container down or host unreachable — check 'docker-compose ps' on {host}"))
        problems.append(f"{kind} on {host} is missing from /v1/health")

    # cluster-level rules: a missing node is red on its row but only degrades the cluster by itself;
    # whether the cluster fails is decided by the shard and primary-master rules below.
    cluster_levels = [r.level for r in rows] + [Level.WARNING for _ in missing_rows]
    rows += missing_rows
    if len(primaries) == 0:
        lv = Level.WAITING if plan.in_grace else Level.FAILURE
        cluster_levels.append(lv)
        problems.append("no primary master: registration, config and failover need one — check the master containers and the DB")
    elif len(primaries) > 1:
        cluster_levels.append(Level.FAILURE)
        problems.append(f"{len(primaries)} primary masters ({', '.join(p.host for p in primaries)}): only one may hold the lease — check DB connectivity of the masters")

    if plan.registered:
        served = len(connected)
        if served < plan.shards:
            cluster_levels.append(Level.WAITING if plan.in_grace else Level.FAILURE)
            problems.append(f"{plan.shards - served} of {plan.shards} shard(s) unserved: no connected coreapp for them")
        elif served > plan.shards:
            cluster_levels.append(Level.FAILURE)
            problems.append(f"{served} coreapps connected for {plan.shards} shard(s): two owners for a shard (split brain)")
        if served >= plan.shards and not standby:
            cluster_levels.append(Level.WARNING)
            problems.append("no standby coreapp: one coreapp failure leaves a shard unserved")
    if not plan.registered and len(primaries) == 1:
        # Registration only needs the primary master: nodes still starting (1011) are expected (seed, HA step 7).
        cluster_levels = [Level.OK if lv is Level.WAITING else lv for lv in cluster_levels]
    level = worst(cluster_levels)
    served = len(connected)
    primary = primaries[0].host if len(primaries) == 1 else ""
    # the most important problem first: shards and primary masters, then missing and unplanned nodes
    problems.sort(key=lambda p: 0 if ("shard" in p or "primary master" in p or "split brain" in p) else 1)
    missing_coreapps = [r.host for r in missing_rows if r.expected_role == "coreapp"]
    headline, action = _headline(plan, level, served, len(standby), primary, problems)
    if missing_coreapps and plan.registered and served >= plan.shards:
        action = (f"start the Coreapp on {', '.join(missing_coreapps)} again (docker-compose up -d wacore there): "
                  "it comes back as a standby")
    return ClusterVerdict(level, headline, action, tuple(rows), tuple(problems), plan.shards, served,
                          len(standby), primary, plan.registered, len(plan.coreapps))


def _node_row(node: NodeState, kind: str, plan: Plan, transitional_level: Level) -> NodeVerdict:
    status = node.gateway_status
    starting = bool(node.errors and node.errors[0][0] == SERVICE_NOT_READY) or status in TRANSITIONAL
    if kind == "master":
        exp_role = "primary_master or secondary_master"
        if not plan.registered:
            exp_status = "unregistered (error 1011 while starting)"
        elif node.role == "primary_master" and plan.shards > 1:
            exp_status = "connected or disconnected"
        else:
            exp_status = "disconnected"
    else:
        exp_role = "coreapp"
        exp_status = ("unregistered (error 1011 while starting)" if not plan.registered
                      else "connected (shard owner) or disconnected (standby)")
    actual_role = node.role or "?"
    if node.errors and not starting:
        code, title, details = node.errors[0]
        return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, node.status_text,
                           Level.FAILURE, f"error {code} {title}: {details}".strip())
    if starting:
        if not plan.registered and node.errors:
            level = Level.WAITING
        else:
            level = transitional_level
        reason = _starting_reason(node)
        if level is Level.WARNING:
            reason += " — past the grace period: read this container's logs"
        return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, node.status_text, level, reason)
    if not plan.registered:
        if status in ("unregistered", "disconnected"):
            why = "as expected before registration" + (" (primary master)" if node.role == "primary_master" else "")
            return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, status, Level.OK, why)
        return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, str(status),
                           Level.WARNING, f"{status} before registration: is another number registered on this DB?")
    if status == "unregistered":
        return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, status, Level.FAILURE,
                           "unregistered although the number is registered: restart this container and read its logs")
    if kind == "master":
        if node.role == "primary_master" and plan.shards > 1 and status in ("connected", "disconnected"):
            return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, status, Level.OK,
                               "primary master (connected or disconnected are both fine in Multiconnect)")
        if status == "disconnected":
            return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, status, Level.OK,
                               "primary master" if node.role == "primary_master" else "secondary master, ready to take over")
        return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, str(status), Level.WARNING,
                           f"a master is {status} in {'HA' if plan.shards == 1 else 'Multiconnect'}: masters do not connect here")
    if status == "connected":
        return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, status, Level.OK,
                           "connected: serves a shard")
    if status == "disconnected":
        return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, status, Level.STANDBY,
                           "standby: takes over a shard if a connected coreapp fails")
    return NodeVerdict(node.host, node.container_id, exp_role, actual_role, exp_status, str(status), Level.WARNING,
                       f"unexpected gateway_status {status!r}")


def _headline(plan: Plan, level: Level, served: int, standby: int, primary: str, problems: list[str]) -> tuple[str, str]:
    mode = "HA" if plan.shards == 1 else f"Multiconnect ({plan.shards} shards)"
    shard_word = "shard" if plan.shards == 1 else "shards"
    if not plan.registered:
        if level is Level.OK:
            return (f"As expected before registration: primary master {primary} is unregistered, no node is a failure",
                    "register the number (POST /v1/account), then verify the code")
        if level is Level.WAITING:
            return ("Starting: nodes are still coming up (error 1011 Service not ready is normal for a short while)",
                    "wait a few seconds and check again")
        return (f"Not ready for registration: {problems[0] if problems else 'see the nodes'}",
                "fix the failing nodes (read their logs), then check health again")
    tolerates = f"tolerates {standby} coreapp failure{'s' if standby != 1 else ''}"
    if level is Level.OK:
        return (f"{mode} healthy: {served}/{plan.shards} {shard_word} connected, {standby} standby coreapp"
                f"{'s' if standby != 1 else ''} ({tolerates}), primary master {primary}", "nothing to do")
    if level is Level.WAITING or (served < plan.shards and plan.in_grace):
        if served < plan.shards and standby == 0:  # nothing can take the shard: say so, even in the grace
            return (f"{mode} not serving: {plan.shards - served} of {plan.shards} {shard_word} unserved and no standby "
                    f"coreapp to take {'it' if plan.shards - served == 1 else 'them'} (tolerated only while the "
                    f"containers are starting, within the grace period)",
                    "start the missing coreapps (docker-compose up -d on their hosts) and read their logs")
        if served < plan.shards:
            return (f"{mode} failing over: {plan.shards - served} of {plan.shards} {shard_word} unserved, a standby should take "
                    f"over within the grace period", "wait; if no standby takes the shard, start a coreapp")
        return (f"{mode} settling: {served}/{plan.shards} {shard_word} connected; {problems[0] if problems else 'nodes starting'}",
                "wait for the grace period; check again")
    if level is Level.WARNING:
        if served >= plan.shards and standby == 0:
            return (f"{mode} degraded: {served}/{plan.shards} {shard_word} served but no standby coreapp — a single coreapp failure loses "
                    f"{'the shard' if plan.shards == 1 else 'a share of the messages'}",
                    "start one more coreapp on a new host (shards + X coreapps tolerate X failures)")
        return (f"{mode} degraded: {problems[0] if problems else 'see the nodes'}", "look at the rows in yellow")
    return (f"{mode} failing: {problems[0] if problems else 'see the nodes'}",
            "look at the rows in red: start the missing containers, read their logs")
