"""The simulated external PostgreSQL server: the frontend/backend protocol 3.0 on loopback, enough
for a real client library (asyncpg, pg8000) to log in and ask what the preflight asks.

No maintained Python library serves the PostgreSQL protocol without a real database behind it
(buenavista is a proxy in front of DuckDB/PostgreSQL, riffq ships no wheel for this Python), so this
is a small one: startup (SSL/GSS requests declined), SCRAM-SHA-256 authentication through the
``scramp`` library, ParameterStatus (``server_version`` from :class:`~.brain.SimDatabase`), and
the simple and extended query flows for ``SHOW server_version``, ``SELECT version()`` and the role's
``rolcreatedb``/``rolsuper`` in ``pg_roles``. Anything else is answered with SQLSTATE 0A000.
Message formats: PostgreSQL documentation, "Frontend/Backend Protocol" (chapter 55, "Message Formats").
"""

from __future__ import annotations

import asyncio
import itertools
import struct

from scramp import ScramException, ScramMechanism

from .brain import SimDatabase

PROTOCOL_3 = 196608
SSL_REQUEST, GSS_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102
TEXT_OID, BOOL_OID = 25, 16
_SCRAM = ScramMechanism("SCRAM-SHA-256")
_pids = itertools.count(4242)


class _ClientGone(Exception):
    pass


def _msg(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(payload) + 4) + payload


def _cstr(text: str) -> bytes:
    return text.encode() + b"\x00"


def _error(code: str, message: str, severity: str = "ERROR") -> bytes:
    fields = b"S" + _cstr(severity) + b"V" + _cstr(severity) + b"C" + _cstr(code) + b"M" + _cstr(message)
    return _msg(b"E", fields + b"\x00")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def cstr(self) -> str:
        """Read a NUL-terminated string at the position (UTF-8); raises ``ValueError`` if no NUL follows."""
        end = self.data.index(b"\x00", self.pos)
        text, self.pos = self.data[self.pos:end].decode(), end + 1
        return text

    def int16(self) -> int:
        """Read a big-endian signed 16-bit integer; raises ``struct.error`` past the end."""
        (value,) = struct.unpack_from("!h", self.data, self.pos)
        self.pos += 2
        return value

    def int32(self) -> int:
        """Read a big-endian signed 32-bit integer; raises ``struct.error`` past the end."""
        (value,) = struct.unpack_from("!i", self.data, self.pos)
        self.pos += 4
        return value

    def take(self, n: int) -> bytes:
        """Read the next ``n`` bytes (fewer at the end of the data)."""
        chunk, self.pos = self.data[self.pos:self.pos + n], self.pos + n
        return chunk


