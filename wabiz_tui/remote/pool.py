"""One long-lived SSH connection per host for the whole procedure, opened on first use."""

from __future__ import annotations

import asyncio

import asyncssh

from ..domain.model import HostSpec
from .ssh import SshSettings, connect


class ConnectionPool:
    """Caches one :class:`asyncssh.SSHClientConnection` per ``EXTERNAL_HOSTNAME``.

    A closed or lost connection is reopened on the next :meth:`get`. :meth:`close` closes them all.
    Errors are those of :func:`remote.ssh.connect`.
    """

    def __init__(self, settings: SshSettings):
        self.settings = settings
        self._conns: dict[str, asyncssh.SSHClientConnection] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, host: HostSpec) -> asyncssh.SSHClientConnection:
        """An open connection to ``host``."""
        lock = self._locks.setdefault(host.external_hostname, asyncio.Lock())
        async with lock:
            conn = self._conns.get(host.external_hostname)
            if conn is None or conn.is_closed():
                conn = await connect(host, self.settings)
                self._conns[host.external_hostname] = conn
            return conn

    def drop(self, host: str) -> None:
        """Forget (and close) the connection to ``host``, e.g. after it was lost."""
        conn = self._conns.pop(host, None)
        if conn is not None:
            conn.close()

    async def close(self) -> None:
        """Close every connection and wait for them to finish."""
        conns, self._conns = list(self._conns.values()), {}
        for c in conns:
            c.close()
        for c in conns:
            try:
                await c.wait_closed()
            except (asyncssh.Error, OSError):
                pass
