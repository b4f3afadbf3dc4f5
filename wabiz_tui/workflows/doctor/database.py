"""``doctor``'s database probes: db.env as each host has it, then the DB login with its values, ONCE per distinct
credential set and network position, read for what the rules of :mod:`~wabiz_tui.domain.doctor_rules_db` judge.

- No bare TCP connection to the DB: MySQL counts a connection that ends before its handshake toward
  ``max_connect_errors`` and then blocks the host (error 1129). The login's own connection is the reachability test;
  a TCP-level fact (``P_TCP`` ``what="db"``) is made from it: reached, or the reason it was not (the SSH server's
  "Connection refused", a silence). Only where sshd refuses forwarding does a shell probe connect.
- Hosts with the same db.env DB values (engine, host, port, user, password, SSL settings) form one credential set;
  hosts reached through the same SSH target are one network position (one login stands for all of them).
- Refusals are rationed: MySQL 8 ``FAILED_LOGIN_ATTEMPTS`` and MariaDB ``max_password_errors`` lock an account after
  consecutive failed logins, so one credential set is not tried again after :data:`REFUSAL_BUDGET` consecutive
  refusals (the hosts left are said "not tried", never guessed). Logins of one set run one after the other.
- A refusal is looked at from a second vantage (field reports FR31, FR07): when the server's greeting offers TLS and
  db.env sets no ``WA_DB_SSL_*``, the same credentials over TLS (a TLS-only MariaDB answers a plain login with 1045,
  observed here on MariaDB 10.11.19 with ``require_secure_transport=ON``); otherwise, with ``db_from_here`` (``doctor
  --db-from-here``), the same login from this machine (an account restricted to other hosts answers 1045 too:
  observed on the lab). Without it a fact says no such login was made: it would send the credentials over a path
  the cluster never uses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import posixpath
import re
import shlex
import ssl
from typing import Any

from ...domain.dbsupport import NATIVE_PLUGIN, missing_mysql_privileges
from ...domain.doctor import P_DB_GRANTS, P_DB_LOGIN, P_DB_SERVER, P_DB_TLS, P_DB_VARS, P_DNS, P_ENV, P_TCP
from ...domain.envrules import ERROR, SSL_VARS, WARNING, check_db_env_text, effective, read_env_text
from ...domain.model import DbEngine, DbEnv, HostSpec
from ...domain.pgoptions import PgOptions, coreapp_options, connection_option_findings
from ...domain.render import DB_ENV_FILE
from ...remote.dblogin import DbFacts, DbLoginError, read_db_facts, read_db_facts_here
from ...remote.errors import RemoteError
from .network import NetworkProbes

#: Consecutive refusals of one credential set after which it is not tried again in this run.
REFUSAL_BUDGET = 2
#: a password hash in SHOW GRANTS: MySQL/MariaDB "IDENTIFIED BY PASSWORD '*…'", MariaDB 10.4+ "IDENTIFIED VIA
#: mysql_native_password USING '*…' OR unix_socket" and "IDENTIFIED VIA ed25519 USING '…'" (MariaDB's SHOW GRANTS
#: page); quotes doubled inside a quoted string are part of it
_HASH = re.compile(r"\b(IDENTIFIED BY PASSWORD|USING)\s+'(?:[^']|'')*'", re.IGNORECASE)


def mask_grant(line: str) -> str:
    """One SHOW GRANTS line with every password hash replaced by ``'…'`` (the hash must never reach a fact)."""
    return _HASH.sub(lambda m: f"{m.group(1)} '…'", line)


@dataclasses.dataclass
class _Seen:
    """What one host's db.env says: the DB values its containers get, the WA_DB_SSL_* names it sets, the client's
    idle timeout (ms) and name prefix."""

    host: HostSpec
    db: DbEnv
    ssl: tuple[str, ...] = ()
    #: PostgreSQL: the libpq options the Coreapp builds from this db.env (FR09, R07)
    pg: PgOptions | None = None


@dataclasses.dataclass
class _Budget:
    refusals: int = 0
    proven: bool = False  # the credentials were accepted somewhere: a refusal is about the place, not the password


class DatabaseProbes(NetworkProbes):
    """db.env and the DB."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._seen_db: list[_Seen] = []
        #: credential sets whose server facts are made (once each)
        self._server_read: set[tuple[object, ...]] = set()

    # ---- db.env, per host -------------------------------------------------------------------------------
    async def _db(self, host: HostSpec) -> None:
        """db.env as the host has it (judged, compared with the profile); the login comes later, once per credential
        set and position (:meth:`_databases`)."""
        seen = _Seen(host, self.profile.db)
        try:
            seen = await asyncio.wait_for(self._db_env(host), self.probe_timeout)
        except (TimeoutError, RemoteError):
            pass  # said by the facts that follow: the login is tried with the profile's values
        self._seen_db.append(seen)

    async def _db_env(self, host: HostSpec) -> _Seen:
        """Read ``remote_dir/db.env`` (never shown: only the names of findings and differences become facts, and its
        password is masked like the profile's); returns the DB values the containers on this host get (the profile's
        where the file lacks one) and the WA_DB_SSL_* it sets."""
        name, path = host.external_hostname, posixpath.join(host.remote_dir, DB_ENV_FILE)
        command = f"cat {shlex.quote(path)}"
        status, lines = await self._sh(host, command)
        if status != 0:
            self._fact(P_ENV, name, command, f"{path} cannot be read (status {status})", None, why="no db.env on the host")
            return _Seen(host, self.profile.db)
        text = "\n".join(lines) + "\n"
        values = {k: v for k, (v, _) in effective(read_env_text(text)[0]).items()}
        if values.get("WA_DB_PASSWORD"):
            self.extra_secrets.append(values["WA_DB_PASSWORD"])
        for finding in check_db_env_text(text):
            if finding.severity in (ERROR, WARNING):
                self._fact(P_ENV, name, command, str(finding), finding.severity != ERROR, key=finding.key,
                           severity=finding.severity, field=finding.field, source=finding.source, fix=finding.fix)
        for message, fix, source in connection_option_findings(values):
            self._fact(P_ENV, name, command, message, False, key="DB_PG_OPTION", severity=ERROR,
                       field="WA_DB_CONNECTION_OPTION", source=source, fix=fix)
        pg = coreapp_options(values) if values.get("WA_DB_ENGINE", "").upper() == "PGSQL" else None
        db = self.profile.db
        mine = {"WA_DB_ENGINE": db.engine.value, "WA_DB_HOSTNAME": db.hostname, "WA_DB_PORT": str(db.port),
                "WA_DB_USERNAME": db.username, "WA_DB_PASSWORD": db.password}
        differs = [k for k, v in mine.items() if k in values and values[k] != v]
        self._fact(P_ENV, name, command, f"{path} differs from the profile in {', '.join(differs)}" if differs
                   else f"{path} has the profile's DB values", not differs, differs=differs,
                   profile_hostname=db.hostname)
        ssl_set = tuple(k for k in SSL_VARS if values.get(k))
        try:
            idle = values.get("WA_DB_CONNECTION_IDLE_TIMEOUT", "")
            return _Seen(host, dataclasses.replace(
                db, engine=DbEngine(values.get("WA_DB_ENGINE", db.engine.value).upper()),
                hostname=values.get("WA_DB_HOSTNAME", db.hostname), port=int(values.get("WA_DB_PORT", db.port)),
                username=values.get("WA_DB_USERNAME", db.username), password=values.get("WA_DB_PASSWORD", db.password),
                connection_idle_timeout_ms=int(idle) if idle.isdigit() else db.connection_idle_timeout_ms,
                name_prefix=values.get("WA_DB_NAME_PREFIX", db.name_prefix)), ssl_set, pg)
        except ValueError:
            return _Seen(host, db, ssl_set, pg)  # a value the client cannot read either: its finding says so

    # ---- the logins -------------------------------------------------------------------------------------
    async def _databases(self) -> None:
        """Log in once per credential set and network position (see the module docstring)."""
        groups: dict[tuple[object, ...], list[_Seen]] = {}
        order = {h.external_hostname: i for i, h in enumerate(self.profile.hosts)}  # the profile's order, not the reads'
        for seen in sorted(self._seen_db, key=lambda x: order.get(x.host.external_hostname, len(order))):
            d = seen.db
            pg = seen.pg.pairs if seen.pg else ()
            groups.setdefault((d.engine, d.hostname, d.port, d.username, d.password, seen.ssl, pg), []).append(seen)
        # one set after another (several sets only when hosts' db.env differ), each login fact marked with its set:
        # a refusal is compared with an acceptance of the same credentials only
        for number, members in enumerate(groups.values()):
            start = len(self.facts)
            await self._credential_set(members)
            self.facts[start:] = [dataclasses.replace(f, data={**f.data, "credentials": number})
                                  if f.probe == P_DB_LOGIN else f for f in self.facts[start:]]

    async def _credential_set(self, members: list[_Seen]) -> None:
        """One login per network position, one after another while they are refused (a lockout counts refusals);
        once a login is accepted or does not reach the DB, the positions left log in in parallel, at most as many
        at once as refusals are still allowed (a firewall dropping the DB port must not cost 10 s per host)."""
        by_position: dict[tuple[object, ...], list[_Seen]] = {}
        for seen in members:
            t = seen.host.ssh
            by_position.setdefault((t.alias, t.host, t.port, t.user, t.jump), []).append(seen)
        budget = _Budget()
        positions = list(by_position.values())
        done = 0
        while done < len(positions):
            outcome = await self._position(positions[done], done == 0, budget)
            done += 1
            if not (isinstance(outcome, DbLoginError) and outcome.refused):
                break
        gate = asyncio.Semaphore(max(1, REFUSAL_BUDGET - budget.refusals))

        async def gated(same: list[_Seen]) -> None:
            """The login from one network position (``same``: hosts behind one SSH target), at most as many at once as
            refusals remain in the budget."""
            async with gate:
                await self._position(same, False, budget)
        await asyncio.gather(*(gated(same) for same in positions[done:]))

    async def _position(self, same: list[_Seen], first_position: bool,
                        budget: _Budget) -> DbFacts | DbLoginError | None:
        """The login from one network position (``same``: the hosts behind one SSH target), unless the refusal
        budget is spent; the other hosts there get a fact pointing at it. Returns the login's outcome."""
        first = same[0]
        if budget.refusals >= REFUSAL_BUDGET and not budget.proven:
            for seen in same:
                self._fact(P_DB_LOGIN, seen.host.external_hostname, self._login_command(seen, seen.host.external_hostname),
                           f"not tried: the same credentials were refused {budget.refusals} times in a row (MySQL "
                           "FAILED_LOGIN_ATTEMPTS / MariaDB max_password_errors would lock the account)", None,
                           user=seen.db.username, why="login not tried (refusal budget)")
            return None
        outcome = await self._login_from(first, budget)
        if isinstance(outcome, DbLoginError) and outcome.refused and first_position and budget.refusals < REFUSAL_BUDGET \
                and not budget.proven:
            if self.db_from_here:
                await self._login_here(first, budget)
            else:
                self._fact(P_DB_LOGIN, "", self._login_command(first, ""), "no login from this machine: doctor "
                           "--db-from-here makes one (it sends db.env's credentials from here)", None,
                           user=first.db.username, position="here", why="login from here not asked for", opt_in=True)
        for seen in same[1:]:
            self._fact(P_DB_LOGIN, seen.host.external_hostname, f"(the login from {first.host.external_hostname})",
                       f"{seen.host.external_hostname} is reached through the same SSH target as "
                       f"{first.host.external_hostname}: its login stands for both", None, user=seen.db.username,
                       why="same network position", same_as=first.host.external_hostname)
        return outcome

    def _login_command(self, seen: _Seen, where: str, tls: bool = False) -> str:
        d = seen.db
        engine = "mysql" if d.engine is DbEngine.MYSQL else "postgresql"
        how = "TLS, certificate not verified" if tls and not seen.ssl else ("TLS" if tls else "plain TCP")
        if d.engine is DbEngine.PGSQL:
            how = _pg_how(seen.pg, tls)
        via = "this machine" if not where else f"{where} (ssh direct-tcpip)"
        return f"{engine} login {d.username}@{d.hostname}:{d.port} from {via}, db.env values, {how}"

    async def _login_from(self, seen: _Seen, budget: _Budget) -> DbFacts | DbLoginError | None:
        """The login from ``seen.host`` with its db.env values (TLS when db.env sets WA_DB_SSL_*); on a refusal by a
        server that offers TLS while db.env sets none, once more over TLS. Makes the login, TCP and server facts."""
        host, name, d = seen.host, seen.host.external_hostname, seen.db
        tls = _wants_tls(seen)
        command = self._login_command(seen, name, tls)
        try:
            conn = await self._pool.get(host)
            got = await read_db_facts(conn, d, timeout=self.probe_timeout, tls=_login_tls(seen, tls))
        except DbLoginError as exc:
            self._login_failed(seen, name, command, exc, budget)
            if exc.prohibited:
                await self._timed(P_TCP, name, f"tcp {d.hostname}:{d.port}", self._connect(host, d.hostname, int(d.port), "db"))
            elif exc.refused and exc.server_tls and not tls and budget.refusals < REFUSAL_BUDGET:
                await self._tls_retry(seen, exc, command, budget)
            return exc
        except (RemoteError, OSError) as exc:
            self._fact(P_DB_LOGIN, name, command, f"no SSH channel: {exc.__class__.__name__}", None, user=d.username,
                       why="no SSH channel to the DB")
            return None
        self._tcp_reached(name, d)
        self._logged_in(seen, name, command, got, budget)
        return got

    async def _tls_retry(self, seen: _Seen, plain: DbLoginError, plain_command: str, budget: _Budget) -> None:
        name, d = seen.host.external_hostname, seen.db
        command = self._login_command(seen, name, True)
        try:
            got = await read_db_facts(await self._pool.get(seen.host), d, timeout=self.probe_timeout, tls=_unverified())
        except DbLoginError as exc:
            if exc.refused:
                budget.refusals += 1
            self._fact(P_DB_TLS, name, command, f"refused over TLS too: {exc}", True, user=d.username, code=exc.code,
                       ssl=list(seen.ssl))
            return
        except (RemoteError, OSError):
            return
        budget.refusals, budget.proven = 0, True
        secure = {True: "ON", False: "OFF", None: "not readable"}[got.secure_transport]
        self._fact(P_DB_TLS, name, f"{plain_command}; then {command}",
                   f"plain login refused ({plain}); the same credentials over TLS accepted "
                   f"(require_secure_transport {secure})", False, user=d.username, code=plain.code, ssl=list(seen.ssl),
                   engine=d.engine.value, secure_transport=got.secure_transport)
        self._server_facts(seen, name, got)

    async def _login_here(self, seen: _Seen, budget: _Budget) -> None:
        """The refused login once more from this machine: accepted here means the account does not allow the host."""
        d = seen.db
        tls = _wants_tls(seen)
        command = self._login_command(seen, "", tls)
        address = await self._address_here(d.hostname, seen.host.external_hostname)
        if address != d.hostname:
            command += f", to {address} ({d.hostname} as {seen.host.external_hostname} resolves it)"
        try:
            got = await read_db_facts_here(dataclasses.replace(d, hostname=address), timeout=self.probe_timeout,
                                           tls=_login_tls(seen, tls))
        except DbLoginError as exc:
            if not exc.reached:
                self._fact(P_DB_LOGIN, "", command, f"not reached from this machine: {exc}", None, user=d.username,
                           position="here", why="this machine does not reach the DB")
                return
            self._login_failed(seen, "", command, exc, budget, position="here")
            return
        except OSError as exc:
            self._fact(P_DB_LOGIN, "", command, f"not reached from this machine: {exc.__class__.__name__}", None,
                       user=d.username, position="here", why="this machine does not reach the DB")
            return
        self._logged_in(seen, "", command, got, budget, position="here")

    async def _address_here(self, name: str, via: str) -> str:
        """``name`` when this machine resolves it, else the address ``via`` resolved it to (its ``getent hosts``
        fact): the DB's name is often known only to the cluster's DNS (the lab's is)."""
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.getaddrinfo(name, None), 3)
            return name
        except (OSError, TimeoutError):
            pass
        seen = next((f for f in self.facts if f.probe == P_DNS and f.host == via and f.get("name") == name and f.ok), None)
        return seen.line.split()[0] if seen is not None and seen.line.split() else name

    # ---- facts ------------------------------------------------------------------------------------------
    def _login_failed(self, seen: _Seen, name: str, command: str, exc: DbLoginError, budget: _Budget,
                      **data: Any) -> None:
        d = seen.db
        if not exc.reached:
            self._fact(P_TCP, name, f"tcp connect {d.hostname}:{d.port} from {name} (the DB login's own connection, "
                       "ssh direct-tcpip)", str(exc), None if exc.prohibited else False, target=d.hostname,
                       port=int(d.port), what=self._what(d), timeout=exc.timeout,
                       **({"why": "sshd refuses forwarding"} if exc.prohibited else {}))
        elif name:
            self._tcp_reached(name, d)
        if exc.refused:
            budget.refusals += 1
        self._fact(P_DB_LOGIN, name, command, str(exc), None if exc.prohibited else False, user=d.username,
                   target=d.hostname, port=int(d.port), refused=exc.refused, code=exc.code, reached=exc.reached,
                   server_tls=exc.server_tls,
                   **({"why": "sshd refuses forwarding"} if exc.prohibited else {}), **data)

    def _tcp_reached(self, name: str, d: DbEnv) -> None:
        self._fact(P_TCP, name, f"tcp connect {d.hostname}:{d.port} from {name} (the DB login's own connection, "
                   "ssh direct-tcpip)", "connected: the server answered the login", True, target=d.hostname,
                   port=int(d.port), what=self._what(d), timeout=False)

    def _what(self, d: DbEnv) -> str:
        """``db`` for the profile's DB; ``db.env-target`` where a host's db.env points elsewhere (ENV_DIFFERS names
        that host: its failure is not the DB's, nor the network path's to it)."""
        same = (d.hostname, int(d.port)) == (self.profile.db.hostname, int(self.profile.db.port))
        return "db" if same else "db.env-target"

    def _logged_in(self, seen: _Seen, name: str, command: str, got: DbFacts, budget: _Budget, **data: Any) -> None:
        budget.refusals, budget.proven = 0, True
        d = seen.db
        self._fact(P_DB_LOGIN, name, command, f"logged in as {got.current_user or d.username}; server {got.version}",
                   True, user=d.username, target=d.hostname, port=int(d.port), refused=False, version=got.version,
                   current_user=got.current_user, tls=got.tls, **data)
        self._server_facts(seen, name, got)

    def _server_facts(self, seen: _Seen, name: str, got: DbFacts) -> None:
        """What one successful login read, once per credential set (the first login that read it)."""
        key = (seen.db.hostname, seen.db.port, seen.db.username, seen.ssl)
        if key in self._server_read:
            return
        self._server_read.add(key)
        d, mysql = seen.db, seen.db.engine is DbEngine.MYSQL
        account = got.current_user or d.username
        where = name or "this machine"
        plugin = got.user_plugin or ""
        self._fact(P_DB_SERVER, name, "SELECT VERSION(); SELECT plugin FROM mysql.user WHERE "
                   "CONCAT(user,'@',host)=CURRENT_USER()" if mysql else "SHOW server_version",
                   f"server {got.version}" + (f"; {account} logs in with {plugin}" if plugin else
                                              f"; plugin not readable: {got.plugin_denied}" if got.plugin_denied else ""),
                   plugin in ("", NATIVE_PLUGIN), engine=d.engine.value, version=got.version, plugin=got.user_plugin,
                   plugin_denied=got.plugin_denied, api_version=self.profile.wa_api_version, via=where)
        grants = [mask_grant(g) for g in got.grants]
        if mysql:
            missing = missing_mysql_privileges(grants, d.name_prefix)
            shown = " | ".join(_scope_first(g) for g in grants) or "no grants"
            self._fact(P_DB_GRANTS, name, f"SHOW GRANTS (as {account})",
                       (f"lacks {', '.join(missing)}; " if missing else "") + shown, not missing,
                       engine=d.engine.value, user=d.username, account=account, grants=grants, missing=missing,
                       prefix=d.name_prefix)
        else:
            ok = got.can_create_db or got.superuser
            self._fact(P_DB_GRANTS, name, "SELECT rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user",
                       f"rolcreatedb {got.can_create_db}, rolsuper {got.superuser}", ok, engine=d.engine.value,
                       user=d.username, account=account, grants=[], missing=[] if ok else ["CREATEDB"], prefix=d.name_prefix)
        idle = d.connection_idle_timeout_ms if mysql else 0
        words = [f"read_only {'ON' if got.read_only else 'OFF' if got.read_only is not None else '?'}"]
        if got.wait_timeout is not None:
            words.append(f"wait_timeout {got.wait_timeout} s")
        if idle:
            words.append(f"client idle timeout {idle} ms (WA_DB_CONNECTION_IDLE_TIMEOUT)")
        short = got.wait_timeout is not None and idle > 0 and got.wait_timeout * 1000 <= idle
        self._fact(P_DB_VARS, name, "SELECT @@read_only, @@wait_timeout, @@require_secure_transport" if mysql
                   else "SHOW transaction_read_only; SELECT pg_is_in_recovery()", ", ".join(words),
                   not got.read_only and not short, engine=d.engine.value, read_only=got.read_only,
                   wait_timeout=got.wait_timeout, idle_ms=idle, secure_transport=got.secure_transport, grants=grants,
                   account=account)


