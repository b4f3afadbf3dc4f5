"""The preflight's database checks (issue 13 items 4 and 6; field cases R06, R10): the DB port reached from
each host through the SSH connection itself (or a shell probe where sshd refuses forwarding), what a MySQL
greeting announces, then one login through an SSH tunnel judged once for the cluster (server version, the
MySQL 8 auth plugin, privileges). Kept apart from :mod:`.preflight`, which runs the other checks.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from typing import TYPE_CHECKING

import asyncssh

from ..domain.diagnosis import diagnosis_for
from ..domain.dbsupport import (DbJudgement, announced_version, handshake_plugin, judge_auth_plugin, judge_mysql_grants,
                                judge_pg_role, judge_server_version, printable_greeting, server_product, short_version)
from ..domain.model import DbEngine, DbEnv, HostSpec
from ..domain.preflight import DB_LATENCY_WARN_MS, FAILURE, OK, WARNING, Check
from ..remote.dblogin import PRODUCT, DbLoginError, probe_port, read_db_facts
from ..remote.errors import RemoteError
from .base import Procedure

#: The engines' default ports (their servers' defaults; the official db.env files use them).
USUAL_PORT = {DbEngine.MYSQL: 3306, DbEngine.PGSQL: 5432}


class PreflightDb(Procedure):
    """The DB checks of :class:`~.preflight.Preflight` (mixed into it; it provides ``_record`` and ``_probe``
    and the ``_db_reached``, ``_db_unknown`` and ``_db_greeting`` it collects)."""

    # What Preflight provides, declared for the type checker only (no values: nothing exists at run time here)
    _db_reached: list[str]
    _db_unknown: list[str]
    _db_greeting: str

    if TYPE_CHECKING:
        def _record(self, check: Check) -> None: ...

        async def _probe(self, host: HostSpec, command: str, *, pty: bool = False) -> tuple[int | None, str]: ...

    async def _ssh_hop(self, host: HostSpec) -> float:
        """Seconds of one SSH request round trip to ``host`` on its open connection: the fastest of three
        ``direct-tcpip`` opens to a port of the host's own loopback that nothing serves (port 1), which the host
        refuses at once. It is the part of a channel open (and of a query through the tunnel) that is the SSH hop,
        measured the same way, on the same connection: neither the SSH handshake nor a command's start is in it
        (they were, and a DB that answered slower than them read as 0 ms: issue 17 trial). Kept per host."""
        hops: dict[str, float] = self.__dict__.setdefault("_ssh_hops", {})
        name = host.external_hostname
        if name not in hops:
            async with self.session.hold.command(name, "an SSH round trip (direct-tcpip to its port 1)"):
                conn = await self._pool.get(host)
                best = float("inf")
                for _ in range(3):
                    start = time.monotonic()
                    try:
                        _, writer = await asyncio.wait_for(conn.open_connection("127.0.0.1", 1), 5.0)
                        writer.close()
                    except (asyncssh.Error, OSError, TimeoutError):
                        pass  # refused, as expected: its answer is the round trip
                    best = min(best, time.monotonic() - start)
            hops[name] = best
        return hops[name]

    async def _database(self, host: HostSpec) -> None:
        """The DB port from ``host``: reached, how long the host took to connect, and for MySQL what its greeting
        announces. The connection goes through the SSH connection itself (``direct-tcpip``: the host connects,
        nothing needs to be installed on it); only where sshd refuses forwarding does a shell probe run (``nc``,
        else bash's ``/dev/tcp``). The time reported is the channel open less the SSH hop (:meth:`_ssh_hop`):
        one TCP connect from the host to the DB, about one network round trip; the query round trip on an open
        connection is the login's (:meth:`_database_login`), which judges the version once too."""
        db = self.profile.db
        # through the hold like a command: a quit question open keeps it from starting (workflows.hold)
        async with self.session.hold.command(host.external_hostname, f"a connection to the DB port {db.port}"):
            probe = await probe_port(await self._pool.get(host), db.hostname, int(db.port),
                                     read_first=db.engine.value == "MYSQL")
        if probe.prohibited:
            await self._database_by_shell(host)
            return
        if not probe.reached:
            self._record(Check(host.external_hostname, "database", FAILURE,
                               f"{db.hostname}:{db.port} does not answer from {host.external_hostname} ({probe.error}): "
                               "check the DB and firewalls"))
            return
        hop = await self._ssh_hop(host)
        self._db_reachable(host, printable_greeting(probe.first), (probe.seconds - hop) * 1000, probe.seconds * 1000)

    async def _database_by_shell(self, host: HostSpec) -> None:
        """The DB probe where sshd refuses forwarding: ``nc`` when installed (its greeting read too), else a bash
        ``/dev/tcp`` connection (reachability only); neither → unknown, and the login still tries."""
        db = self.profile.db
        target = f"{shlex.quote(db.hostname)} {int(db.port)}"
        # timed without the seconds a quit question held the run (the probe waits at the hold before it starts)
        clock = self.session.hold.stopwatch()
        await self._probe(host, "true")
        baseline = clock()  # a command's round trip: what the probe's time holds besides the DB
        clock = self.session.hold.stopwatch()
        status, _ = await self._probe(host, f"nc -z -w 3 {target}")
        elapsed = clock()
        greeting: str | None = None  # not read: bash's /dev/tcp only connects
        if status == 127:
            dev = shlex.quote(f"exec 3<>/dev/tcp/{db.hostname}/{int(db.port)}")
            clock = self.session.hold.stopwatch()
            status, _ = await self._probe(host, f"timeout 3 bash -c {dev}")
            elapsed = clock()
            if status in (126, 127):
                self._db_unknown.append(host.external_hostname)
                self._record(Check(host.external_hostname, "database", WARNING,
                                   "not probed from this host: sshd refuses forwarding and neither nc nor bash is there"))
                return
        elif status == 0:
            # binary greeting: every non-printable byte becomes a line break on the host (see printable_greeting)
            _, greeting = await self._probe(host, f"nc -w 3 {target} </dev/null | head -c 512 | tr -c '[:print:]' '\\n'")
        if status != 0:
            self._record(Check(host.external_hostname, "database", FAILURE,
                               f"{db.hostname}:{db.port} does not answer from {host.external_hostname}: check the DB and firewalls"))
            return
        self._db_reachable(host, greeting, (elapsed - baseline) * 1000, elapsed * 1000)

    def _db_reachable(self, host: HostSpec, greeting: str | None, latency_ms: float, through_ms: float) -> None:
        """Record a host that reached the DB port: what answered (product and version from a MySQL greeting,
        not judged here; ``greeting`` None when the probe could not read one), how long the host took to connect
        (``latency_ms``, said, not judged: :meth:`_query_round_trip` judges the DB's round trip) and the whole probe
        as seen from here (``through_ms``, the SSH hop included)."""
        db = self.profile.db
        self._db_reached.append(host.external_hostname)
        self._db_greeting = self._db_greeting or greeting or ""
        latency_ms = max(0.0, latency_ms)
        announced = announced_version(greeting or "") if db.engine.value == "MYSQL" else None
        if db.engine.value != "MYSQL":
            what = "PostgreSQL port answers"
        elif greeting is None:
            what = "the port answers (bash /dev/tcp: its greeting was not read)"
        elif announced:
            what = f"{server_product('MYSQL', announced)} {short_version('MYSQL', announced)} answers"
        else:
            what = "the port answers but no MySQL greeting was read"
        # one connect is one sample, noisy: the round trip judged is the login's query, the fastest of several
        level = WARNING if db.engine.value == "MYSQL" and greeting is not None and not announced else OK
        self._record(Check(host.external_hostname, "database", level,
                           f"{what}, connecting from the host took about {latency_ms:.0f} ms "
                           f"({through_ms:.0f} ms through SSH from here)"))

    # --- database login (field cases R06, R10) -------------------------------------------------------
    async def _database_login(self) -> None:
        """Log in to the DB with the db.env credentials through an SSH tunnel via the first host that
        reached its port (or, when no host could probe it, the first whose probe was inconclusive), and judge
        the server version (once for the cluster: from the login, else from the greeting), the MySQL 8 auth
        plugin and the privileges. Nothing is tried when every host was refused (the TCP check says so)."""
        candidates = [h for h in self.profile.hosts if h.external_hostname in self._db_reached]
        candidates += [h for h in self.profile.hosts if h.external_hostname in self._db_unknown]
        if not candidates:
            return
        via = candidates[0]
        name, db = via.external_hostname, self.profile.db
        engine = db.engine.value
        try:
            async with self.session.hold.command(name, "a DB login through an SSH tunnel"):
                facts = await read_db_facts(await self._pool.get(via), db)
        except DbLoginError as exc:
            self._db_check(name, "db login", login_failure(exc, db, name))
            self._greeting_version(name)
            return
        except (RemoteError, OSError) as exc:
            why = str(exc) if isinstance(exc, RemoteError) else exc.strerror or "the connection was lost"
            self._db_check(name, "db login", DbJudgement(
                WARNING, f"the login was not tried: no SSH connection to {name} for the tunnel ({why}); the ssh check "
                         f"of {name} says what to fix"))
            self._greeting_version(name)
            return
        self._db_check(name, "db login", DbJudgement(OK, f"logged in as {db.username} through an SSH tunnel via {name}"))
        if facts.query_seconds is not None:
            await self._query_round_trip(via, facts.query_seconds)
        version = judge_server_version(engine, facts.version, self.profile.wa_api_version)
        if version.level == OK:
            version = DbJudgement(OK, f"{server_product(engine, facts.version)} {short_version(engine, facts.version)}")
        self._db_check(name, "db version", version)
        if engine == "MYSQL":
            if server_product(engine, facts.version) == "MySQL":  # the auth plugin rule is MySQL 8's (R06)
                plugin = judge_auth_plugin(facts.version, facts.user_plugin, handshake_plugin(self._db_greeting))
                if facts.plugin_denied and plugin.evidence:
                    plugin = DbJudgement(plugin.level, plugin.reason, plugin.key, f"{plugin.evidence}: {facts.plugin_denied}")
                self._db_check(name, "db auth plugin", plugin)
            self._db_check(name, "db privileges", judge_mysql_grants(db.username, list(facts.grants), db.name_prefix))
        else:
            self._db_check(name, "db privileges", judge_pg_role(db.username, facts.can_create_db, facts.superuser))

    async def _query_round_trip(self, via: HostSpec, seconds: float) -> None:
        """Judge the round trip of a query on the open connection (``seconds``: ``SELECT 1`` through the tunnel via
        ``via``): less the SSH hop to ``via`` (:meth:`_ssh_hop`), it is what the Webapp and Coreapps on that host
        wait for each query; above :data:`DB_LATENCY_WARN_MS` a warning."""
        hop = await self._ssh_hop(via)
        db_ms, total_ms = max(0.0, seconds - hop) * 1000, seconds * 1000
        level = WARNING if db_ms > DB_LATENCY_WARN_MS else OK
        extra = " (the seed asks for a few ms)" if level == WARNING else ""
        self._db_check(via.external_hostname, "db round trip", DbJudgement(
            level, f"a query (SELECT 1) on an open connection from {via.external_hostname} answers in about "
                   f"{db_ms:.0f} ms{extra} ({total_ms:.0f} ms from here, the SSH hop of {hop * 1000:.0f} ms included)"))

    def _greeting_version(self, via: str) -> None:
        """Without a login, the version the greeting announced is judged instead (once, for the cluster)."""
        announced = announced_version(self._db_greeting) if self.profile.db.engine.value == "MYSQL" else None
        if announced:
            judged = judge_server_version("MYSQL", announced, self.profile.wa_api_version)
            self._db_check(via, "db version", DbJudgement(judged.level, f"{judged.reason} (from its greeting)", judged.key, judged.evidence))

    def _db_check(self, host: str, name: str, judged: DbJudgement) -> None:
        """Record a DB check as a cluster check (one DB for the cluster; its text masked like every event)
        and, when it has a catalogue key, its finding on ``host``, the host the tunnel went through."""
        self._record(Check("", name, judged.level, self._redact(judged.reason)))
        if judged.key:
            self.report([diagnosis_for(judged.key, judged.evidence, host)])


def login_failure(exc: DbLoginError, db: DbEnv, via: str) -> DbJudgement:
    """The preflight's words for a DB login that did not happen through ``via``: what failed, the profile field it
    points at and the fix (never a Python class name: issue 17, the PostgreSQL login said "(AttributeError)").
    A refusal of the credentials is a failure (``DB_AUTH_FAILED``); the rest are warnings, since the TCP check of each
    host already judged the DB's reachability."""
    where, product = f"{db.hostname}:{db.port}", PRODUCT[db.engine]
    if exc.refused:
        return DbJudgement(FAILURE, f"DB login refused for WA_DB_USERNAME={db.username}: check db.username and "
                                    f"db.password in the profile (db.env) and the user's allowed hosts", "DB_AUTH_FAILED",
                           f"DB login refused for WA_DB_USERNAME={db.username}: {exc}")
    if exc.prohibited:
        return DbJudgement(WARNING, f"the login was not tried: sshd on {via} refuses TCP forwarding (AllowTcpForwarding "
                                    f"no), which the login's tunnel needs; allow it there, or check db.username and "
                                    f"db.password by hand from {via}")
    if not exc.reached:
        return DbJudgement(WARNING, f"db.hostname/db.port: {exc} (from {via}): check the {product} server runs, listens "
                                    f"on {db.port} and that firewalls let {via} reach it")
    if exc.protocol:
        return DbJudgement(WARNING, f"db.engine/db.port: {exc} through {via}: check that db.port ({db.port}) is the "
                                    f"{product} server's port ({USUAL_PORT[db.engine]} by default) and db.engine "
                                    f"({db.engine.value}) is the server's kind")
    if exc.timeout:
        return DbJudgement(WARNING, f"db.hostname/db.port: {exc} through {via}: check {where} is the {product} server "
                                    "and that it is not overloaded (its log says why it is slow)")
    return DbJudgement(WARNING, f"the {product} server at {where} (db.hostname, db.port) did not let the login through "
                                f"{via} finish: {exc}; fix what its words say on the DB server")
