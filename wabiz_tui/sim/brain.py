"""Cluster brain: containers, roles, master election, registration, shards and failover.

Follows design.md section 4 and the API reference (``wa-onprem-api.md`` sections 3.3-3.5, 4):

* a Master or Coreapp container answers health with error 1011 "Service not ready" for
  ``START_DELAY`` seconds (times ``speed``) after it starts;
* Masters race for the master lease: the first Master that finished starting is
  ``primary_master``, the others ``secondary_master``; if the primary stops, a running secondary
  takes over after ``FAILOVER_DELAY``;
* before registration every ready node is ``unregistered``; after verify, ``shards`` Coreapps
  own one shard each and are ``connected`` (HA: 1 shard), spare Coreapps are ``disconnected``;
  in Multiconnect (shards > 1) the primary Master is ``connected`` (it owns the control shard);
* a Coreapp owning a shard that stops is replaced by a ready spare after ``FAILOVER_DELAY``;
  the new owner is ``connecting`` for ``CONNECTING_DELAY`` then ``connected``.

No background loop runs: state is derived from loop-clock timestamps and a few
``loop.call_later`` timers (all cancelled by :meth:`Brain.close`).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import secrets
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from . import rules
from .rules import (COREAPP, CONNECTING_DELAY, DBUPGRADE, DBUPGRADE_DELAY, FAILOVER_DELAY, MASTER, NOT_READY_ERROR,
                    OTHER, START_DELAY, VALID_SHARDS, WEBAPP, Candidate, classify)

__all__ = ["Brain", "Container", "ContainerInfo", "SimDatabase", "classify", "db_problem", "COREAPP", "MASTER",
           "WEBAPP", "DBUPGRADE", "OTHER", "VALID_SHARDS", "NOT_READY_ERROR", "START_DELAY", "FAILOVER_DELAY",
           "CONNECTING_DELAY", "DBUPGRADE_DELAY"]

DB_FAIL_DELAY = 0.6

#: Characters WADebug's ``check_mysql_password`` rejects (``INVALID_CHARACTERS``, wa-onprem-api.md §2.2).
DB_PASSWORD_INVALID_CHARS = "?{}&~!()^="
DB_REQUIRED_VARS = ("WA_DB_ENGINE", "WA_DB_HOSTNAME", "WA_DB_PORT", "WA_DB_USERNAME", "WA_DB_PASSWORD")


@dataclass(frozen=True)
class ContainerInfo:
    """Public snapshot of a container: ``state`` is ``"running"`` or ``"exited"``."""

    service: str
    container_id: str
    state: str
    exit_code: int | None
    name: str = ""
    image: str = ""
    kind: str = OTHER
    host: str = ""


@dataclass
class SimDatabase:
    """The external database as the hosts see it: where it is, whether it answers, what it says."""

    hostname: str = ""
    port: int = 3306
    engine: str = "MYSQL"
    version: str = "8.0.33"
    reachable: bool = True
    # --- what a login finds (sim/mysqlserver.py, sim/pgserver.py; field cases R06, R10) ---
    #: the one account the server knows ("" user: any name is accepted with ``password``)
    username: str = ""
    password: str = ""
    #: MySQL: the account's ``mysql.user.plugin`` (mysql_native_password or caching_sha2_password)
    user_plugin: str = "mysql_native_password"
    #: MySQL: the plugin the handshake names; "" = the server's own default (caching_sha2_password from 8.0 on).
    #: A caching_sha2_password account is always greeted with caching_sha2_password (sim/mysqlserver.py).
    default_plugin: str = ""
    #: MySQL: whether the account may read ``mysql.user`` (a DBA-made user usually may not)
    user_table_readable: bool = True
    #: privileges on ``*.*`` (MySQL ``SHOW GRANTS``); PostgreSQL: ``CREATE`` or ``ALL PRIVILEGES`` is ``rolcreatedb``
    privileges: tuple[str, ...] = ("ALL PRIVILEGES",)
    #: engine → loopback port of the real server speaking that engine's wire protocol (set by SimulatedCluster)
    server_ports: dict = field(default_factory=dict)
    server_host: str = "127.0.0.1"

    def handshake_plugin(self) -> str:
        """The auth plugin the MySQL handshake announces."""
        if self.default_plugin:
            return self.default_plugin
        return "caching_sha2_password" if not self.version.startswith(("5.", "4.")) else "mysql_native_password"


@dataclass
class Container:
    """One simulated container on one host (mutable; owned by :class:`Brain`)."""

    id: str
    name: str
    host: str
    project: str
    service: str
    image: str
    kind: str
    node_hostname: str
    command: list[str]
    ports: list[str]
    env: dict[str, str]
    state: str = "created"
    exit_code: int | None = None
    started_at: float = 0.0
    ready_at: float = 0.0
    created_wall: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc))
    started_wall: _dt.datetime | None = None
    finished_wall: _dt.datetime | None = None
    connecting_until: float = 0.0
    generation: int = 0
    logs: list[tuple[_dt.datetime, str]] = field(default_factory=list)
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    db_error: str | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def published_ports(self) -> set[int]:
        """Host ports this container publishes (``"9090:443"`` → 9090)."""
        out = set()
        for spec in self.ports:
            parts = spec.split(":")
            if len(parts) >= 2 and parts[-2].isdigit():
                out.add(int(parts[-2]))
        return out

    @property
    def version(self) -> str:
        """Image tag without the leading ``v`` (``"2.41.2"``), or ``""``."""
        tag = self.image.rsplit(":", 1)[-1] if ":" in self.image.rsplit("/", 1)[-1] else ""
        return tag[1:] if tag.startswith("v") else tag

    def info(self) -> ContainerInfo:
        return ContainerInfo(self.service, self.id, "running" if self.running else "exited",
                             self.exit_code, self.name, self.image, self.kind, self.host)


def db_problem(env: dict[str, str]) -> str | None:
    """Why the DB settings in a container's env cannot work, or ``None``."""
    missing = [k for k in DB_REQUIRED_VARS if not env.get(k)]
    if missing:
        return f"missing DB setting(s): {', '.join(missing)}"
    bad = sorted({c for c in env["WA_DB_PASSWORD"] if c in DB_PASSWORD_INVALID_CHARS})
    if bad:
        return "Access denied for user '%s'@'%%' (using password: YES)" % env["WA_DB_USERNAME"]
    return None


