"""Read which image (so which client version) every node's container runs: one ``docker ps`` per host, all hosts in
parallel (``remote.fanout``), for the health monitor. The command and its parsing are ``domain.versions``' (doctor's
image facts read the same lines).

The monitor reads the images when it starts, after each operation ends, on a slow cadence
(``workflows.monitor.VERSION_EVERY``) and on demand, never at each API poll: at 50 hosts a read is 50 SSH commands.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from ..domain.model import ClusterProfile, HostSpec
from ..domain.versions import HostImages, VersionRead, image_listing, parse_images
from ..remote.fanout import fan_out
from .session import HostSession
from .settings import RunSettings

#: Seconds one host's read may take (connection, docker access probe, ``docker ps``) before it is "not read".
READ_TIMEOUT = 15.0


class VersionReader:
    """Reads the images of the cluster containers of every host of ``profile()`` (a callable: the profile in
    force), over SSH with ``settings`` (the app's trust files and SSH options). Its own connections, kept between
    reads; :meth:`close` them at the end. Nothing is printed: a host's failure becomes its ``error``. ``total``
    (seconds, None: no cap): the longest a whole read may take, every host included (a one-shot check must stay
    quick whatever the number of hosts); a host not read by then is "no answer within ``total`` s"."""

    def __init__(self, profile: Callable[[], ClusterProfile], settings: RunSettings, *, timeout: float = READ_TIMEOUT,
                 wall: Callable[[], float] = time.time, total: float | None = None):
        self._profile = profile
        self.session = HostSession(profile, settings, lambda _event: None)
        self.timeout = timeout
        self.total = total
        self._wall = wall
        self._deadline: float | None = None  # monotonic: when the read running must end (``total``)

    async def read(self) -> VersionRead:
        """One read of every host: their images, or why each could not be read (unreachable, host key unknown,
        docker refused, no answer within :attr:`timeout` seconds). Never raises for a host's problem."""
        hosts = self._profile().hosts
        self._deadline = None if self.total is None else time.monotonic() + self.total
        results = await fan_out(hosts, self._host)
        out = {}
        for h in hosts:
            r = results[h.external_hostname]
            out[h.external_hostname] = (r.value if r.ok and r.value is not None else
                                        HostImages(h.external_hostname, error=_one_line(r.error, h.external_hostname)))
        return VersionRead(self._wall(), out)

    async def _host(self, host: HostSpec) -> HostImages:
        """``host``'s images (:func:`domain.versions.image_listing` through ``sudo -n`` where docker needs it).
        Raises :class:`RemoteError` for SSH trouble; a timeout or a failed ``docker ps`` is an ``error``."""
        lines: list[str] = []

        async def go() -> int | None:
            """Probe docker access, then run the listing into ``lines``; its exit status."""
            await self.session.docker_access(host)
            command = image_listing(host.remote_dir, sudo=self.session.sudo(host))
            return await self.session.run(host, command, lines.append, echo=False, quiet=True, timeout=self.timeout)

        limit, said = self.timeout, self.timeout
        if self._deadline is not None and self._deadline - time.monotonic() < limit:
            limit, said = max(0.0, self._deadline - time.monotonic()), self.total or 0.0
        try:
            status = await asyncio.wait_for(go(), limit)
        except TimeoutError:
            return HostImages(host.external_hostname, error=f"no answer within {said:g} s")
        if status != 0:
            last = next((l.strip() for l in reversed(lines) if l.strip()), "")
            return HostImages(host.external_hostname, error=f"docker ps failed (exit status {status})"
                              + (f": {last[:160]}" if last else ""))
        return HostImages(host.external_hostname, tuple(parse_images(lines)))

    async def close(self) -> None:
        """Close the SSH connections."""
        await self.session.close()


def _one_line(error: str, host: str) -> str:
    """``error`` on one line, without the host's name in front (the row names the host already)."""
    text = " ".join(error.split())
    return text[len(host) + 2:] if text.startswith(f"{host}: ") else text or "unknown error"

