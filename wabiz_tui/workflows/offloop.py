"""Run a coroutine on an event loop of its own, in a worker thread, so the caller's loop (the TUI's) stays free
for key presses and repaints while the work parses hundreds of answers (issue 17: a 50-host preflight on the
TUI's loop delayed a key press by up to 3.9 s).

:class:`LoopRelay` hands a callback's calls back to the caller's loop while such a run is on (events to show,
a passphrase to ask in a dialog); :func:`run_in_thread` runs the work and waits for it, cancellation included.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class LoopRelay:
    """Calls of a callback made while :attr:`loop` is set are made on that loop instead (in order, thread-safe).

    ``relay.emit(fn)`` wraps a plain callback (its calls are queued on the loop, nothing is returned);
    ``relay.ask(fn)`` wraps a callback whose answer the caller needs (plain or awaitable: it is awaited on the
    loop and its answer returned to the calling thread's coroutine).
    """

    def __init__(self) -> None:
        #: the loop the callbacks run on; None: they are called directly
        self.loop: asyncio.AbstractEventLoop | None = None

    def _elsewhere(self) -> asyncio.AbstractEventLoop | None:
        loop = self.loop
        if loop is None:
            return None
        try:
            if asyncio.get_running_loop() is loop:
                return None
        except RuntimeError:
            pass
        return loop

    def emit(self, fn: Callable[[Any], None]) -> Callable[[Any], None]:
        """``fn`` whose calls happen on :attr:`loop` while it is set."""

        def relayed(value: Any) -> None:
            """Call ``fn(value)`` on :attr:`loop` (call_soon_threadsafe) when a loop is set and this code does not run
            on it, else here, at once."""
            loop = self._elsewhere()
            if loop is None:
                fn(value)
            else:
                loop.call_soon_threadsafe(fn, value)

        return relayed

    def ask(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` (plain or returning an awaitable) run on :attr:`loop` while it is set; the answer comes back."""

        def relayed(*args: Any) -> Any:
            """``fn(*args)`` run on :attr:`loop` when one is set and this code does not run on it (returns an awaitable
            of its answer), else called here (its answer as it is)."""
            loop = self._elsewhere()
            if loop is None:
                return fn(*args)

            async def there() -> Any:
                """``fn(*args)`` on the relay's loop, awaited when it returns an awaitable."""
                answer = fn(*args)
                return await answer if inspect.isawaitable(answer) else answer

            return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(there(), loop))

        return relayed


async def run_in_thread(make: Callable[[], Awaitable[T]], name: str = "offloop") -> T:
    """Run ``make()`` on a new event loop in a daemon thread and return its result (or raise its exception).

    Cancelling the awaiting task cancels the work on its loop and waits until it has ended (its ``finally``
    blocks, e.g. closing SSH connections, run there) before the cancellation goes on. The thread's loop is
    closed when the work ends.
    """
    caller = asyncio.get_running_loop()
    loop = asyncio.new_event_loop()
    done: asyncio.Future[T] = caller.create_future()
    tasks: list[asyncio.Task[T]] = []

    def settle(task: asyncio.Task[T]) -> None:
        """Copy the finished ``task``'s outcome (result, exception or cancellation) into ``done`` on the caller's loop,
        once."""
        if done.done():
            return
        if task.cancelled():
            done.cancel()
        elif task.exception() is not None:
            done.set_exception(task.exception())  # type: ignore[arg-type]
        else:
            done.set_result(task.result())

    def start() -> None:
        """On the thread's loop: create the task running ``make()``; when it ends, settle ``done`` on the caller's loop
        and stop the thread's loop."""
        async def work() -> T:
            """Await ``make()`` (a coroutine function, so the awaitable is created on the thread's loop)."""
            return await make()

        task = loop.create_task(work())
        tasks.append(task)
        task.add_done_callback(lambda t: (caller.call_soon_threadsafe(settle, t), loop.stop()))

    def cancel() -> None:
        """Cancel the work's task (called on the thread's loop)."""
        for task in tasks:
            task.cancel()

    def main() -> None:
        """The thread's body: run its loop until the work ends, shut down async generators, close the loop."""
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    loop.call_soon(start)
    threading.Thread(target=main, name=name, daemon=True).start()
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        if not done.done():
            loop.call_soon_threadsafe(cancel)
            try:
                await done
            except BaseException:  # noqa: BLE001 - the work's own end; the cancellation is what goes on
                pass
        raise
