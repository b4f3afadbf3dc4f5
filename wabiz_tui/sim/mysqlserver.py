"""The simulated external MySQL server: a real MySQL wire-protocol server on loopback (the
``mysql-mimic`` library) so a real client library logs in and queries it.

It answers what the preflight asks, from :class:`~.brain.SimDatabase`: the handshake's server
version and default auth plugin (``caching_sha2_password`` from 8.0 on, unless the compose fix
``--default-authentication-plugin=mysql_native_password`` is simulated), the password check for the
one account (with the account's plugin: ``mysql_native_password`` or ``caching_sha2_password``
fast authentication), ``SELECT VERSION()``, the account's row in ``mysql.user`` (or error 1142 when
it may not read it) and ``SHOW GRANTS``. Facts: field cases R06 and R10; the caching_sha2 scramble is
MySQL's documented ``XOR(SHA256(pw), SHA256(SHA256(SHA256(pw)) + nonce))``.
"""

from __future__ import annotations

import logging
from hashlib import sha256

from mysql_mimic import MysqlServer, Session
from mysql_mimic.auth import AuthInfo, AuthPlugin, Forbidden, IdentityProvider, NativePasswordAuthPlugin, Success, User
from mysql_mimic.errors import MysqlError
from mysql_mimic.stream import ConnectionClosed
from mysql_mimic import utils

from .brain import SimDatabase

# the library logs every error it answers (a refused query is an injected fault here, not a simulator error)
logging.getLogger("mysql_mimic").setLevel(logging.CRITICAL)

#: MySQL's ER_TABLEACCESS_DENIED_ERROR ("SELECT command denied to user … for table …").
TABLEACCESS_DENIED = 1142


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


class CachingSha2Password(AuthPlugin):
    """Server side of ``caching_sha2_password`` fast authentication (the password's double SHA-256 is
    the stored ``auth_string``, hex). The server answers OK straight away on a match, which clients
    accept as the end of fast authentication; there is no full-authentication (RSA/TLS) path."""

    name = "caching_sha2_password"
    client_plugin_name = "caching_sha2_password"

    async def auth(self, auth_info: AuthInfo | None = None):
        if auth_info and auth_info.handshake_plugin_name == self.name and auth_info.handshake_auth_data:
            nonce = auth_info.handshake_auth_data.rstrip(b"\x00")
        else:
            nonce = utils.nonce(20)
            auth_info = yield nonce + b"\x00"
        stored = bytes.fromhex(auth_info.user.auth_string or "")
        scramble = auth_info.data
        if not scramble and not stored:
            yield Success(auth_info.user.name)
            return
        candidate = _xor(scramble, sha256(stored + nonce).digest())
        yield Success(auth_info.user.name) if stored and sha256(candidate).digest() == stored else Forbidden()

    @staticmethod
    def create_auth_string(password: str) -> str:
        """The stored ``auth_string`` for ``password``: SHA256(SHA256(pw)) as hex; ``''`` for an empty password."""
        return sha256(sha256(password.encode()).digest()).hexdigest() if password else ""


class _Accounts(IdentityProvider):
    """The one account of :class:`SimDatabase`; any other name is refused like a wrong password (1045)."""

    def __init__(self, db: SimDatabase) -> None:
        self.db = db

    def get_plugins(self):
        """The auth plugins offered, the handshake's default first: ``caching_sha2_password`` for a caching_sha2
        account, else the database's handshake plugin."""
        plugins = [NativePasswordAuthPlugin(), CachingSha2Password()]
        # a caching_sha2 account is always met by a caching_sha2 handshake: the library cannot send the
        # fast-auth-success packet that ends a switch to caching_sha2, so the switch path is not simulated
        first = CachingSha2Password.name if self.db.user_plugin == CachingSha2Password.name else self.db.handshake_plugin()
        return sorted(plugins, key=lambda p: p.name != first)

    async def get_user(self, username: str) -> User | None:
        """The account for ``username`` with the account's plugin; another name gets an auth string no scramble matches,
        so it is refused like a wrong password (1045)."""
        db = self.db
        plugin = db.user_plugin if db.user_plugin == CachingSha2Password.name else NativePasswordAuthPlugin.name
        if db.username and username != db.username:
            return User(name=username, auth_string="00" * 20, auth_plugin=plugin)  # matches no scramble
        maker = CachingSha2Password if plugin == CachingSha2Password.name else NativePasswordAuthPlugin
        return User(name=username, auth_string=maker.create_auth_string(db.password) if db.password else None,
                    auth_plugin=plugin)


class _Session(Session):
    """Standard session (``SELECT VERSION()``, variables) plus the account queries of the preflight."""

    def __init__(self, db: SimDatabase) -> None:
        super().__init__()
        self.db = db
        # the handshake is written from this variable before init(); MariaDB 10.x greets with a "5.5.5-" prefix
        # but answers VERSION() without it (observed here, mariadbd 1:10.11.19-0+deb12u1: greeting
        # "5.5.5-10.11.19-MariaDB-0+deb12u1", SELECT VERSION() "10.11.19-MariaDB-0+deb12u1")
        mariadb = "mariadb" in db.version.lower() and not db.version.startswith("5.5.5-")
        self.variables.set("version", f"5.5.5-{db.version}" if mariadb else db.version, force=True)
        self.middlewares.insert(0, self._account_middleware)

    async def init(self, connection) -> None:
        await super().init(connection)
        self.variables.set("version", self.db.version, force=True)

    async def _account_middleware(self, q):
        sql = " ".join(q.sql.split()).rstrip(";").upper()
        user = self.username or ""
        if sql.startswith("SHOW GRANTS"):
            grant = f"GRANT {', '.join(self.db.privileges) or 'USAGE'} ON *.* TO `{user}`@`%`"
            return [[grant]], [f"Grants for {user}@%"]
        if "MYSQL.USER" in sql:
            if not self.db.user_table_readable:
                raise MysqlError(f"SELECT command denied to user '{user}'@'%' for table 'user'", code=TABLEACCESS_DENIED)
            return [[self.db.user_plugin]], ["plugin"]
        return await q.next()


class _Server(MysqlServer):
    async def _client_connected_cb(self, reader, writer) -> None:  # the library's per-connection hook
        try:
            await super()._client_connected_cb(reader, writer)
        except (ConnectionClosed, ConnectionError):
            pass  # a client that hangs up after the greeting (nc): a real server logs it and carries on


class SimMysqlServer:
    """A MySQL server on ``bind`` (ephemeral :attr:`port`) that answers from ``db`` at every connection."""

    def __init__(self, db: SimDatabase, bind: str = "127.0.0.1") -> None:
        self.bind = bind
        self.port = 0
        self._server = _Server(session_factory=lambda: _Session(db), identity_provider=_Accounts(db))

    async def start(self) -> None:
        """Listen on ``bind`` at an ephemeral port, then set :attr:`port`."""
        await self._server.start_server(host=self.bind, port=0)
        self.port = self._server.sockets()[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and wait until the server is closed."""
        self._server.close()
        await self._server.wait_closed()