class Brain:
    """Shared state of the whole simulated cluster (all hosts)."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self.containers: dict[str, Container] = {}
        #: name → address every simulated host resolves (the hosts themselves and the database)
        self.dns: dict[str, str] = {}
        self.db = SimDatabase()
        #: the registry refuses pulls (``docker pull`` / ``up`` of a new image answer "pull access denied")
        self.registry_denied = False
        #: the registry cannot be reached at all (no DNS answer: ``Get "https://…/v2/": … no such host``)
        self.registry_unreachable = False
        #: hosts whose container runtime refuses to start containers ("OCI runtime create failed")
        self.runtime_faults: set[str] = set()
        #: monitoring: host → ports an exporter listens on; (host, port) a firewall drops (``nc`` times out)
        self.listening: dict[str, set[int]] = {}
        self.filtered: set[tuple[str, int]] = set()
        self.registered = False
        self.account: tuple[str, str] | None = None  # (cc, phone_number)
        self.pending: tuple[str, str, str] | None = None  # (cc, phone, code)
        self.shards = 1
        self.shard_owner: dict[int, str] = {}
        self.shard_vacant_since: dict[int, float] = {}
        self.primary: str | None = None
        self.primary_vacant_since: float | None = None
        self.sunset = False
        self.dbupgrade_fails = False
        #: (host, service) → log lines a container of that service prints before exiting with code 1 at start
        self.start_faults: dict[tuple[str, str], list[str]] = {}
        self.sms_outbox: list[tuple[str, str]] = []
        self.sms_callbacks: list[Callable[[str, str], None]] = []
        self.change_hooks: list[Callable[[], Awaitable[None]]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    # ------------------------------------------------------------------ clock & timers
    @staticmethod
    def now() -> float:
        """Loop monotonic clock (seconds)."""
        return asyncio.get_running_loop().time()

    def delay(self, seconds: float) -> float:
        return seconds * self.speed

    def _later(self, seconds: float, fn: Callable, *args) -> None:
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            fn(*args)

        handle = loop.call_later(max(0.0, seconds), fire)
        self._timers.add(handle)

    def _notify(self) -> None:
        if self._closed:
            return
        for hook in self.change_hooks:
            task = asyncio.get_running_loop().create_task(hook())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until change hooks (e.g. the Webapp listener going up/down) have run."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel every timer and pending hook task."""
        self._closed = True
        for h in list(self._timers):
            h.cancel()
        self._timers.clear()
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        for c in self.containers.values():
            c.exited.set()

    # ------------------------------------------------------------------ logs
    def log(self, c: Container, msg: str, level: str = "I", where: str = "main.cpp:55") -> None:
        """Append a log line; Coreapp/Master use ``I 2026-11-30 10:00:00 UTC 140 main.cpp:55] msg``."""
        now = _dt.datetime.now(_dt.timezone.utc)
        if c.kind in (MASTER, COREAPP, DBUPGRADE):
            line = f"{level} {now:%Y-%m-%d %H:%M:%S} UTC 140 {where}] {msg}"
        elif c.kind == WEBAPP:
            lvl = {"I": "info", "W": "warning", "E": "error"}.get(level, "info")
            line = f"{now:%Y-%m-%d %H:%M:%S} UTC [{lvl}] web: {msg}"
        else:
            line = msg
        c.logs.append((now, line))

    # ------------------------------------------------------------------ lifecycle
    def add(self, c: Container) -> Container:
        self.containers[c.id] = c
        return c

    def on_host(self, host: str) -> list[Container]:
        return [c for c in self.containers.values() if c.host == host]

    def find(self, host: str, ref: str) -> Container | None:
        """Container on ``host`` by name, full id or id prefix."""
        for c in self.on_host(host):
            if ref in (c.name, c.id) or (len(ref) >= 3 and c.id.startswith(ref)):
                return c
        return None

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(6)

    def start(self, c: Container) -> None:
        """Start (or restart) a container: schedule readiness, DB failure or job completion."""
        now = self.now()
        c.state = "running"
        c.exit_code = None
        c.started_at = now
        c.started_wall = _dt.datetime.now(_dt.timezone.utc)
        c.generation += 1
        c.exited = asyncio.Event()
        gen = c.generation
        db_host = c.env.get("WA_DB_HOSTNAME", "?")
        db_port = c.env.get("WA_DB_PORT", "?")
        c.logs.append((c.started_wall, f"Waiting for database {db_host}:{db_port} ..."))
        if c.kind in (MASTER, COREAPP, DBUPGRADE, WEBAPP):
            c.db_error = db_problem(c.env)
        fault = self.start_faults.get((c.host, c.service))
        if fault:
            for line in fault:
                c.logs.append((c.started_wall, line))
            self._later(self.delay(0.2), self._crash, c.id, gen)
            self.reconcile()
            self._notify()
            return
        if c.kind in (MASTER, COREAPP):
            c.ready_at = now + self.delay(START_DELAY)
            self.log(c, f"Starting {'Master' if c.kind == MASTER else 'Coreapp'} node {c.node_hostname}:{c.id} "
                        f"version {c.version}", where="main.cpp:55")
            if c.db_error:
                self._later(self.delay(DB_FAIL_DELAY), self._fail_db, c.id, gen)
            else:
                self.log(c, f"Connected to {c.env.get('WA_DB_ENGINE', 'MYSQL')} server {db_host}:{db_port}",
                         where="db_conn.cpp:212")
                self._later(self.delay(START_DELAY), self._on_ready, c.id, gen)
        elif c.kind == WEBAPP:
            c.ready_at = now
            self.log(c, f"Webapp {c.node_hostname}:{c.id} version {c.version} listening on :443")
        elif c.kind == DBUPGRADE:
            c.ready_at = now
            if c.db_error:
                self._later(self.delay(DB_FAIL_DELAY), self._fail_db, c.id, gen)
            else:
                self.log(c, "Database schema upgrade started", where="dbupgrade.cpp:40")
                self._later(self.delay(DBUPGRADE_DELAY), self._dbupgrade_done, c.id, gen)
        else:
            c.ready_at = now
        self.reconcile()
        self._notify()

    def _crash(self, cid: str, gen: int) -> None:
        c = self.containers.get(cid)
        if c and c.generation == gen and c.running:
            self.stop(c, 1, log=False)

    def _fail_db(self, cid: str, gen: int) -> None:
        c = self.containers.get(cid)
        if not c or c.generation != gen or not c.running:
            return
        self.log(c, f"Unable to connect to database: {c.db_error}", level="E", where="db_conn.cpp:188")
        self.log(c, "Exiting: database connection failed", level="E", where="main.cpp:97")
        self.stop(c, 1, log=False)

    def _dbupgrade_done(self, cid: str, gen: int) -> None:
        c = self.containers.get(cid)
        if not c or c.generation != gen or not c.running:
            return
        if self.dbupgrade_fails:
            self.log(c, "Database schema upgrade failed: cannot alter table messages (error 1205 lock wait timeout)",
                     level="E", where="dbupgrade.cpp:91")
            self.stop(c, 1, log=False)
            return
        self.log(c, "Database schema upgrade finished successfully", where="dbupgrade.cpp:77")
        if str(c.env.get("EXIT_ON_SUCCESS", "TRUE")).upper() != "FALSE":
            self.stop(c, 0, log=False)

    def _on_ready(self, cid: str, gen: int) -> None:
        c = self.containers.get(cid)
        if not c or c.generation != gen or not c.running:
            return
        self.log(c, "Wacore instantiated", where="wacore.cpp:310")
        self.reconcile()

    def stop(self, c: Container, exit_code: int = 0, *, log: bool = True) -> None:
        """Stop a running container with ``exit_code`` (137 for kill)."""
        if not c.running:
            return
        if log:
            self.log(c, "Received SIGKILL" if exit_code == 137 else "Received SIGTERM, shutting down",
                     level="W", where="main.cpp:120")
        c.state = "exited"
        c.exit_code = exit_code
        c.finished_wall = _dt.datetime.now(_dt.timezone.utc)
        c.generation += 1
        c.exited.set()
        self.reconcile()
        self._notify()

    def remove(self, c: Container) -> None:
        self.stop(c, 0)
        self.containers.pop(c.id, None)
        self.reconcile()

    # ------------------------------------------------------------------ state
    def is_ready(self, c: Container | None) -> bool:
        return bool(c and c.running and not c.db_error and self.now() >= c.ready_at - 1e-9)

    def _by_kind(self, kind: str) -> list[Container]:
        return [c for c in self.containers.values() if c.kind == kind]

    def webapp_running(self) -> bool:
        return any(c.running for c in self._by_kind(WEBAPP))

    def webapp_version(self) -> str:
        for c in self._by_kind(WEBAPP):
            if c.running:
                return c.version
        return ""

    def primary_ready(self) -> bool:
        return self.is_ready(self.containers.get(self.primary or ""))

    def reconcile(self) -> None:
        """Apply elections and shard assignment due at the current loop time; arm timers."""
        if self._closed:
            return
        now = self.now()
        fo = self.delay(FAILOVER_DELAY)
        # primary master (rules.choose_primary; the vacancy lasts FAILOVER_DELAY)
        if self.primary is not None and not self.is_ready(self.containers.get(self.primary)):
            self.primary = None
            self.primary_vacant_since = now
        if self.primary is None:
            masters = [c for c in self._by_kind(MASTER) if self.is_ready(c)]
            due = now if self.primary_vacant_since is None else self.primary_vacant_since + fo
            chosen = rules.choose_primary(None, [Candidate(c.id, c.ready_at) for c in masters], now >= due - 1e-9)
            if chosen is not None:
                self.primary = chosen
                self.primary_vacant_since = None
                self.log(self.containers[chosen], "Acquired master lease: this node is now primary master",
                         where="master_lease.cpp:64")
                for other in rules.by_readiness([Candidate(c.id, c.ready_at) for c in masters]):
                    if other.node_id != chosen:
                        self.log(self.containers[other.node_id], "Master lease held by another node: secondary master",
                                 where="master_lease.cpp:71")
            elif masters:
                self._later(due - now + 1e-3, self.reconcile)
        # shards (rules.plan_shards)
        if not self.registered:
            return
        for k in [k for k in self.shard_owner if k >= self.shards]:
            del self.shard_owner[k]
        for k in list(self.shard_vacant_since):
            if k >= self.shards:
                del self.shard_vacant_since[k]
        for k in range(self.shards):
            owner = self.shard_owner.get(k)
            if owner is not None and not self.is_ready(self.containers.get(owner)):
                del self.shard_owner[k]
                self.shard_vacant_since[k] = now
        ready = [Candidate(c.id, c.ready_at) for c in self._by_kind(COREAPP) if self.is_ready(c)]
        plan = rules.plan_shards(self.shards, self.shard_owner, ready, self.shard_vacant_since, now, fo)
        for a in plan.assign:
            c = self.containers[a.node_id]
            self.shard_owner[a.shard] = a.node_id
            if a.failover:
                del self.shard_vacant_since[a.shard]
                c.connecting_until = now + self.delay(CONNECTING_DELAY)
                self.log(c, f"Failover: taking over shard {a.shard}; connecting", where="shard_map.cpp:151")
            else:
                c.connecting_until = 0.0
                self.log(c, f"Promoted to primary coreapp for shard {a.shard}; connected", where="shard_map.cpp:140")
        if plan.wait_until is not None:
            self._later(plan.wait_until - now + 1e-3, self.reconcile)

    def node_health(self, c: Container) -> dict:
        """One ``/v1/health`` node entry (wa-onprem-api.md §3.3), by :func:`rules.node_entry`."""
        return rules.node_entry(c.kind, ready=self.is_ready(c), registered=self.registered,
                                is_primary=self.primary == c.id, shards=self.shards,
                                owns_shard=c.id in self.shard_owner.values(),
                                connecting=self.now() < c.connecting_until)

    def health(self) -> dict[str, dict]:
        """``{"<hostname>:<container_id>": entry}`` for every running Master and Coreapp."""
        self.reconcile()
        return {f"{c.node_hostname}:{c.id}": self.node_health(c)
                for c in self.containers.values() if c.running and c.kind in (MASTER, COREAPP)}

    def owned_shards(self, c: Container) -> list[list[int]]:
        """``shards`` field of ``/v1/support`` for a node (§3.8), by :func:`rules.support_shards`."""
        return rules.support_shards([k for k, cid in self.shard_owner.items() if cid == c.id], kind=c.kind,
                                    is_primary=self.primary == c.id, registered=self.registered, shards=self.shards)

    # ------------------------------------------------------------------ registration
    def request_code(self, cc: str, phone: str) -> str | None:
        """Start registration; return the 6-digit code sent, or ``None`` if already registered."""
        if self.registered and self.account == (cc, phone):
            return None
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.pending = (cc, phone, code)
        target = f"+{cc}{phone}"
        self.sms_outbox.append((target, code))
        for cb in list(self.sms_callbacks):
            cb(target, code)
        return code

    def verify(self, code: str) -> bool:
        """Complete registration with ``code``; True on success."""
        if not self.pending or str(code).strip() != self.pending[2]:
            return False
        cc, phone, _ = self.pending
        if self.account and self.account != (cc, phone):
            self.shard_owner.clear()
            self.shard_vacant_since.clear()
        self.account = (cc, phone)
        self.pending = None
        self.registered = True
        for c in self._by_kind(MASTER):
            if c.id == self.primary:
                self.log(c, f"Registration completed for +{cc}{phone}", where="registration.cpp:201")
        self.reconcile()
        return True

    def ready_coreapps(self) -> list[Container]:
        return [c for c in self._by_kind(COREAPP) if self.is_ready(c)]

    def running_coreapps(self) -> list[Container]:
        return [c for c in self._by_kind(COREAPP) if c.running]

    def set_shards(self, n: int) -> None:
        """Change the shard count (validated by the caller); reassign immediately."""
        if n != self.shards:
            self.shards = n
            self.shard_owner = {k: v for k, v in self.shard_owner.items() if k < n}
            self.shard_vacant_since.clear()
        self.reconcile()