_GRANT = re.compile(r"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<scope>\S+)\s+TO\s+(?P<who>\S+)", re.IGNORECASE)


def _scope_first(grant: str) -> str:
    """``GRANT a, b ON *.* TO `u`@`%` ...`` as ``ON *.* TO `u`@`%`: a, b`` (the scope survives the evidence's cut)."""
    m = _GRANT.match(grant.strip())
    return f"ON {m['scope']} TO {m['who']}: {m['privs']}" if m else grant


def _unverified() -> ssl.SSLContext:
    """TLS without checking the server's certificate: doctor proves the server takes TLS; the CA db.env names lives
    in the containers, not here."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _wants_tls(seen: _Seen) -> bool:
    """The containers log in over TLS: MySQL with WA_DB_SSL_* set, PostgreSQL with sslmode require or stronger."""
    if seen.db.engine is DbEngine.MYSQL:
        return bool(seen.ssl)
    return bool(seen.pg and seen.pg.tls_required)


def _login_tls(seen: _Seen, tls: bool) -> ssl.SSLContext | str | None:
    """What the login asks of TLS: MySQL with WA_DB_SSL_*, or PostgreSQL with sslmode require and stronger: TLS
    (certificate not verified, see :func:`_unverified`); PostgreSQL below that: the sslmode itself (libpq's meaning);
    else nothing (plain MySQL)."""
    if tls:
        return _unverified()
    return seen.pg.sslmode if seen.pg is not None else None


def _pg_how(pg: PgOptions | None, tls: bool) -> str:
    """The PostgreSQL login's TLS in words, with the Coreapp's libpq options (secrets masked) and libpq's refusal of
    them when it refuses (FR09: the Coreapp then never connects; doctor logs in with the rest to test the DB)."""
    if pg is None:
        return "TLS if offered (sslmode=prefer)"
    how = f"sslmode={pg.sslmode}" + (", TLS required" if tls and pg.tls_required else
                                      ", over TLS all the same (doctor's second try)" if tls else "")
    if pg.sslmode.startswith("verify"):
        how += f", certificate not verified here (sslrootcert={pg.sslrootcert or '~/.postgresql/root.crt'} is a path " \
               "in the containers)"
    if pg.refusal:
        how += f"; the Coreapp's options {pg.shown()} are refused by libpq before connecting ({pg.refusal})"
    return how
