"""The Webapp's HTTPS port: reserved while no ``waweb`` container runs (connection refused), listening
with :class:`~.webapp.WebappApi` while one does, or in plain HTTP as a fault."""

from __future__ import annotations

import asyncio
import socket
import ssl

from aiohttp import web

from .webapp import WebappApi


class WebappServer:
    """Owns the HTTPS port: reserved (bound, not listening → connection refused) while no
    ``waweb`` runs, listening while at least one does."""

    def __init__(self, api: WebappApi, ssl_context: ssl.SSLContext, bind: str = "127.0.0.1") -> None:
        self.api = api
        self.ssl_context = ssl_context
        self.bind = bind
        self.port = 0
        self._sock: socket.socket | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self._lock = asyncio.Lock()
        #: serve plain HTTP on the port (a fault: a non-TLS service where the Webapp should be)
        self.plain_http = False

    async def set_plain_http(self, on: bool) -> None:
        """Serve the port in plain HTTP (``on``) or HTTPS again. A TLS client then reads OpenSSL's
        ``[SSL: WRONG_VERSION_NUMBER] wrong version number``, as it did here from Python's http.server."""
        async with self._lock:
            self.plain_http = on
            if self._site is not None:
                site, self._site = self._site, None
                await site.stop()
                self._reserve()
            await self._sync()

    def _reserve(self) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.bind, self.port))
        self.port = s.getsockname()[1]
        self._sock = s

    @property
    def url(self) -> str:
        """``https://<bind>:<port>`` (the port is 0 before :meth:`prepare`)."""
        return f"https://{self.bind}:{self.port}"

    @property
    def listening(self) -> bool:
        """True while the port accepts connections (a ``waweb`` runs)."""
        return self._site is not None

    async def prepare(self) -> None:
        """Choose the port (kept for the whole run) and set up the aiohttp runner."""
        self._reserve()
        self._runner = web.AppRunner(self.api.make_app(), handle_signals=False, access_log=None)
        await self._runner.setup()

    async def sync(self) -> None:
        """Listen iff a waweb container is running (serialised: hooks may race)."""
        async with self._lock:
            await self._sync()

    async def _sync(self) -> None:
        want = self.api.brain.webapp_running()
        if want and self._site is None and self._runner is not None:
            if self._sock is None:
                self._reserve()
            sock, self._sock = self._sock, None
            assert sock is not None
            sock.listen(128)
            sock.setblocking(False)
            self._site = web.SockSite(self._runner, sock, ssl_context=None if self.plain_http else self.ssl_context)
            await self._site.start()
        elif not want and self._site is not None:
            site, self._site = self._site, None
            await site.stop()
            self._reserve()

    async def close(self) -> None:
        """Stop listening, clean up the aiohttp runner and release the reserved port."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
