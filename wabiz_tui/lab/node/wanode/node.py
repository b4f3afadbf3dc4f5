"""Master and Coreapp: register in the database, hold leases, answer the status protocol.

Every decision goes through the shared rules (``rules.py``, the simulator's own rules shipped into
the image): Masters race for the ``primary_master`` lease (``rules.choose_primary``), registered
Coreapps claim ``shard:<k>`` leases (``rules.plan_shards``), each node computes its own
``/v1/health`` entry (``rules.node_entry``). A lease lives ``FAILOVER_DELAY × speed`` seconds and
is renewed every third of that; a node that dies stops renewing, so its lease expires and the next
node in line takes it: failover comes from a real death, not from a script.

Status protocol (TCP, on each of the four listen ports): the client sends one line ``STATUS``; the
node answers one line of JSON ``{"node": id, "kind": ..., "health": <entry>, "support": {...}}``
and closes. Anything else gets ``ERR unknown command``.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from typing import Any, Callable

from . import rules
from .log import Log
from .store import Lease, NodeRow, Store

STATUS_TIMEOUT = 2.0


class StatusServer(socketserver.ThreadingTCPServer):
    """One listening port of a node; ``snapshot()`` gives the current answer."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, snapshot: Callable[[], dict]) -> None:
        self.snapshot = snapshot
        super().__init__(("0.0.0.0", port), _StatusHandler)


class _StatusHandler(socketserver.StreamRequestHandler):
    timeout = STATUS_TIMEOUT

    def handle(self) -> None:
        """Answer one line: ``STATUS`` gets the node's snapshot as compact JSON, anything else ``ERR unknown command``;
        a client gone mid-way is ignored."""
        try:
            line = self.rfile.readline(256).strip()
        except OSError:
            return
        if line == b"STATUS":
            answer = json.dumps(self.server.snapshot(), separators=(",", ":")).encode()  # type: ignore[attr-defined]
        else:
            answer = b"ERR unknown command"
        try:
            self.wfile.write(answer + b"\n")
        except OSError:
            pass


