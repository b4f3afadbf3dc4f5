"""Run a coroutine function in a child Python process, so that its CPU is not taken from the caller's process.

Why a process and not a thread (issue 17): the 50-host preflight run in a worker thread still took 1.1-1.5 s of CPU
(key exchanges, ciphers, parsing) under the caller's GIL; a key press of the TUI then waited behind it: a repaint of
46 ms of CPU took 181 ms (round s10's quiet benchmark). In a process of its own the work runs on the other core.

The child is ``sys.executable`` importing this package from the same folder as the caller (the caller's
``PYTHONPATH`` and environment are inherited). Both ends talk over the child's stdin/stdout in frames: a 4-byte
big-endian length, then a pickle. Caller to child: ``("job", target, args, asks)``, ``("answer", id, ok, value)``,
``("cancel",)``. Child to caller: ``("events", [event, ...])``, ``("ask", id, args)``, ``("done", result)``,
``("error", exception)``. Pickles are only ever read from the other end of this pipe (the same user's own process).
The child's stderr is read by the caller and kept (its last lines) for the error raised when the child dies.
"""

from __future__ import annotations

import asyncio
import collections
import importlib
import inspect
import os
import pickle
import signal
import struct
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, BinaryIO

#: One message of the pipe: its kind first ("job", "events", "ask", "answer", "done", "error", "cancel").
Message = tuple[Any, ...]

#: Seconds a cancelled child is given to end its work (its ``finally`` blocks: closing SSH connections) before it
#: is killed.
CANCEL_GRACE = 10.0
#: How much the child yields the CPU to other processes (``nice``): the caller's key presses come first.
CHILD_NICENESS = 10
#: Lines of the child's stderr kept for the error raised when it dies.
STDERR_KEPT = 20
_LENGTH = struct.Struct(">I")
_BOOT = ("import sys\n"
         "if sys.argv[1]: sys.path.insert(0, sys.argv[1])\n"
         "from wabiz_tui.workflows.offprocess import child_main\n"
         "child_main()\n")


class ChildFailed(RuntimeError):
    """The child process ended without an answer (killed, crashed, or it could not import the work): the message
    names its exit status and the last line it wrote on stderr. ``next_action`` is for the face to set (what the
    operator can do depends on where the work was started)."""

    next_action: str = ""


def _frame(message: Message) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


async def _read_frame(reader: asyncio.StreamReader) -> Message | None:
    """The next message from ``reader``; None at the end of the stream (also in the middle of a frame)."""
    try:
        head = await reader.readexactly(_LENGTH.size)
        message: Message = pickle.loads(await reader.readexactly(_LENGTH.unpack(head)[0]))
        return message
    except asyncio.IncompleteReadError:
        return None


def _package_root() -> str:
    """The folder to put first on the child's ``sys.path`` so it imports this very package (a source tree given by
    pytest's ``pythonpath`` or the benchmark's trees); "" when the package sits in a site folder, which the same
    interpreter finds by itself."""
    root = Path(__file__).resolve().parents[2]
    return "" if root.name in ("site-packages", "dist-packages") else str(root)


def _sendable_error(exc: BaseException) -> BaseException:
    """``exc`` itself when it survives a pickle round trip, else a ``RuntimeError`` with its type and message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any failure to pickle means: send its words instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")


async def run_in_child(target: str, *args: Any, emit: Callable[[Any], None],
                       ask: Callable[..., Awaitable[Any] | Any] | None = None, name: str = "worker") -> Any:
    """Run ``await fn(*args, emit=..., ask=...)`` in a child process and return its result; ``target`` names ``fn``
    as ``"package.module:function"``.

    ``args`` and the result must pickle. In the child, ``emit(event)`` sends ``event`` back: here it is handed to
    ``emit`` on the caller's loop, in order (several per frame). ``ask(*a)`` in the child awaits ``ask(*a)`` here
    (plain or awaitable; its answer, or its exception, goes back); the child's ``ask`` is None when ``ask`` is.
    An exception raised by ``fn`` is raised here (re-created as ``RuntimeError`` when it does not pickle).
    Cancelling the caller asks the child to cancel ``fn`` and waits until it has ended (at most
    :data:`CANCEL_GRACE` s, then it is killed). Raises :class:`ChildFailed` when the child ends without an answer,
    ``OSError`` when it cannot be started. ``name`` names the child in errors.
    """
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-P", "-c", _BOOT, _package_root(),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_KEPT)
    answering: set[asyncio.Task[None]] = set()

    async def drain_stderr() -> None:
        """Keep the child's last stderr lines (and never let its stderr pipe fill)."""
        async for line in stderr:
            tail.append(line.decode(errors="replace").rstrip())

    def send(message: Message) -> None:
        """Write ``message`` to the child (ignored once it has gone: its end is read elsewhere)."""
        if not stdin.is_closing():
            stdin.write(_frame(message))

    async def answer(ident: int, question: Message) -> None:
        """Ask ``ask`` here and send its answer (or its exception) back."""
        try:
            value = ask(*question)  # type: ignore[misc]
            if inspect.isawaitable(value):
                value = await value
            send(("answer", ident, True, value))
        except Exception as exc:  # noqa: BLE001 - the child raises it where it asked
            send(("answer", ident, False, _sendable_error(exc)))

    async def conversation() -> Any:
        """Read the child's messages until its answer; returns its result or raises its exception."""
        send(("job", target, args, ask is not None))
        while (message := await _read_frame(stdout)) is not None:
            kind = message[0]
            if kind == "events":
                for event in message[1]:
                    emit(event)
            elif kind == "ask":
                task = asyncio.get_running_loop().create_task(answer(message[1], message[2]))
                answering.add(task)
                task.add_done_callback(answering.discard)
            elif kind == "done":
                return message[1]
            elif kind == "error":
                raise message[1]
        status = await proc.wait()
        await reading_stderr
        last = next((line for line in reversed(tail) if line.strip()), "nothing on stderr")
        raise ChildFailed(f"the {name} process ended with status {status} before its answer: {last}")

    reading_stderr = asyncio.get_running_loop().create_task(drain_stderr())
    try:
        return await conversation()
    except asyncio.CancelledError:
        send(("cancel",))

        async def ended() -> None:
            """Read (and drop) what the child still sends, so its writes never block, until it exits."""
            while await _read_frame(stdout) is not None:
                pass
            await proc.wait()

        try:
            await asyncio.wait_for(asyncio.shield(ended()), CANCEL_GRACE)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        raise
    finally:
        for task in answering:
            task.cancel()
        if proc.returncode is None:
            try:
                stdin.close()
                await asyncio.wait_for(asyncio.shield(proc.wait()), CANCEL_GRACE)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        reading_stderr.cancel()


