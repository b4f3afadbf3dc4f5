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
import threading
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

#: One message of the pipe: its kind first ("job", "events", "ask", "answer", "done", "error", "cancel").
Message = tuple[Any, ...]

#: Seconds a cancelled child is given to end its work (its ``finally`` blocks: closing SSH connections) before it
#: is killed.
CANCEL_GRACE = 5.0
#: How much the child yields the CPU to other processes (``nice``): the caller's key presses come first. 5 (weight
#: about 1:3 against a process at 0), not 10 (about 1:10): on a machine busy with other work the child must still
#: finish its key exchanges within the SSH connect timeout. Measured: 10 and 5 both kept the key waits at their CPU.
CHILD_NICENESS = 5
#: Seconds a child that has answered is given to exit by itself before it is killed.
EXIT_WAIT = 2.0
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


def _interpreter() -> list[str]:
    """The child's interpreter and flags: this one's, with its isolation kept (``-I``, ``-E``, ``-s``: the child must
    import what this process imports) and ``-P`` (the working directory never put on ``sys.path``; Python 3.11+)."""
    flags = sys.flags
    chosen = ["-I"] if flags.isolated else [f for f, on in (("-E", flags.ignore_environment),
                                                               ("-s", flags.no_user_site)) if on]
    return [sys.executable, *chosen, "-P"]


async def run_in_child(target: str, *args: Any, emit: Callable[[Any], None],
                       ask: Callable[..., Awaitable[Any] | Any] | None = None, name: str = "worker") -> Any:
    """Run ``await fn(*args, emit=..., ask=...)`` in a child process and return its result; ``target`` names ``fn``
    as ``"package.module:function"``.

    ``args`` and the result must pickle. In the child, ``emit(event)`` sends ``event`` back: here it is handed to
    ``emit`` on the caller's loop, in order (several per frame). ``ask(*a)`` in the child awaits ``ask(*a)`` here
    (plain or awaitable; its answer, or its exception, goes back); the child's ``ask`` is None when ``ask`` is.
    An exception raised by ``fn`` is raised here (re-created as ``RuntimeError`` when it does not pickle).
    Cancelling the caller asks the child to cancel ``fn`` and waits until it has ended, at most
    :data:`CANCEL_GRACE` s, then kills it; a cancellation that arrives while the child is being ended is raised once
    it is gone. Raises :class:`ChildFailed` when the child cannot start or ends without an answer. ``name`` names
    the child in errors.
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            *_interpreter(), "-c", _BOOT, _package_root(),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        raise ChildFailed(f"the {name} process could not start ({sys.executable}: {exc.strerror or exc})") from exc
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
        """Ask ``ask`` here and send its answer (or its exception) back; a question withdrawn here (its dialog
        cancelled) is answered with an error, so the child never waits for it."""
        try:
            value = ask(*question)  # type: ignore[misc]
            if inspect.isawaitable(value):
                value = await value
            send(("answer", ident, True, value))
        except asyncio.CancelledError:
            send(("answer", ident, False, RuntimeError("the question was withdrawn before it was answered")))
            raise
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

    async def ended() -> None:
        """Read (and drop) what the child still sends, so its writes never block, until it has exited."""
        while await _read_frame(stdout) is not None:
            pass
        await proc.wait()

    async def end(grace: float) -> bool:
        """End the child: no more answers, its stdin closed, ``grace`` s to exit by itself, then killed. Returns
        whether this task was cancelled meanwhile (the caller raises it once the child is gone)."""
        cancelled = False
        for task in answering:
            task.cancel()
        if not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(asyncio.shield(ended()), grace)
        except asyncio.TimeoutError:
            pass
        except asyncio.CancelledError:
            cancelled = True
        if proc.returncode is None:
            proc.kill()
            try:
                await asyncio.shield(proc.wait())
            except asyncio.CancelledError:
                cancelled = True
        reading_stderr.cancel()
        return cancelled

    reading_stderr = asyncio.get_running_loop().create_task(drain_stderr())
    try:
        result = await conversation()
    except asyncio.CancelledError:
        send(("cancel",))
        await end(CANCEL_GRACE)
        raise
    except BaseException:
        if await end(EXIT_WAIT):
            raise asyncio.CancelledError from None
        raise
    if await end(EXIT_WAIT):
        raise asyncio.CancelledError
    return result


def _read_frame_blocking(stream: BinaryIO) -> Message | None:
    """The next message from a blocking ``stream``; None at its end (also in the middle of a frame)."""
    def exactly(size: int) -> bytes | None:
        """``size`` bytes, or None when the stream ends first."""
        data = b""
        while len(data) < size:
            chunk = stream.read(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    head = exactly(_LENGTH.size)
    body = exactly(_LENGTH.unpack(head)[0]) if head is not None else None
    if body is None:
        return None
    message: Message = pickle.loads(body)
    return message


class _Child:
    """The child's end: reads the caller's messages, sends events (batched per loop turn), asks, answers."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.pending: list[Any] = []
        self.questions: dict[int, asyncio.Future[Any]] = {}
        self.work: asyncio.Task[Any] | None = None
        self.cancelling = False

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
            if self.work is not None and not self.cancelling:  # once: a second cancel would cut its finally blocks
                self.cancelling = True
                self.work.cancel()
        elif message[0] == "answer":
            _, ident, ok, value = message
            future = self.questions.get(ident)
            if future is not None and not future.done():
                future.set_result(value) if ok else future.set_exception(value)

    async def main(self) -> NoReturn:
        """:meth:`run`, then exit (status 1 with the traceback on stderr when the child's own code failed)."""
        status = 0
        try:
            await self.run()
        except BrokenPipeError:  # the caller has gone: nobody to tell
            pass
        except Exception:  # noqa: BLE001 - said on stderr, which the caller shows when no answer came
            traceback.print_exc()
            status = 1
        _leave(self.out, status)

    async def run(self) -> None:
        """Read the job, run it while listening to the caller, send its result (or exception)."""
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Message | None] = asyncio.Queue()
        stdin = sys.stdin.buffer

        def read() -> None:
            """In a thread (any OS's loop can wait for it; Windows' cannot read a pipe): pass each message on."""
            while True:
                message = _read_frame_blocking(stdin)
                loop.call_soon_threadsafe(inbox.put_nowait, message)
                if message is None:
                    return

        threading.Thread(target=read, name="caller", daemon=True).start()
        job = await inbox.get()
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
                message = await inbox.get()
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
    """The child's entry point (see the module's docstring): runs one job, then exits at once (``os._exit``: a
    resolver thread still waiting for a DNS answer would hold ``asyncio.run``'s shutdown; the work's connections are
    closed by then). Its stdout is the frame pipe only: anything else printed goes to stderr. Ctrl+C is the caller's
    to handle (it cancels). It runs at :data:`CHILD_NICENESS` where the OS has ``nice``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        # the caller is interactive: with its work in this process, a key press still waited for a core when this
        # process and another busy one (the 50-host simulator of the benchmark) held both (issue 17, s11)
        os.nice(CHILD_NICENESS)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    asyncio.run(_Child(out).main())


def _leave(out: BinaryIO, status: int) -> NoReturn:
    """Exit the child now with ``status``, its answer and stderr flushed (see :func:`child_main`)."""
    try:
        out.flush()
    except BrokenPipeError:  # the caller has gone: nobody to tell
        pass
    sys.stderr.flush()
    os._exit(status)
