"""Coroutine functions the tests of ``workflows.offprocess`` run in a child process (imported there by name)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def numbered(count: int, *, emit, ask) -> int:
    """Emit ``("line", i)`` for i < count, a few per loop turn; return the child's pid."""
    for i in range(count):
        emit(("line", i))
        if i % 7 == 0:
            await asyncio.sleep(0)
    return os.getpid()


async def asking(*, emit, ask) -> tuple:
    """Ask twice (the second question is answered by an exception); returns both outcomes."""
    if ask is None:
        return ("no ask",)
    first = await ask("key-1", 2)
    try:
        await ask("refuse")
    except ValueError as exc:
        return first, f"refused: {exc}"
    return first, "not refused"


class Unpicklable(Exception):
    """An exception that cannot cross the pipe (it holds a lambda)."""

    def __init__(self) -> None:
        super().__init__("held a lambda")
        self.fn = lambda: None


async def failing(kind: str, *, emit, ask) -> None:
    """Raise a KeyError, or an exception that does not pickle."""
    emit("before")
    if kind == "key":
        raise KeyError("no such host")
    raise Unpicklable()


async def held(marker: str, *, emit, ask) -> None:
    """Wait forever; write ``closed`` to ``marker`` when cancelled (as connections are closed in ``finally``)."""
    emit("started")
    try:
        await asyncio.sleep(3600)
    finally:
        await asyncio.sleep(0.2)
        Path(marker).write_text("closed")


async def dying(*, emit, ask) -> None:
    """Say something on stderr and exit at once with status 3 (no answer)."""
    print("last words of the child", file=sys.stderr, flush=True)
    os._exit(3)


async def noisy(*, emit, ask) -> str:
    """Print on stdout (which must not corrupt the frames) and return."""
    print("noise on stdout", flush=True)
    emit("after noise")
    return "fine"


async def niceness(*, emit, ask) -> int:
    """The child's niceness."""
    return os.nice(0)


async def stubborn(*, emit, ask) -> None:
    """Emit the child's pid, then ignore a cancellation (a close that hangs) and wait forever."""
    emit(os.getpid())
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            continue


async def lingering(*, emit, ask) -> str:
    """Leave a resolver-like job running in the loop's default executor (a DNS answer that never comes), then
    answer: the child must still exit at once."""
    asyncio.get_running_loop().run_in_executor(None, __import__("time").sleep, 60)
    emit("answering")
    return "answered"


async def asks_once(*, emit, ask) -> str:
    """Ask one question; returns what came back (the answer, or the exception's words)."""
    try:
        return f"answer: {await ask('key-1')}"
    except Exception as exc:  # noqa: BLE001 - the test reads its words
        return f"{type(exc).__name__}: {exc}"