class _Child:
    """The child's end: reads the caller's messages, sends events (batched per loop turn), asks, answers."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.pending: list[Any] = []
        self.questions: dict[int, asyncio.Future[Any]] = {}
        self.work: asyncio.Task[Any] | None = None

    def write(self, message: Message) -> None:
        """Send ``message`` to the caller now (a blocking write: the caller is always reading)."""
        self.out.write(_frame(message))
        self.out.flush()

    def flush(self) -> None:
        """Send the events emitted since the last flush, as one frame."""
        if self.pending:
            events, self.pending = self.pending, []
            self.write(("events", events))

    def emit(self, event: Any) -> None:
        """Queue ``event``; it leaves at the end of this loop turn with the others emitted meanwhile."""
        if not self.pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self.pending.append(event)

    async def ask(self, *question: Any) -> Any:
        """Ask the caller's ``ask(*question)`` and return its answer (or raise its exception)."""
        self.flush()
        ident = len(self.questions) + 1
        future = self.questions[ident] = asyncio.get_running_loop().create_future()
        self.write(("ask", ident, question))
        return await future

    def heard(self, message: Message | None) -> None:
        """Act on one message of the caller; None (its end closed: it has gone) cancels the work like ``cancel``."""
        if message is None or message[0] == "cancel":
            if self.work is not None:
                self.work.cancel()
        elif message[0] == "answer":
            _, ident, ok, value = message
            future = self.questions.get(ident)
            if future is not None and not future.done():
                future.set_result(value) if ok else future.set_exception(value)

    async def run(self) -> None:
        """Read the job, run it while listening to the caller, send its result (or exception)."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
        job = await _read_frame(reader)
        if job is None or job[0] != "job":
            return
        _, target, args, asks = job
        try:
            module, _, function = target.partition(":")
            fn = getattr(importlib.import_module(module), function)
        except Exception as exc:  # noqa: BLE001 - the caller says what could not be run
            self.write(("error", _sendable_error(exc)))
            return
        self.work = loop.create_task(fn(*args, emit=self.emit, ask=self.ask if asks else None))

        async def listen() -> None:
            """Hand each message of the caller to :meth:`heard`, until its end closes."""
            while True:
                message = await _read_frame(reader)
                self.heard(message)
                if message is None:
                    return

        listening = loop.create_task(listen())
        try:
            result = await self.work
        except asyncio.CancelledError:
            self.flush()
            return
        except Exception as exc:  # noqa: BLE001 - raised again in the caller
            self.flush()
            self.write(("error", _sendable_error(exc)))
            return
        finally:
            listening.cancel()
        self.flush()
        self.write(("done", result))


def child_main() -> None:
    """The child's entry point (see the module's docstring): runs one job, then returns. Its stdout is the frame
    pipe only: anything else printed goes to stderr. Ctrl+C is the caller's to handle (it cancels). It runs at
    :data:`CHILD_NICENESS`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the caller is interactive: with its work in this process, a key press still waited for a core when this
    # process and another busy one (the 50-host simulator of the benchmark) held both (issue 17, s11)
    os.nice(CHILD_NICENESS)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        asyncio.run(_Child(out).run())
    except BrokenPipeError:  # the caller has gone: nobody to tell
        pass
