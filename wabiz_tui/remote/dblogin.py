"""Log in to the cluster's database with the ``db.env`` credentials, through one cluster host (the DB is usually
reachable only from the cluster network), and read what the preflight and ``doctor`` judge (field cases R06, R10;
field reports FR07, FR31, FR35, FR36): the server version, for MySQL 8 the user's auth plugin and for every MySQL
the user's grants, ``CURRENT_USER()``, ``@@read_only``, ``@@wait_timeout`` and ``@@require_secure_transport``; for
PostgreSQL whether the role may create databases and whether the server is read-only.

The login travels on one SSH ``direct-tcpip`` channel opened from the host to the DB (the host itself connects) and
relayed to a local port bound to 127.0.0.1 for the client library: the channel is opened first, so a DB that cannot be
reached is told apart (with the SSH server's reason, e.g. "Connection refused") from one that refuses the login, and
the login *is* the reachability test (no bare TCP connection that MySQL would count toward ``max_connect_errors``).
The relay also reads the server's first packet: a MySQL greeting says whether the server offers TLS.

The clients are ``aiomysql`` (pure Python, on PyMySQL; plain TCP unless a TLS context is given, like the Webapp
without ``WA_DB_SSL_*``) and ``asyncpg``. No error carries the password: messages are the server's own refusal
texts, which never contain it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncssh

from ..domain.model import DbEngine, DbEnv

#: Seconds for the whole login and its queries.
LOGIN_TIMEOUT = 15.0
#: MySQL errors that mean the credentials were refused (ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR,
#: ER_ACCESS_DENIED_NO_PASSWORD_ERROR); PostgreSQL: SQLSTATE class 28 (invalid authorization).
MYSQL_REFUSALS = (1045, 1044, 1698)
#: The query MySQL 8 answers with the login user's own auth plugin (field case R06).
MYSQL_USER_PLUGIN = "SELECT plugin FROM mysql.user WHERE CONCAT(user,'@',host)=CURRENT_USER()"
PG_ROLE = "SELECT rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user"
#: Whether this session is over TLS, as the server sees it.
PG_SSL = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
#: The engine's product name, for messages.
PRODUCT = {DbEngine.MYSQL: "MySQL", DbEngine.PGSQL: "PostgreSQL"}


#: ``SELECT 1`` timed this many times on the open connection; the fastest is the round trip (no login, no
#: connection setup, the least scheduling noise)
QUERY_SAMPLES = 5


async def _fastest(query: Callable[[], Awaitable[object]]) -> float | None:
    """Seconds of the fastest of :data:`QUERY_SAMPLES` awaits of ``query()``; None when the server refuses it
    (a timing must never cost the facts already read)."""
    best = float("inf")
    for _ in range(QUERY_SAMPLES):
        start = time.monotonic()
        try:
            await query()
        except Exception:  # noqa: BLE001 - whatever the server or the driver says: no timing
            return None
        best = min(best, time.monotonic() - start)
    return best


@dataclass(frozen=True)
class DbFacts:
    """What the login read. ``version`` as the server says it; MySQL: ``user_plugin`` (None when
    ``mysql.user`` may not be read, or before MySQL 8) with the refusal in ``plugin_denied``, and
    ``grants`` (``SHOW GRANTS`` lines); PostgreSQL: ``can_create_db`` and ``superuser`` of the role."""

    version: str
    user_plugin: str | None = None
    plugin_denied: str = ""
    grants: tuple[str, ...] = ()
    can_create_db: bool = False
    superuser: bool = False
    #: the account the server matched (``user@host`` as ``CURRENT_USER()`` says it; "" when not read)
    current_user: str = ""
    #: ``@@read_only`` (PostgreSQL: ``transaction_read_only``); None when not read
    read_only: bool | None = None
    #: this session's ``@@wait_timeout`` in seconds (the client's sessions get the same: both are non-interactive)
    wait_timeout: int | None = None
    #: ``@@require_secure_transport``; None when the server has no such variable
    secure_transport: bool | None = None
    #: whether this login used TLS
    tls: bool = False
    #: seconds of the fastest of :data:`QUERY_SAMPLES` ``SELECT 1`` on the open connection (SSH hop included)
    query_seconds: float | None = None


@dataclass(frozen=True)
class PortProbe:
    """What a TCP connection from a host to the DB port found: ``reached``; ``seconds`` to connect (SSH round
    trip included); ``first`` the bytes the server sent first (a MySQL greeting; empty for PostgreSQL);
    ``error`` why not reached, as the SSH server said it; ``prohibited`` True when the SSH server refuses
    forwarding (OpenSSH ``AllowTcpForwarding no``): then nothing is known."""

    reached: bool
    seconds: float = 0.0
    first: bytes = b""
    error: str = ""
    prohibited: bool = False


async def probe_port(conn: asyncssh.SSHClientConnection, host: str, port: int, *, read_first: bool,
                     timeout: float = 5.0) -> PortProbe:
    """Connect to ``host:port`` from the SSH server's side of ``conn`` (a ``direct-tcpip`` channel: the host
    itself connects, no ``nc`` needed on it) and, with ``read_first``, read what the server says first
    (at most 512 bytes within 3 s). ``timeout`` (s) bounds the connection."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        reader, writer = await asyncio.wait_for(conn.open_connection(host, int(port)), timeout)
    except asyncssh.ChannelOpenError as exc:
        return PortProbe(False, loop.time() - start, error=exc.reason or "connection refused",
                         prohibited=exc.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED)
    except TimeoutError:
        return PortProbe(False, loop.time() - start, error=f"no answer within {timeout:.0f} s")
    seconds = loop.time() - start
    first = b""
    try:
        if read_first:
            first = await asyncio.wait_for(reader.read(512), 3.0)
    except (TimeoutError, asyncssh.Error, OSError):
        pass
    finally:
        writer.close()
    return PortProbe(True, seconds, first)


