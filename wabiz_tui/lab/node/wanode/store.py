"""One storage interface over the real database named by ``db.env``: MySQL/MariaDB through
Debian's ``python3-pymysql``, PostgreSQL through ``python3-psycopg2``.

Databases (prefixed with ``WA_DB_NAME_PREFIX``, as the client does, wa-onprem-api.md §1.2; names
from field cases R07/R10): ``clusterStore`` holds ``nodes``, ``leases``, ``account`` and
``schema_info``; ``configStore`` holds ``users``, ``tokens`` and ``app_settings``. The lab's own
database ``wabiz_lab`` (table ``settings``, row ``id = 1``) is read when present, never created.

Times are UNIX seconds from the node's own clock (``time.time()``), so a skewed clock on one host
shows in its leases. Every statement runs in autocommit; a lease changes hands only through one
conditional ``UPDATE`` (the database decides the race).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Mapping

from . import qtpsql

CLUSTER_DB = "clusterStore"
CONFIG_DB = "configStore"
LAB_DB = "wabiz_lab"
#: Seconds a statement may take before the node gives up on it (a DB that accepts connections but
#: stops answering must not freeze a node's lease loop).
QUERY_TIMEOUT = 10

_CLUSTER_TABLES = (
    "CREATE TABLE IF NOT EXISTS nodes (node_id VARCHAR(255) PRIMARY KEY, kind VARCHAR(16) NOT NULL, "
    "hostname VARCHAR(255) NOT NULL, port INT NOT NULL, version VARCHAR(32) NOT NULL, "
    "started_at DOUBLE PRECISION NOT NULL, ready_at DOUBLE PRECISION NOT NULL, heartbeat_at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS leases (name VARCHAR(64) PRIMARY KEY, holder VARCHAR(255) NOT NULL, "
    "acquired_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS account (id INT PRIMARY KEY, cc VARCHAR(8), phone VARCHAR(32), "
    "registered INT NOT NULL, shards INT NOT NULL, pending_cc VARCHAR(8), pending_phone VARCHAR(32), "
    "pending_code VARCHAR(64))",
    "CREATE TABLE IF NOT EXISTS schema_info (id INT PRIMARY KEY, version VARCHAR(32) NOT NULL, "
    "updated_at DOUBLE PRECISION NOT NULL)",
)
_CONFIG_TABLES = (
    "CREATE TABLE IF NOT EXISTS users (username VARCHAR(64) PRIMARY KEY, salt VARCHAR(64) NOT NULL, "
    "pwhash VARCHAR(128) NOT NULL, role VARCHAR(32) NOT NULL, must_change INT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tokens (token_hash VARCHAR(64) PRIMARY KEY, username VARCHAR(64) NOT NULL, "
    "expires_at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS app_settings (id INT PRIMARY KEY, body TEXT NOT NULL)",
)


class DbError(Exception):
    """The database refused or failed; the message is the server's or driver's own words (no password). ``raw``: the
    driver's message untouched when the connection itself failed (libpq's, newlines kept), else ""."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


@dataclass(frozen=True)
class NodeRow:
    """A row of ``clusterStore.nodes``: a node's id (``hostname:container-id``), role and address."""

    node_id: str
    kind: str
    hostname: str
    port: int
    version: str
    started_at: float
    ready_at: float
    heartbeat_at: float


@dataclass(frozen=True)
class Lease:
    """A row of ``clusterStore.leases``: ``primary_master`` or ``shard:<k>``; holder "" = never held."""

    name: str
    holder: str
    acquired_at: float
    expires_at: float


@dataclass(frozen=True)
class Account:
    """The single row of ``clusterStore.account``."""

    cc: str = ""
    phone: str = ""
    registered: bool = False
    shards: int = 1
    pending_cc: str = ""
    pending_phone: str = ""
    pending_code: str = ""


