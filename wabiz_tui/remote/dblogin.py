"""Log in to the cluster's database with the ``db.env`` credentials, through an SSH tunnel via one
cluster host (the DB is usually reachable only from the cluster network), and read what the
preflight judges (field cases R06 and R10): the server version, for MySQL 8 the user's auth plugin
and for every MySQL the user's grants, for PostgreSQL whether the role may create databases.

The tunnel is a local port forward (asyncssh ``forward_local_port``, SSH ``direct-tcpip``) on the
host's existing SSH connection, bound to 127.0.0.1 on an ephemeral port and closed afterwards. The
clients are ``aiomysql`` (pure Python, on PyMySQL) and ``asyncpg``. No error carries the password:
messages are the server's own refusal texts, which never contain it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
    """The login did not happen. ``refused`` is True when the server refused the credentials (else the
    server could not be reached through the tunnel, or did not answer in time). The message is safe to show."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


async def read_db_facts(conn: asyncssh.SSHClientConnection, db: DbEnv, *, timeout: float = LOGIN_TIMEOUT) -> DbFacts:
    """Log in to ``db`` through ``conn`` and read :class:`DbFacts`. Raises :class:`DbLoginError`."""
    try:
        listener = await conn.forward_local_port("127.0.0.1", 0, db.hostname, int(db.port))
    except (asyncssh.Error, OSError) as exc:
        raise DbLoginError(f"no tunnel to {db.hostname}:{db.port}: {exc.__class__.__name__}", refused=False) from None
    try:
        read = _mysql if db.engine is DbEngine.MYSQL else _postgres
        return await asyncio.wait_for(read(listener.get_port(), db), timeout)
    except TimeoutError:
        raise DbLoginError(f"{db.hostname}:{db.port} did not complete a login within {timeout:.0f} s", refused=False) from None
    except DbLoginError:
        raise
    except Exception as exc:  # noqa: BLE001 - another service on the port, or a protocol error: no login
        raise DbLoginError(f"{db.hostname}:{db.port} did not speak the {db.engine.value} protocol as expected "
                           f"({exc.__class__.__name__})", refused=False) from None
    finally:
        listener.close()
        await listener.wait_closed()


async def _mysql(port: int, db: DbEnv) -> DbFacts:
    import aiomysql
    import pymysql

    try:
        conn = await aiomysql.connect(host="127.0.0.1", port=port, user=db.username, password=db.password,
                                      connect_timeout=LOGIN_TIMEOUT, autocommit=True)
    except pymysql.err.MySQLError as exc:
        code, text = _mysql_error(exc)
        raise DbLoginError(text, refused=code in MYSQL_REFUSALS) from None
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

            async def select_one() -> None:
                await cur.execute("SELECT 1")
                await cur.fetchone()
            query = await _fastest(select_one)
        return DbFacts(version, plugin, denied, grants, query_seconds=query)
    except pymysql.err.MySQLError as exc:
        raise DbLoginError(_mysql_error(exc)[1], refused=False) from None
    finally:
        await conn.ensure_closed()


def _mysql_error(exc: Exception) -> tuple[int, str]:
    args = exc.args
    if len(args) >= 2 and isinstance(args[0], int):
        return args[0], f"{args[1]} (MySQL error {args[0]})"
    return 0, exc.__class__.__name__


async def _postgres(port: int, db: DbEnv) -> DbFacts:
    import asyncpg

    try:
        conn = await asyncpg.connect(host="127.0.0.1", port=port, user=db.username, password=db.password,
                                     database="postgres", timeout=LOGIN_TIMEOUT)
    except asyncpg.PostgresError as exc:
        refused = str(getattr(exc, "sqlstate", "")).startswith("28")
        raise DbLoginError(f"{exc} (SQLSTATE {getattr(exc, 'sqlstate', '?')})", refused=refused) from None
    except (OSError, ConnectionError, asyncpg.InterfaceError) as exc:
        raise DbLoginError(f"the connection through the tunnel failed: {exc.__class__.__name__}", refused=False) from None
    try:
        version = str(await conn.fetchval("SHOW server_version"))
        row = await conn.fetchrow(PG_ROLE)
        query = await _fastest(lambda: conn.fetchval("SELECT 1"))
        return DbFacts(version, can_create_db=bool(row and row["rolcreatedb"]), superuser=bool(row and row["rolsuper"]),
                       query_seconds=query)
    except asyncpg.PostgresError as exc:
        raise DbLoginError(f"{exc} (SQLSTATE {getattr(exc, 'sqlstate', '?')})", refused=False) from None
    finally:
        await conn.close()
