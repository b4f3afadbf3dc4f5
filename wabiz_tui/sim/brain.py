"""Cluster brain: the WhatsApp cluster's roles, master election, registration, shards and failover
over the Docker daemons' containers (:mod:`.daemon`; the pure rules are :mod:`.rules`, shared with
the lab's stand-in nodes).

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

No background loop runs: state is derived from loop-clock timestamps and the daemon's
``loop.call_later`` timers (all cancelled by :meth:`Brain.close`).
"""

from __future__ import annotations

import datetime as _dt
import secrets
from dataclasses import dataclass, field
from typing import Callable

from . import rules
from .daemon import Container, ContainerInfo, Daemon
from .rules import (COREAPP, CONNECTING_DELAY, DBUPGRADE, DBUPGRADE_DELAY, FAILOVER_DELAY, MASTER, NOT_READY_ERROR,
                    OTHER, START_DELAY, VALID_SHARDS, WEBAPP, Candidate, classify)

__all__ = ["Brain", "Container", "ContainerInfo", "SimDatabase", "classify", "db_problem", "COREAPP", "MASTER",
           "WEBAPP", "DBUPGRADE", "OTHER", "VALID_SHARDS", "NOT_READY_ERROR", "START_DELAY", "FAILOVER_DELAY",
           "CONNECTING_DELAY", "DBUPGRADE_DELAY"]

DB_FAIL_DELAY = 0.6

#: Characters WADebug's ``check_mysql_password`` rejects (``INVALID_CHARACTERS``, wa-onprem-api.md §2.2).
DB_PASSWORD_INVALID_CHARS = "?{}&~!()^="
DB_REQUIRED_VARS = ("WA_DB_ENGINE", "WA_DB_HOSTNAME", "WA_DB_PORT", "WA_DB_USERNAME", "WA_DB_PASSWORD")


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
        if "mariadb" in self.version.lower():  # MariaDB's handshake names mysql_native_password (observed, 10.11.19)
            return "mysql_native_password"
        return "caching_sha2_password" if not self.version.startswith(("5.", "4.")) else "mysql_native_password"


def db_problem(env: dict[str, str], db: SimDatabase | None = None) -> str | None:
    """Why the DB settings in a container's env cannot work against ``db`` (the simulated server), or ``None``.

    A container logs in with the ``db.env`` values it was started with, as a real Coreapp does: a user or
    password the server's one account does not have is refused with MySQL's error 1045 wording
    ("Access denied for user 'u'@'%' (using password: YES)", as the sim's MySQL server answers a wrong
    login, sim/mysqlserver.py). ``db`` without an account (``password`` "") accepts any credentials.
    """
    missing = [k for k in DB_REQUIRED_VARS if not env.get(k)]
    if missing:
        return f"missing DB setting(s): {', '.join(missing)}"
    denied = "Access denied for user '%s'@'%%' (using password: YES)" % env["WA_DB_USERNAME"]
    bad = sorted({c for c in env["WA_DB_PASSWORD"] if c in DB_PASSWORD_INVALID_CHARS})
    if bad:
        return denied
    if db is not None and db.password and (env["WA_DB_PASSWORD"] != db.password
                                           or (db.username and env["WA_DB_USERNAME"] != db.username)):
        return denied
    return None