def _words(exc: BaseException) -> str:
    """The server's message of a driver exception, on one line."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):  # pymysql: (errno, message)
        text = str(args[1])
    else:
        text = str(exc)
    return " ".join(text.split()) or exc.__class__.__name__


class Store:
    """The node's view of the database. Build with :meth:`from_env`, then :meth:`connect`.

    ``env`` keys (``db.env``): ``WA_DB_ENGINE`` (``MYSQL`` or ``PGSQL``), ``WA_DB_HOSTNAME``,
    ``WA_DB_PORT``, ``WA_DB_USERNAME``, ``WA_DB_PASSWORD``, optional ``WA_DB_NAME_PREFIX``.
    ``qt_options``: PostgreSQL only, the Qt connect options of a Coreapp/Master/dbupgrade (:mod:`.qtpsql`): the
    connection string is then built as the Qt client builds it; None (the Webapp, a PHP client) leaves them out.
    Methods raise :class:`DbError` with the server's words.
    """

    def __init__(self, engine: str, host: str, port: int, user: str, password: str, prefix: str = "",
                 qt_options: str | None = None) -> None:
        self.engine = engine
        self.qt_options = qt_options
        self.host, self.port, self.username = host, port, user
        self._password = password
        self.prefix = prefix
        self._conns: dict[str, Any] = {}
        self._lock = threading.RLock()

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, qt: bool = False) -> "Store":
        """Settings from the container environment; ``qt``: the node is a Qt client (Coreapp, Master, dbupgrade),
        whose PostgreSQL connection carries the connect options of :func:`.qtpsql.connect_options`. Raises
        :class:`DbError` naming a missing/bad variable."""
        missing = [k for k in ("WA_DB_ENGINE", "WA_DB_HOSTNAME", "WA_DB_PORT", "WA_DB_USERNAME", "WA_DB_PASSWORD")
                   if not env.get(k)]
        if missing:
            raise DbError(f"missing DB setting(s): {', '.join(missing)}")
        engine = env["WA_DB_ENGINE"].strip().upper()
        if engine not in ("MYSQL", "PGSQL"):
            raise DbError(f"WA_DB_ENGINE={env['WA_DB_ENGINE']!r} is not MYSQL or PGSQL")
        try:
            port = int(env["WA_DB_PORT"])
        except ValueError:
            raise DbError(f"WA_DB_PORT={env['WA_DB_PORT']!r} is not a port number") from None
        return cls(engine, env["WA_DB_HOSTNAME"], port, env["WA_DB_USERNAME"], env["WA_DB_PASSWORD"],
                   env.get("WA_DB_NAME_PREFIX", ""), qtpsql.connect_options(env) if qt and engine == "PGSQL" else None)

    # ------------------------------------------------------------------ connections
    def _open(self, database: str | None) -> Any:
        try:
            if self.engine == "MYSQL":
                import pymysql
                return pymysql.connect(host=self.host, port=self.port, user=self.username, password=self._password,
                                       database=database, autocommit=True, connect_timeout=5, charset="utf8mb4",
                                       read_timeout=QUERY_TIMEOUT, write_timeout=QUERY_TIMEOUT)
            import psycopg2
            # the stand-in's own guards (a node must not hang on a silent DB); libpq parses the Qt string first
            guards = dict(options=f"-c statement_timeout={QUERY_TIMEOUT * 1000}", keepalives=1, keepalives_idle=5,
                          keepalives_interval=2, keepalives_count=2)
            if self.qt_options is not None:
                dsn = qtpsql.conninfo(self.host, self.port, self.username, self._password, database or "postgres",
                                      self.qt_options)
                conn = psycopg2.connect(dsn, **guards)
            else:
                conn = psycopg2.connect(host=self.host, port=self.port, user=self.username, password=self._password,
                                        dbname=database or "postgres", connect_timeout=5, **guards)
            conn.autocommit = True
            return conn
        except Exception as exc:  # the driver's own error classes; their words are the point
            raise DbError(_words(exc), qtpsql.libpq_words(str(exc)) if self.engine == "PGSQL" else "") from None

    def _db(self, name: str) -> str:
        return self.prefix + name

    def _quote(self, name: str) -> str:
        return f"`{name}`" if self.engine == "MYSQL" else '"' + name.replace('"', '""') + '"'

    def connect(self) -> str:
        """Log in, create the two databases and their tables when missing; returns the server version."""
        admin = self._open(None)
        try:
            with admin.cursor() as cur:
                cur.execute("SELECT VERSION()")
                version = str(cur.fetchone()[0])
                for name in (CLUSTER_DB, CONFIG_DB):
                    db = self._db(name)
                    if self.engine == "MYSQL":
                        cur.execute(f"CREATE DATABASE IF NOT EXISTS {self._quote(db)}")
                    else:
                        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
                        if cur.fetchone() is None:
                            try:
                                cur.execute(f"CREATE DATABASE {self._quote(db)}")
                            except Exception as exc:
                                text = str(exc).lower()
                                if "already exists" not in text and "duplicate" not in text:  # another node won
                                    raise
        except DbError:
            raise
        except Exception as exc:
            raise DbError(_words(exc)) from None
        finally:
            admin.close()
        for name, tables in ((CLUSTER_DB, _CLUSTER_TABLES), (CONFIG_DB, _CONFIG_TABLES)):
            for ddl in tables:
                self._exec(name, ddl, race_ok=True)
        return version

    def _conn(self, name: str) -> Any:
        conn = self._conns.get(name)
        if conn is None:
            conn = self._conns[name] = self._open(self._db(name))
        return conn

    def _exec(self, name: str, sql: str, args: tuple = (), *, fetch: bool = False, race_ok: bool = False) -> Any:
        """Run one statement on database ``name``; reconnects once if the connection dropped."""
        with self._lock:
            for attempt in (0, 1):
                conn = self._conn(name)
                try:
                    with conn.cursor() as cur:
                        cur.execute(sql, args)
                        return cur.fetchall() if fetch else cur.rowcount
                except Exception as exc:
                    text = _words(exc)
                    # concurrent first starts: PostgreSQL's CREATE ... IF NOT EXISTS can still hit the catalog's unique index
                    if race_ok and ("already exists" in text or "duplicate" in text.lower()):
                        return 0
                    self._conns.pop(name, None)
                    try:
                        conn.close()
                    except Exception:
                        pass
                    if attempt == 1 or not self._is_disconnect(exc):
                        raise DbError(text) from None
        raise AssertionError("unreachable")

    def _is_disconnect(self, exc: BaseException) -> bool:
        if self.engine == "MYSQL":
            return bool(exc.args) and exc.args[0] in (0, 2006, 2013, 2014)
        return exc.__class__.__name__ in ("InterfaceError", "OperationalError")

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for conn in self._conns.values():
                try:
                    conn.close()
                except Exception:
                    pass
            self._conns.clear()

    def _insert_ignore(self, table: str, cols: tuple[str, ...]) -> str:
        marks = ", ".join(["%s"] * len(cols))
        if self.engine == "MYSQL":
            return f"INSERT IGNORE INTO {table} ({', '.join(cols)}) VALUES ({marks})"
        return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}) ON CONFLICT DO NOTHING"

    def _upsert(self, table: str, cols: tuple[str, ...], key: str) -> str:
        marks = ", ".join(["%s"] * len(cols))
        rest = [c for c in cols if c != key]
        if self.engine == "MYSQL":
            sets = ", ".join(f"{c} = VALUES({c})" for c in rest)
            return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}) ON DUPLICATE KEY UPDATE {sets}"
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in rest)
        return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}) ON CONFLICT ({key}) DO UPDATE SET {sets}"

    # ------------------------------------------------------------------ nodes
    def register(self, row: NodeRow) -> None:
        """Insert or replace this node's row."""
        cols = ("node_id", "kind", "hostname", "port", "version", "started_at", "ready_at", "heartbeat_at")
        self._exec(CLUSTER_DB, self._upsert("nodes", cols, "node_id"),
                   (row.node_id, row.kind, row.hostname, row.port, row.version, row.started_at, row.ready_at,
                    row.heartbeat_at))

    def heartbeat(self, node_id: str, now: float) -> None:
        """Mark the node alive at ``now``."""
        self._exec(CLUSTER_DB, "UPDATE nodes SET heartbeat_at = %s WHERE node_id = %s", (now, node_id))

    def nodes(self, alive_since: float) -> list[NodeRow]:
        """Nodes whose last heartbeat is at or after ``alive_since``, ordered by id."""
        rows = self._exec(CLUSTER_DB, "SELECT node_id, kind, hostname, port, version, started_at, ready_at, "
                                      "heartbeat_at FROM nodes WHERE heartbeat_at >= %s ORDER BY node_id",
                          (alive_since,), fetch=True)
        return [NodeRow(str(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4]), float(r[5]), float(r[6]), float(r[7]))
                for r in rows]

    # ------------------------------------------------------------------ leases
    def leases(self) -> dict[str, Lease]:
        """Every lease row by name."""
        rows = self._exec(CLUSTER_DB, "SELECT name, holder, acquired_at, expires_at FROM leases", fetch=True)
        return {str(r[0]): Lease(str(r[0]), str(r[1]), float(r[2]), float(r[3])) for r in rows}

    def acquire(self, name: str, holder: str, now: float, ttl: float) -> bool:
        """Take or renew lease ``name`` until ``now + ttl``; True when ``holder`` holds it afterwards.

        Succeeds only if the lease is free, expired, or already ``holder``'s: one conditional UPDATE,
        so of two racing nodes exactly one wins.
        """
        self._exec(CLUSTER_DB, self._insert_ignore("leases", ("name", "holder", "acquired_at", "expires_at")),
                   (name, "", 0.0, 0.0))
        n = self._exec(CLUSTER_DB, "UPDATE leases SET acquired_at = CASE WHEN holder = %s THEN acquired_at ELSE %s END, "
                                   "holder = %s, expires_at = %s WHERE name = %s AND (holder = %s OR holder = '' "
                                   "OR expires_at < %s)",
                       (holder, now, holder, now + ttl, name, holder, now))
        return n == 1

    def release(self, name: str, holder: str) -> None:
        """Give lease ``name`` back (a never-held lease: the next owner is not a failover)."""
        self._exec(CLUSTER_DB, "UPDATE leases SET holder = '', expires_at = 0 WHERE name = %s AND holder = %s",
                   (name, holder))

    def clear_shard_leases(self) -> None:
        """Forget every shard owner (a new number was registered)."""
        self._exec(CLUSTER_DB, "DELETE FROM leases WHERE name LIKE 'shard:%%'")

    # ------------------------------------------------------------------ account
    def account(self) -> Account:
        """The account row (defaults when none yet)."""
        rows = self._exec(CLUSTER_DB, "SELECT cc, phone, registered, shards, pending_cc, pending_phone, pending_code "
                                      "FROM account WHERE id = 1", fetch=True)
        if not rows:
            return Account()
        r = rows[0]
        return Account(r[0] or "", r[1] or "", bool(r[2]), int(r[3]), r[4] or "", r[5] or "", r[6] or "")

    def save_account(self, a: Account) -> None:
        """Write the account row."""
        cols = ("id", "cc", "phone", "registered", "shards", "pending_cc", "pending_phone", "pending_code")
        self._exec(CLUSTER_DB, self._upsert("account", cols, "id"),
                   (1, a.cc, a.phone, int(a.registered), a.shards, a.pending_cc, a.pending_phone, a.pending_code))

    # ------------------------------------------------------------------ schema version (dbupgrade)
    def schema_version(self) -> str:
        """The schema version recorded by the last dbupgrade ("" when never upgraded)."""
        rows = self._exec(CLUSTER_DB, "SELECT version FROM schema_info WHERE id = 1", fetch=True)
        return str(rows[0][0]) if rows else ""

    def set_schema_version(self, version: str, now: float) -> None:
        """Record ``version`` as the schema version."""
        self._exec(CLUSTER_DB, self._upsert("schema_info", ("id", "version", "updated_at"), "id"), (1, version, now))

    # ------------------------------------------------------------------ Webapp: users, tokens, settings
    def user(self, name: str) -> tuple[str, str, str, bool] | None:
        """``(salt, pwhash, role, must_change)`` of a user, or None."""
        rows = self._exec(CONFIG_DB, "SELECT salt, pwhash, role, must_change FROM users WHERE username = %s",
                          (name,), fetch=True)
        return (str(rows[0][0]), str(rows[0][1]), str(rows[0][2]), bool(rows[0][3])) if rows else None

    def add_user(self, name: str, salt: str, pwhash: str, role: str, must_change: bool, *, replace: bool) -> bool:
        """Create (or with ``replace`` overwrite) a user; False when it exists and ``replace`` is off."""
        cols = ("username", "salt", "pwhash", "role", "must_change")
        sql = self._upsert("users", cols, "username") if replace else self._insert_ignore("users", cols)
        return self._exec(CONFIG_DB, sql, (name, salt, pwhash, role, int(must_change))) > 0

    def add_token(self, token_hash: str, user: str, expires_at: float) -> None:
        """Store a token (by its hash)."""
        self._exec(CONFIG_DB, "INSERT INTO tokens (token_hash, username, expires_at) VALUES (%s, %s, %s)",
                   (token_hash, user, expires_at))

    def token_user(self, token_hash: str, now: float) -> str | None:
        """The user of an unexpired token, or None."""
        rows = self._exec(CONFIG_DB, "SELECT username FROM tokens WHERE token_hash = %s AND expires_at > %s",
                          (token_hash, now), fetch=True)
        return str(rows[0][0]) if rows else None

    def drop_token(self, token_hash: str) -> None:
        """Forget a token (logout)."""
        self._exec(CONFIG_DB, "DELETE FROM tokens WHERE token_hash = %s", (token_hash,))

    def app_settings(self) -> str | None:
        """The JSON text of the application settings, or None when never written."""
        rows = self._exec(CONFIG_DB, "SELECT body FROM app_settings WHERE id = 1", fetch=True)
        return str(rows[0][0]) if rows else None

    def save_app_settings(self, body: str) -> None:
        """Write the JSON text of the application settings."""
        self._exec(CONFIG_DB, self._upsert("app_settings", ("id", "body"), "id"), (1, body))

    # ------------------------------------------------------------------ the lab's settings row
    def lab_settings(self) -> dict[str, Any]:
        """``wabiz_lab.settings`` row ``id = 1`` as ``{"verify_code", "speed", "dbupgrade_fault"}``
        (values None when unset); ``{}`` when the database, table or row does not exist."""
        sql = "SELECT verify_code, speed, dbupgrade_fault FROM settings WHERE id = 1"
        try:
            if self.engine == "MYSQL":
                rows = self._exec(CLUSTER_DB, sql.replace("FROM settings", f"FROM {self._quote(LAB_DB)}.settings"),
                                  fetch=True)
            else:
                conn = self._open(LAB_DB)
                try:
                    with conn.cursor() as cur:
                        cur.execute(sql)
                        rows = cur.fetchall()
                finally:
                    conn.close()
        except DbError:
            return {}
        except Exception:
            return {}
        if not rows:
            return {}
        code, speed, fault = rows[0]
        return {"verify_code": str(code) if code not in (None, "") else None,
                "speed": float(speed) if speed is not None else None,
                "dbupgrade_fault": str(fault) if fault not in (None, "") else None}


def media_dir(env: Mapping[str, str] | None = None) -> str:
    """The media volume's mount point (lab-only override ``WABIZ_LAB_MEDIA_DIR`` for tests)."""
    env = os.environ if env is None else env
    return env.get("WABIZ_LAB_MEDIA_DIR") or "/usr/local/wamedia"