def query_status(host: str, port: int, timeout: float = STATUS_TIMEOUT) -> dict:
    """Ask a node at ``host:port`` for its status; raises ``OSError`` (incl. ``socket.gaierror``,
    ``TimeoutError``) when it cannot be reached, ``ValueError`` when it answers something else."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(b"STATUS\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    answer = json.loads(data.decode())
    if not isinstance(answer, dict) or "health" not in answer:
        raise ValueError("not a status answer")
    return answer


class ClusterNode:
    """A Master (``kind == rules.MASTER``) or Coreapp (``rules.COREAPP``) after it logged in to the DB."""

    def __init__(self, *, kind: str, node_id: str, hostname: str, port: int, version: str, store: Store,
                 speed: float, log: Log, db_engine: str) -> None:
        self.kind, self.node_id, self.hostname, self.port, self.version = kind, node_id, hostname, port, version
        self.store, self.log, self.db_engine = store, log, db_engine
        self.ttl = rules.FAILOVER_DELAY * speed
        self.tick = max(0.05, self.ttl / 3)
        self.started_at = time.time()
        self.ready_at = self.started_at + rules.START_DELAY * speed
        self.connecting_delay = rules.CONNECTING_DELAY * speed
        self._lock = threading.Lock()
        self._snapshot: dict[str, Any] = {}
        self.is_primary = False
        self.owned: dict[int, float] = {}  # shard → connecting until
        self._said_secondary = False
        self._announced_ready = False
        self._account_seen: tuple[str, str] | None = None
        self._publish(registered=False, shards=1)

    # ------------------------------------------------------------------ snapshot
    def _publish(self, *, registered: bool, shards: int) -> None:
        self._registered, self._shards = registered, shards
        now = time.time()
        ready = now >= self.ready_at
        connecting = any(now < until for until in self.owned.values())
        entry = rules.node_entry(self.kind, ready=ready, registered=registered, is_primary=self.is_primary,
                                 shards=shards, owns_shard=bool(self.owned), connecting=connecting)
        status = entry.get("gateway_status")
        support = {"context": "healthcheck", "db_engine": self.db_engine, "description": self.version,
                   "multi_connect": True,
                   "role": entry.get("role", rules.COREAPP if self.kind == rules.COREAPP else "secondary_master"),
                   "shards": rules.support_shards(list(self.owned), kind=self.kind, is_primary=self.is_primary,
                                                  registered=registered, shards=shards),
                   "socket_conn": rules.socket_conn(status)}
        with self._lock:
            self._snapshot = {"node": self.node_id, "kind": self.kind, "health": entry, "support": support}

    def snapshot(self) -> dict:
        """The current status answer (computed at the last tick; 1011 until ready)."""
        with self._lock:
            snap = dict(self._snapshot)
        if time.time() < self.ready_at:
            snap["health"] = {"errors": [dict(rules.NOT_READY_ERROR)]}
        return snap

    # ------------------------------------------------------------------ lifecycle
    def register(self) -> None:
        """Write this node's row (id, role, registered hostname and first external port)."""
        self.store.register(NodeRow(self.node_id, self.kind, self.hostname, self.port, self.version,
                                    self.started_at, self.ready_at, time.time()))

    def run(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set; a DB error is logged and the tick retried (leases then lapse)."""
        last_ok = time.time()
        while not stop.is_set():
            try:
                self.step(time.time())
                last_ok = time.time()
            except Exception as exc:  # DbError or a dropped connection: log the words, keep trying
                self.log(f"Cluster store unavailable, will retry after {int(self.tick * 1000)} ms: {exc}",
                         level="W", where="cluster_store.cpp:88")
                if time.time() - last_ok > self.ttl:
                    self.lose_contact()
            until_ready = self.ready_at - time.time()
            # the first round as a ready node runs when START_DELAY ends, as the simulator's timer does
            stop.wait(min(self.tick, until_ready) if until_ready > 0 else self.tick)

    def lose_contact(self) -> None:
        """No lease renewed for a whole lease lifetime: others may hold them now, so give them up here
        too (no two owners of a shard because one node lost the database)."""
        if not (self.owned or self.is_primary):
            return
        if self.is_primary:
            self.log("Lost contact with the cluster store: giving up the master lease", level="W",
                     where="master_lease.cpp:84")
        for k in sorted(self.owned):
            self.log(f"Lost contact with the cluster store: giving up shard {k}; disconnected", level="W",
                     where="shard_map.cpp:170")
        self.is_primary = False
        self.owned.clear()
        self._publish(registered=self._registered, shards=self._shards)

    def step(self, now: float) -> None:
        """One round: heartbeat, read the cluster, apply the rules, take/renew/give leases, publish."""
        self.store.heartbeat(self.node_id, now)
        ready = now >= self.ready_at
        if ready and not self._announced_ready:
            self._announced_ready = True
            self.log("Wacore instantiated", where="wacore.cpp:310")
        nodes = self.store.nodes(alive_since=now - self.ttl)
        leases = self.store.leases()
        account = self.store.account()
        if ready and self.kind == rules.MASTER:
            self._master_round(now, nodes, leases, account)
        if ready and self.kind == rules.COREAPP:
            self._coreapp_round(now, nodes, leases, account)
        self._publish(registered=account.registered, shards=account.shards)

    def _ready_candidates(self, nodes: list[NodeRow], kind: str, now: float) -> list[rules.Candidate]:
        return [rules.Candidate(n.node_id, n.ready_at) for n in nodes if n.kind == kind and n.ready_at <= now]

    def _master_round(self, now: float, nodes: list[NodeRow], leases: dict[str, Lease], account) -> None:
        lease = leases.get("primary_master")
        current = lease.holder if lease and lease.holder and lease.expires_at >= now else None
        # The lease lifetime already was the vacancy: once expired, the next Master is due at once.
        chosen = rules.choose_primary(current, self._ready_candidates(nodes, rules.MASTER, now), True)
        was = self.is_primary
        self.is_primary = chosen == self.node_id and self.store.acquire("primary_master", self.node_id, now, self.ttl)
        if self.is_primary and not was:
            self.log("Acquired master lease: this node is now primary master", where="master_lease.cpp:64")
        elif was and not self.is_primary:
            self.log("Lost master lease: this node is now secondary master", level="W", where="master_lease.cpp:80")
        elif not self.is_primary and not self._said_secondary:
            self.log("Master lease held by another node: secondary master", where="master_lease.cpp:71")
        self._said_secondary = self._said_secondary or not self.is_primary
        if self.is_primary and account.registered and self._account_seen != (account.cc, account.phone):
            self.log(f"Registration completed for +{account.cc}{account.phone}", where="registration.cpp:201")
        self._account_seen = (account.cc, account.phone) if account.registered else None

    def _coreapp_round(self, now: float, nodes: list[NodeRow], leases: dict[str, Lease], account) -> None:
        if not account.registered:
            for k in list(self.owned):
                self.store.release(f"shard:{k}", self.node_id)
            self.owned.clear()
            return
        shards = account.shards
        owners: dict[int, str] = {}
        vacant_since: dict[int, float] = {}
        for name, lease in leases.items():
            if not name.startswith("shard:"):
                continue
            k = int(name.split(":", 1)[1])
            if lease.holder and lease.expires_at >= now:
                owners[k] = lease.holder
            elif lease.holder:
                vacant_since[k] = lease.expires_at
        # a restarted container (same id) finds its unexpired leases and resumes them
        for k, holder in owners.items():
            if holder == self.node_id and k not in self.owned and k < shards:
                self.owned[k] = 0.0
                self.log(f"Resuming shard {k} held before the restart; connected", where="shard_map.cpp:145")
        # shards this node holds: give back those beyond the count, renew the others
        for k in list(self.owned):
            if k >= shards:
                self.store.release(f"shard:{k}", self.node_id)
                del self.owned[k]
                self.log(f"Shard {k} no longer exists (shards={shards}): standby", where="shard_map.cpp:160")
            elif owners.get(k) != self.node_id or not self.store.acquire(f"shard:{k}", self.node_id, now, self.ttl):
                del self.owned[k]
                self.log(f"Lost shard {k}: standby", level="W", where="shard_map.cpp:166")
        plan = rules.plan_shards(shards, {k: v for k, v in owners.items() if k < shards},
                                 self._ready_candidates(nodes, rules.COREAPP, now), vacant_since, now, 0.0)
        for a in plan.assign:
            if a.node_id != self.node_id or not self.store.acquire(f"shard:{a.shard}", self.node_id, now, self.ttl):
                continue
            if a.failover:
                self.owned[a.shard] = now + self.connecting_delay
                self.log(f"Failover: taking over shard {a.shard}; connecting", where="shard_map.cpp:151")
            else:
                self.owned[a.shard] = 0.0
                self.log(f"Promoted to primary coreapp for shard {a.shard}; connected", where="shard_map.cpp:140")