class DbLoginError(Exception):
    """The login did not happen. ``refused`` is True when the server refused the credentials; ``code`` the
    server's error number (0: none); ``reached`` False when no TCP connection to the DB was made (then the message
    is the reason, ``prohibited`` whether sshd refuses forwarding); ``timeout`` whether it was a silence (before the
    connection, or during the login);
    ``server_tls`` whether the server's greeting offered TLS (None: no greeting read); ``protocol`` True when something
    answered on the port but no login of the engine came of it (another service there, or the client library gave up
    on the answer). The message is safe to show: words, never a Python class name."""

    def __init__(self, message: str, *, refused: bool, code: int = 0, reached: bool = True, timeout: bool = False,
                 prohibited: bool = False, server_tls: bool | None = None, protocol: bool = False) -> None:
        super().__init__(message)
        self.refused = refused
        self.code = code
        self.reached = reached
        self.timeout = timeout
        self.prohibited = prohibited
        self.server_tls = server_tls
        self.protocol = protocol


#: MySQL's CLIENT_SSL capability flag (the server offers TLS), in the greeting's lower capability bytes.
CLIENT_SSL = 0x0800
#: MySQL client errors meaning no server was reached (CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST).
MYSQL_UNREACHED = (2002, 2003, 2005)


def greeting_offers_tls(packet: bytes) -> bool | None:
    """Whether a MySQL greeting packet (header included) sets CLIENT_SSL; None when ``packet`` is no greeting
    (protocol 10: version NUL-terminated, thread id 4 bytes, scramble 8, filler 1, capabilities 2 little-endian)."""
    if len(packet) < 5 or packet[4] != 10:
        return None
    end = packet.find(b"\0", 5)
    at = end + 1 + 4 + 8 + 1
    if end < 0 or len(packet) < at + 2:
        return None
    return bool(struct.unpack_from("<H", packet, at)[0] & CLIENT_SSL)


class _Relay:
    """One already open channel to the DB served once on 127.0.0.1:``port`` (the client library connects there);
    ``first`` keeps the server's first bytes."""

    def __init__(self, reader: asyncssh.SSHReader[bytes], writer: asyncssh.SSHWriter[bytes]) -> None:
        self._reader, self._writer = reader, writer
        self._used = False
        self.first = b""
        self._server: asyncio.AbstractServer | None = None
        #: the server's task serving each local connection (asyncio's, one per connection), ended by :meth:`close`
        self._serving: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen on 127.0.0.1 for the one local connection to relay; returns its port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, lr: asyncio.StreamReader, lw: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._serving.add(task)
        try:
            if self._used:
                lw.close()
                return
            self._used = True
            await asyncio.gather(self._pump(lr, self._writer, False), self._pump(self._reader, lw, True))
        except asyncio.CancelledError:
            # ended by close(): this task must not end cancelled, asyncio's own callback on it would print "Exception
            # in callback StreamReaderProtocol.connection_made.<locals>.callback … CancelledError" (Python 3.11's
            # streams.py calls task.exception() without checking task.cancelled())
            lw.close()

    async def _pump(self, src: Any, dst: Any, from_server: bool) -> None:
        try:
            while data := await src.read(65536):
                if from_server and not self.first:
                    self.first = data
                dst.write(data)
                await dst.drain()
        except (OSError, asyncssh.Error):
            pass
        finally:
            with contextlib.suppress(Exception):
                dst.close()

    async def close(self) -> None:
        """Close the SSH channel, end the local connection's relaying (cancelled and awaited) and close the local
        listener (waiting at most 2 s for each); never raises."""
        with contextlib.suppress(Exception):
            self._writer.close()
        for task in self._serving:
            task.cancel()
        if self._serving:
            await asyncio.wait(self._serving, timeout=2)
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)


