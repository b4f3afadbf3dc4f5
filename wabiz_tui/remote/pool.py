"""One long-lived SSH connection per host for the whole procedure, opened on first use."""

from __future__ import annotations

import asyncio

import asyncssh

from ..domain.model import HostSpec
from .errors import HostKeyUnknown
from .ssh import KeyStore, SshSettings, connect, trust_host_key

#: Seconds :meth:`ConnectionPool.close` waits for a graceful close before aborting (R33).
CLOSE_TIMEOUT = 2.0


class ConnectionPool:
    """Caches one :class:`asyncssh.SSHClientConnection` per ``EXTERNAL_HOSTNAME``.

    A closed or lost connection (keepalive timeout, dropped network) is reopened on the next
    :meth:`get`. Decrypted private keys are kept for the pool's lifetime, so a passphrase is asked at
    most once per key file. :meth:`close` closes them all. Errors are those of :func:`remote.ssh.connect`.
    """

    def __init__(self, settings: SshSettings):
        self.settings = settings
        self.keys = KeyStore()
        self._conns: dict[str, asyncssh.SSHClientConnection] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        #: unknown host keys trusted on first use in this pool (``SshSettings.trust_new_keys_into``)
        self.trusted: list[HostKeyUnknown] = []

    async def get(self, host: HostSpec) -> asyncssh.SSHClientConnection:
        """An open connection to ``host``."""
        lock = self._locks.setdefault(host.external_hostname, asyncio.Lock())
        async with lock:
            conn = self._conns.get(host.external_hostname)
            if conn is None or conn.is_closed():
                if conn is not None:
                    conn.abort()  # a lost connection: free its transport and jump hosts
                try:
                    conn = await connect(host, self.settings, keys=self.keys)
                except HostKeyUnknown as exc:
                    if not (self.settings.trust_new_keys_into and exc.public_key):
                        raise
                    trust_host_key(self.settings.trust_new_keys_into, exc.address, exc.port, exc.public_key)
                    self.trusted.append(exc)
                    conn = await connect(host, self.settings, keys=self.keys)
                self._conns[host.external_hostname] = conn
            return conn

    def drop(self, host: str) -> None:
        """Forget (and close) the connection to ``host``, e.g. after it was lost."""
        conn = self._conns.pop(host, None)
        if conn is not None:
            conn.close()

    def abort(self) -> None:
        """Drop every connection at once, without the graceful close (quitting the app: a server that
        never answers a channel close must not hold it up, field case R33). Running commands end as
        on a lost connection."""
        conns, self._conns = list(self._conns.values()), {}
        for c in conns:
            c.abort()

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Close every connection; those not closed within ``timeout`` seconds are aborted."""
        conns, self._conns = list(self._conns.values()), {}
        for c in conns:
            c.close()
        if not conns:
            return

        async def closed(c: asyncssh.SSHClientConnection) -> None:
            """Wait up to ``timeout`` seconds for ``c`` to close, then abort it and wait once more; never raises
            (asyncssh/OS errors and timeouts swallowed: the connection is being dropped anyway)."""
            try:
                await asyncio.wait_for(c.wait_closed(), timeout)
            except (TimeoutError, asyncssh.Error, OSError):
                c.abort()
                try:
                    await asyncio.wait_for(c.wait_closed(), timeout)
                except (TimeoutError, asyncssh.Error, OSError):
                    pass

        await asyncio.gather(*(closed(c) for c in conns))