class _Conn:
    """One client connection: the startup and authentication phase, then queries until Terminate."""

    def __init__(self, db: SimDatabase, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.db, self.reader, self.writer = db, reader, writer
        self.user = ""
        self.statements: dict[str, str] = {}
        self.portals: dict[str, tuple[str, list[int]]] = {}

    async def _read(self, n: int) -> bytes:
        try:
            return await self.reader.readexactly(n)
        except (asyncio.IncompleteReadError, ConnectionError):
            raise _ClientGone from None

    async def _message(self) -> tuple[bytes, bytes]:
        kind = await self._read(1)
        (length,) = struct.unpack("!i", await self._read(4))
        return kind, await self._read(length - 4)

    async def serve(self) -> None:
        """Run the connection: startup, authentication, then queries until Terminate; a client that hangs up ends it
        quietly, and the writer is closed in every case."""
        try:
            if await self._startup() and await self._authenticate():
                await self._queries()
        except _ClientGone:
            pass
        finally:
            self.writer.close()

    async def _startup(self) -> bool:
        while True:
            (length,) = struct.unpack("!i", await self._read(4))
            body = await self._read(length - 4)
            (code,) = struct.unpack_from("!i", body)
            if code in (SSL_REQUEST, GSS_REQUEST):
                self.writer.write(b"N")
                continue
            if code != PROTOCOL_3:
                self.writer.write(_error("0A000", f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}", "FATAL"))
                return False
            r = _Reader(body[4:])
            params = {}
            while r.pos < len(r.data) and r.data[r.pos] != 0:
                key = r.cstr()
                params[key] = r.cstr()
            self.user = params.get("user", "")
            return True

    async def _authenticate(self) -> bool:
        db = self.db
        salt, stored, server_key, rounds = _SCRAM.make_auth_info(db.password, iteration_count=4096)
        known = not db.username or self.user == db.username
        server = _SCRAM.make_server(lambda _name: (salt, stored, server_key, rounds))
        self.writer.write(_msg(b"R", struct.pack("!i", 10) + _cstr("SCRAM-SHA-256") + b"\x00"))
        kind, body = await self._message()
        r = _Reader(body)
        r.cstr()  # mechanism
        client_first = r.take(r.int32()).decode()
        refused = _error("28P01", f'password authentication failed for user "{self.user}"', "FATAL")
        try:
            server.set_client_first(client_first)
            self.writer.write(_msg(b"R", struct.pack("!i", 11) + server.get_server_first().encode()))
            kind, body = await self._message()
            server.set_client_final(body.decode())
        except ScramException:
            self.writer.write(refused)
            return False
        if not known:
            self.writer.write(refused)
            return False
        self.writer.write(_msg(b"R", struct.pack("!i", 12) + server.get_server_final().encode()))
        self.writer.write(_msg(b"R", struct.pack("!i", 0)))
        for key, value in (("server_version", db.version), ("server_encoding", "UTF8"), ("client_encoding", "UTF8"),
                           ("DateStyle", "ISO, MDY"), ("integer_datetimes", "on"), ("standard_conforming_strings", "on"),
                           ("TimeZone", "UTC"), ("is_superuser", "on" if self._superuser() else "off"),
                           ("session_authorization", self.user)):
            self.writer.write(_msg(b"S", _cstr(key) + _cstr(value)))
        self.writer.write(_msg(b"K", struct.pack("!ii", next(_pids), 1234)))
        self.writer.write(_msg(b"Z", b"I"))
        return True

    def _superuser(self) -> bool:
        return "ALL PRIVILEGES" in self.db.privileges

    def _answer(self, sql: str) -> tuple[list[tuple[str, int]], list[list[object]], str]:
        """Columns (name, type oid), rows and the command tag for one statement; ValueError if not simulated."""
        text = " ".join(sql.split()).rstrip(";").lower()
        if text == "show server_version":
            return [("server_version", TEXT_OID)], [[self.db.version]], "SHOW"
        if text == "select version()":
            return [("version", TEXT_OID)], [[f"PostgreSQL {self.db.version} on x86_64-pc-linux-gnu"]], "SELECT 1"
        if "from pg_roles" in text or "from pg_catalog.pg_roles" in text:
            superuser = self._superuser()
            createdb = superuser or "CREATE" in self.db.privileges
            return [("rolcreatedb", BOOL_OID), ("rolsuper", BOOL_OID)], [[createdb, superuser]], "SELECT 1"
        if not text:
            return [], [], "EMPTY"
        raise ValueError(sql)

    @staticmethod
    def _row_description(columns: list[tuple[str, int]], formats: list[int]) -> bytes:
        out = struct.pack("!h", len(columns))
        for i, (name, oid) in enumerate(columns):
            fmt = formats[i] if len(formats) > 1 else (formats[0] if formats else 0)
            out += _cstr(name) + struct.pack("!ihihih", 0, 0, oid, 1 if oid == BOOL_OID else -1, -1, fmt)
        return _msg(b"T", out)

    @staticmethod
    def _data_row(row: list[object], formats: list[int]) -> bytes:
        out = struct.pack("!h", len(row))
        for i, value in enumerate(row):
            binary = (formats[i] if len(formats) > 1 else (formats[0] if formats else 0)) == 1
            if isinstance(value, bool):
                raw = (b"\x01" if value else b"\x00") if binary else (b"t" if value else b"f")
            else:
                raw = str(value).encode()
            out += struct.pack("!i", len(raw)) + raw
        return _msg(b"D", out)

    def _run(self, sql: str, formats: list[int], describe: bool) -> None:
        columns, rows, tag = self._answer(sql)
        if tag == "EMPTY":
            self.writer.write(_msg(b"I"))
            return
        if describe:
            self.writer.write(self._row_description(columns, formats))
        for row in rows:
            self.writer.write(self._data_row(row, formats))
        self.writer.write(_msg(b"C", _cstr(tag)))

    async def _queries(self) -> None:
        failed = False  # extended protocol: after an error, skip to Sync
        while True:
            await self.writer.drain()
            kind, body = await self._message()
            r = _Reader(body)
            if kind == b"X":
                return
            if kind == b"S":
                failed = False
                self.writer.write(_msg(b"Z", b"I"))
                continue
            if kind == b"Q":
                sql = r.cstr()
                try:
                    self._run(sql, [], describe=True)
                except ValueError:
                    self.writer.write(_error("0A000", f"not supported by the simulated server: {sql}"))
                self.writer.write(_msg(b"Z", b"I"))
                continue
            if failed or kind == b"H":
                continue
            try:
                self._extended(kind, r)
            except ValueError as exc:
                failed = True
                self.writer.write(_error("0A000", f"not supported by the simulated server: {exc}"))

    def _extended(self, kind: bytes, r: _Reader) -> None:
        if kind == b"P":
            name, sql = r.cstr(), r.cstr()
            self._answer(sql)  # refuse what is not simulated at Parse, as a server refuses bad SQL
            self.statements[name] = sql
            self.writer.write(_msg(b"1"))
        elif kind == b"B":
            portal, stmt = r.cstr(), r.cstr()
            for _ in range(r.int16()):
                r.int16()
            for _ in range(r.int16()):
                size = r.int32()
                r.take(max(size, 0))
            formats = [r.int16() for _ in range(r.int16())]
            self.portals[portal] = (self.statements.get(stmt, ""), formats)
            self.writer.write(_msg(b"2"))
        elif kind == b"D":
            what, name = r.take(1), r.cstr()
            sql, formats = (self.statements.get(name, ""), []) if what == b"S" else self.portals.get(name, ("", []))
            if what == b"S":
                self.writer.write(_msg(b"t", struct.pack("!h", 0)))
            columns, _, _ = self._answer(sql)
            self.writer.write(self._row_description(columns, formats) if columns else _msg(b"n"))
        elif kind == b"E":
            sql, formats = self.portals.get(r.cstr(), ("", []))
            self._run(sql, formats, describe=False)
        elif kind == b"C":
            self.writer.write(_msg(b"3"))
        else:
            raise ValueError(f"message {kind!r}")


class SimPostgresServer:
    """A PostgreSQL server on ``bind`` (ephemeral :attr:`port`) that answers from ``db`` at every connection."""

    def __init__(self, db: SimDatabase, bind: str = "127.0.0.1") -> None:
        self.db, self.bind, self.port = db, bind, 0
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await _Conn(self.db, reader, writer).serve()
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def start(self) -> None:
        """Listen on ``bind`` at an ephemeral port, then set :attr:`port`."""
        self._server = await asyncio.start_server(self._client, self.bind, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening, cancel the open connections and wait for them and the server."""
        if self._server is not None:
            self._server.close()
            for t in list(self._tasks):
                t.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