async def read_db_facts(conn: asyncssh.SSHClientConnection, db: DbEnv, *, timeout: float = LOGIN_TIMEOUT,
                        tls: ssl.SSLContext | str | None = None) -> DbFacts:
    """Log in to ``db`` from the host of ``conn`` and read :class:`DbFacts` (MySQL over TLS with the context ``tls``;
    plain TCP without; PostgreSQL: see :func:`_postgres`). ``timeout`` (s) bounds the connection and, again, the
    login. Raises :class:`DbLoginError`."""
    try:
        reader, writer = await asyncio.wait_for(conn.open_connection(db.hostname, int(db.port)), timeout)
    except asyncssh.ChannelOpenError as exc:
        raise DbLoginError(f"{db.hostname}:{db.port}: {exc.reason or 'connection refused'}", refused=False, reached=False,
                           prohibited=exc.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED) from None
    except TimeoutError:
        raise DbLoginError(f"{db.hostname}:{db.port}: no answer within {timeout:.0f} s", refused=False, reached=False,
                           timeout=True) from None
    relay = _Relay(reader, writer)
    try:
        port = await relay.start()
        return await _login("127.0.0.1", port, db, timeout, tls, relay)
    finally:
        await relay.close()


async def read_db_facts_here(db: DbEnv, *, timeout: float = LOGIN_TIMEOUT,
                             tls: ssl.SSLContext | str | None = None) -> DbFacts:
    """The same login from this machine's own network (no host in between). Raises :class:`DbLoginError`."""
    return await _login(db.hostname, int(db.port), db, timeout, tls, None)


async def _login(host: str, port: int, db: DbEnv, timeout: float, tls: ssl.SSLContext | str | None,
                 relay: _Relay | None) -> DbFacts:
    try:
        if db.engine is DbEngine.MYSQL:
            return await asyncio.wait_for(_mysql(host, port, db, tls if isinstance(tls, ssl.SSLContext) else None),
                                          timeout)
        return await asyncio.wait_for(_postgres(host, port, db, tls), timeout)
    except TimeoutError:
        raise DbLoginError(f"{db.hostname}:{db.port} did not complete a login within {timeout:.0f} s", refused=False,
                           timeout=True) from None
    except DbLoginError as exc:
        if relay is not None and exc.server_tls is None:
            exc.server_tls = greeting_offers_tls(relay.first)
        if relay is not None and exc.code in MYSQL_UNREACHED:
            exc.reached = True  # the channel to the DB was open: the server hung up, it was reached
        raise
    except Exception:  # noqa: BLE001 - another service on the port, or a protocol error: no login
        raise DbLoginError(f"{db.hostname}:{db.port} answered, but no {PRODUCT[db.engine]} login came of it",
                           refused=False, protocol=True) from None


async def _mysql(host: str, port: int, db: DbEnv, tls: ssl.SSLContext | None = None) -> DbFacts:
    import aiomysql
    import pymysql

    try:
        conn = await aiomysql.connect(host=host, port=port, user=str(db.username), password=str(db.password),
                                      connect_timeout=LOGIN_TIMEOUT, autocommit=True, ssl=tls)
    except pymysql.err.MySQLError as exc:
        code, text = _mysql_error(exc)
        raise DbLoginError(text, refused=code in MYSQL_REFUSALS, code=code, reached=code not in MYSQL_UNREACHED) from None
    try:
        async with conn.cursor() as cur:
            await cur.execute("SELECT VERSION()")
            version = str((await cur.fetchone())[0])
            plugin, denied = None, ""
            if not version.startswith(("5.", "4.")):
                try:
                    await cur.execute(MYSQL_USER_PLUGIN)
                    row = await cur.fetchone()
                    plugin = str(row[0]) if row else None
                    denied = "" if row else "mysql.user has no row for CURRENT_USER()"
                except pymysql.err.MySQLError as exc:
                    denied = _mysql_error(exc)[1]
            await cur.execute("SHOW GRANTS")
            grants = tuple(str(r[0]) for r in await cur.fetchall())
            current = await _one(cur, "SELECT CURRENT_USER()")
            read_only = await _one(cur, "SELECT @@read_only")
            wait = await _one(cur, "SELECT @@wait_timeout")
            secure = await _one(cur, "SELECT @@require_secure_transport")

            async def select_one() -> None:
                """One ``SELECT 1`` round trip (timed by ``_fastest``)."""
                await cur.execute("SELECT 1")
                await cur.fetchone()
            query = await _fastest(select_one)
        return DbFacts(version, plugin, denied, grants, current_user=str(current or ""),
                       read_only=None if read_only is None else _truthy(read_only),
                       wait_timeout=int(wait) if str(wait or "").isdigit() else None,
                       secure_transport=None if secure is None else _truthy(secure), tls=tls is not None,
                       query_seconds=query)
    except pymysql.err.MySQLError as exc:
        raise DbLoginError(_mysql_error(exc)[1], refused=False) from None
    finally:
        await conn.ensure_closed()


