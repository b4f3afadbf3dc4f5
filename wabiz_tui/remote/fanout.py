"""Run one action on many hosts at once, with a result per host (never fail fast across the fleet)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable, Generic, Iterable, TypeVar

from ..domain.model import HostSpec
from .errors import RemoteError

T = TypeVar("T")

#: At most this many hosts are worked on at once. sshd's MaxStartups (10) limits unauthenticated
#: connections to ONE server; each host has its own, so the cap only bounds our own load.
MAX_PARALLEL_HOSTS = 64


@dataclass(frozen=True)
class HostResult(Generic[T]):
    """What one host's action gave: ``value`` when ``ok``, else ``error`` (one line), ``next_action`` and whether
    running the action again can help (``retry_helps``: :attr:`RemoteError.retry_helps`)."""

    host: str
    ok: bool
    value: T | None = None
    error: str = ""
    next_action: str = ""
    retry_helps: bool = True


async def fan_out(hosts: Iterable[HostSpec], action: Callable[[HostSpec], Awaitable[T]],
                  *, limit: int = MAX_PARALLEL_HOSTS) -> dict[str, HostResult[T]]:
    """Run ``action(host)`` on every host in parallel (at most ``limit`` at once).

    Returns ``{external_hostname: HostResult}`` in host order. A :class:`RemoteError` becomes a failed
    result with its message; any other exception too (its class name and message), so one host's
    failure never stops the others. Cancellation (not an Exception) propagates.
    """
    sem = asyncio.Semaphore(limit)
    hosts = list(hosts)

    async def one(host: HostSpec) -> HostResult[T]:
        """``action(host)`` under the semaphore, as a HostResult: its value, or its error and next action (any Exception
        caught here; cancellation passes through)."""
        async with sem:
            try:
                return HostResult(host.external_hostname, True, await action(host))
            except RemoteError as exc:
                return HostResult(host.external_hostname, False, error=str(exc), next_action=exc.next_action,
                                  retry_helps=exc.retry_helps)
            except Exception as exc:  # noqa: BLE001 - one host's bug or fault must never stop the others
                return HostResult(host.external_hostname, False, error=f"{host.external_hostname}: {exc.__class__.__name__}: {exc}",
                                  next_action="this is unexpected: retry, and report it with the run's log files")

    results = await asyncio.gather(*(one(h) for h in hosts))
    return {r.host: r for r in results}