class Brain(Daemon):
    """Shared state of the whole simulated cluster (all hosts): the Docker daemons' containers
    (:class:`~.daemon.Daemon`) plus the WhatsApp cluster's database, network, roles and shards."""

    def __init__(self, speed: float = 1.0) -> None:
        super().__init__(speed)
        #: name → address every simulated host resolves (the hosts themselves and the database)
        self.dns: dict[str, str] = {}
        self.db = SimDatabase()
        #: monitoring: host → ports an exporter listens on; (host, port) a firewall drops (``nc`` times out)
        self.listening: dict[str, set[int]] = {}
        self.filtered: set[tuple[str, int]] = set()
        #: pairs of hosts between which every packet is dropped (``SimulatedCluster.cut``, like ``lab fault cut``)
        self.cuts: set[frozenset[str]] = set()
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

    # ------------------------------------------------------------------ the images at start
    def boot(self, c: Container, gen: int, now: float) -> None:
        """The WhatsApp images at start: wait for the DB, log in with ``db.env`` (:func:`db_problem`), then
        become ready after ``START_DELAY`` (Master, Coreapp), serve at once (Webapp) or run the schema upgrade
        (dbupgrade); a service with a start fault prints its lines and exits 1."""
        db_host = c.env.get("WA_DB_HOSTNAME", "?")
        db_port = c.env.get("WA_DB_PORT", "?")
        c.logs.append((c.started_wall, f"Waiting for database {db_host}:{db_port} ..."))
        if c.kind in (MASTER, COREAPP, DBUPGRADE, WEBAPP):
            c.db_error = db_problem(c.env, self.db)
        fault = self.start_faults.get((c.host, c.service))
        if fault:
            for line in fault:
                c.logs.append((c.started_wall, line))
            self._later(self.delay(0.2), self._crash, c.id, gen)
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
            super().boot(c, gen, now)

    def _fail_db(self, cid: str, gen: int) -> None:
        c = self.containers.get(cid)
        if not c or c.generation != gen or not c.running:
            return
        self.log(c, f"Unable to connect to database: {c.db_error}", level="E", where="db_conn.cpp:188")
        self.log(c, "Exiting: database connection failed", level="E", where="main.cpp:97")
        self.stop(c, 1, log=False, manual=False)

    def _dbupgrade_done(self, cid: str, gen: int) -> None:
        c = self.containers.get(cid)
        if not c or c.generation != gen or not c.running:
            return
        if self.dbupgrade_fails:
            self.log(c, "Database schema upgrade failed: cannot alter table messages (error 1205 lock wait timeout)",
                     level="E", where="dbupgrade.cpp:91")
            self.stop(c, 1, log=False, manual=False)
            return
        self.log(c, "Database schema upgrade finished successfully", where="dbupgrade.cpp:77")
        if str(c.env.get("EXIT_ON_SUCCESS", "TRUE")).upper() != "FALSE":
            self.stop(c, 0, log=False, manual=False)

    def _on_ready(self, cid: str, gen: int) -> None:
        c = self.containers.get(cid)
        if not c or c.generation != gen or not c.running:
            return
        self.log(c, "Wacore instantiated", where="wacore.cpp:310")
        self.reconcile()

    # ------------------------------------------------------------------ state
    def is_ready(self, c: Container | None) -> bool:
        """True if ``c`` is running, reached its DB and its start delay is over (loop clock); False for None."""
        return bool(c and c.running and not c.db_error and self.now() >= c.ready_at - 1e-9)

    def _by_kind(self, kind: str) -> list[Container]:
        return [c for c in self.containers.values() if c.kind == kind]

    def webapp_running(self) -> bool:
        """True while at least one Webapp (``waweb``) container runs anywhere in the cluster."""
        return any(c.running for c in self._by_kind(WEBAPP))

    def webapp_version(self) -> str:
        """The version of the first running Webapp container (``2.41.2``), ``''`` when none runs."""
        for c in self._by_kind(WEBAPP):
            if c.running:
                return c.version
        return ""

    def primary_ready(self) -> bool:
        """True if there is a primary master and it is ready (:meth:`is_ready`)."""
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
        """The Coreapp containers that are ready (running, DB reached, start delay over)."""
        return [c for c in self._by_kind(COREAPP) if self.is_ready(c)]

    def running_coreapps(self) -> list[Container]:
        """The Coreapp containers that are running, ready or not."""
        return [c for c in self._by_kind(COREAPP) if c.running]

    def set_shards(self, n: int) -> None:
        """Change the shard count (validated by the caller); reassign immediately."""
        if n != self.shards:
            self.shards = n
            self.shard_owner = {k: v for k, v in self.shard_owner.items() if k < n}
            self.shard_vacant_since.clear()
        self.reconcile()