async def _one(cur: Any, sql: str) -> Any:
    """The first value ``sql`` answers, or None when the server has no such thing (an older server, a stand-in)."""
    import pymysql

    try:
        await cur.execute(sql)
        row = await cur.fetchone()
    except pymysql.err.MySQLError:
        return None
    return row[0] if row else None


def _truthy(value: Any) -> bool:
    return str(value).strip().upper() in ("1", "ON", "TRUE", "YES")


def _mysql_error(exc: Exception) -> tuple[int, str]:
    args = exc.args
    if len(args) >= 2 and isinstance(args[0], int):
        return args[0], f"{args[1]} (MySQL error {args[0]})"
    return 0, str(exc).strip() or "the MySQL client gave no reason"


async def _postgres(host: str, port: int, db: DbEnv, tls: ssl.SSLContext | str | None = None) -> DbFacts:
    """``tls``: an SSL context (TLS required), a libpq sslmode name asyncpg knows (``disable``, ``prefer``...), or None
    for asyncpg's default (``prefer``, as libpq's)."""
    import asyncpg

    try:
        # exactly str: asyncpg's protocol refuses a str subclass ("TypeError: Expected str, got PlainText", then
        # "AttributeError: 'Protocol' object has no attribute '_on_error'" in its error path; asyncpg 0.32 here)
        conn = await asyncpg.connect(host=host, port=port, user=str(db.username), password=str(db.password),
                                     database="postgres", timeout=LOGIN_TIMEOUT,
                                     **({} if tls is None else {"ssl": tls}))
    except asyncpg.PostgresError as exc:
        raise _pg_refusal(exc) from None
    except (OSError, ConnectionError, asyncpg.InterfaceError) as exc:
        if isinstance(exc.__cause__, asyncpg.PostgresError):
            # sslmode=prefer: the server refused the TLS try and asyncpg's plain retry found the relay closed (it
            # serves one connection); the server's refusal is the answer
            raise _pg_refusal(exc.__cause__) from None
        where = f"{db.hostname}:{db.port}"
        if getattr(exc, "errno", None) is None:
            # asyncpg's own words ("rejected SSL upgrade", "connection was closed in the middle of operation") name the
            # relay's local port, not the DB: something answered, and hung up or spoke another protocol
            raise DbLoginError(f"{where} answered, but no PostgreSQL login came of it (it hung up, or its answer was not "
                               "PostgreSQL's)", refused=False, protocol=True, reached=host == "127.0.0.1") from None
        raise DbLoginError(f"{where}: the connection closed during the login ({exc.strerror})", refused=False,
                           reached=host == "127.0.0.1") from None
    try:
        version = str(await conn.fetchval("SHOW server_version"))
        row = await conn.fetchrow(PG_ROLE)
        only, recovery = await _pg_one(conn, "SHOW transaction_read_only"), await _pg_one(conn, "SELECT pg_is_in_recovery()")
        read_only = None if only is None and recovery is None else str(only) == "on" or recovery is True
        query = await _fastest(lambda: conn.fetchval("SELECT 1"))
        return DbFacts(version, can_create_db=bool(row and row["rolcreatedb"]), superuser=bool(row and row["rolsuper"]),
                       current_user=str(await _pg_one(conn, "SELECT current_user") or ""), read_only=read_only,
                       query_seconds=query, tls=await _pg_one(conn, PG_SSL) is True)
    except asyncpg.PostgresError as exc:
        raise DbLoginError(f"{exc} (SQLSTATE {getattr(exc, 'sqlstate', '?')})", refused=False) from None
    finally:
        await conn.close()


def _pg_refusal(exc: Exception) -> DbLoginError:
    """The server's refusal as a :class:`DbLoginError`: its words and SQLSTATE; class 28 means the credentials or
    pg_hba.conf refused the login."""
    state = str(getattr(exc, "sqlstate", "") or "?")
    # a hostssl-only pg_hba.conf answers a plain login "... no encryption" (PostgreSQL 15.18 here): TLS is offered
    return DbLoginError(f"{exc} (SQLSTATE {state})", refused=state.startswith("28"),
                        server_tls=True if str(exc).rstrip().endswith("no encryption") else None)


async def _pg_one(conn: Any, sql: str) -> Any:
    """The value ``sql`` answers, or None when the server cannot answer it (an older server, a stand-in)."""
    import asyncpg

    try:
        return await conn.fetchval(sql)
    except (asyncpg.PostgresError, asyncpg.InterfaceError):
        return None
