"""Run a command on a connected host and stream its output line by line."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncssh

from ..domain.text import LineSplitter
from .errors import HostUnreachable, RemoteError

#: Bytes handed to the line splitter (and the consumer) at a time, with a turn of the event loop between.
READ_CHUNK = 16384
#: The SSH channel's receive window (bytes; asyncssh's default, given explicitly because the reads match it).
WINDOW = 2 * 1024 * 1024
#: Seconds a stopped command's channel may take to close before it is left behind (R33).
STOP_TIMEOUT = 2.0

_LOST = (asyncssh.ConnectionLost, asyncssh.DisconnectError, BrokenPipeError, ConnectionResetError)


async def run_streaming(conn: asyncssh.SSHClientConnection, host: str, command: str,
                        on_line: Callable[[str], None] | None, *, timeout: float | None = None,
                        pty: bool = False, on_lines: Callable[[list[str]], None] | None = None) -> int | None:
    """Run ``command`` and call ``on_line`` for each line of its output (stdout and stderr, whole lines of each,
    in the order they complete), or ``on_lines`` once per channel read with the lines it completed (a list, never
    empty).

    stdout and stderr are two streams of the SSH channel and are split into lines apart: merged byte by byte (as
    asyncssh's ``stderr=STDOUT`` does) a line written in pieces is cut by the other stream's data. curl writes its
    error line in pieces, so ``curl -sS -w '%{http_code} %{time_total}\\n'`` failing came back as
    ``['cur000 0.001340', 'l: (6) Could not resolve host: ...']`` (observed through OpenSSH 9.2 sshd here).

    Returns the exit status, or None when the remote process ended on a signal. Raises
    :class:`HostUnreachable` when the connection is lost mid-command (a silent host is detected by
    the connection's keepalive: ``SshSettings.keepalive_interval`` × ``keepalive_count_max``) and
    :class:`RemoteError` on timeout (``timeout`` in seconds, None for no limit).

    Stopping (the caller's task cancelled, or the timeout): the remote process is sent SIGTERM (an SSH
    "signal" request, OpenSSH ≥ 7.9, which sshd delivers to the command's process group), then the
    channel is closed, waiting at most ``STOP_TIMEOUT`` seconds. With ``pty`` a terminal is requested
    as well, so closing the channel also hangs up the remote side (SIGHUP): the only way to end it
    when sshd refuses signal requests, as OpenSSH does for root logins. On a terminal stderr is merged
    anyway and lines end in CRLF, which the line splitter removes; a server that refuses the terminal
    gets the command without one.
    """
    def deliver(lines: list[str]) -> None:
        """Hand a batch of decoded lines (list[str], no newlines) to ``on_lines`` if given, else to ``on_line`` one by
        one, else drop them."""
        if on_lines is not None:
            on_lines(lines)
        elif on_line is not None:
            for line in lines:
                on_line(line)

    proc: asyncssh.SSHClientProcess[bytes] | None = None
    errors: asyncio.Task[None] | None = None
    finished = False
    try:
        async with asyncio.timeout(timeout):
            proc = await _open(conn, command, pty)
            errors = asyncio.ensure_future(_pump(proc.stderr, deliver))
            await _pump(proc.stdout, deliver)
            await errors
            result = await proc.wait(check=False)
            finished = True
            return result.exit_status if result.exit_signal is None else None
    except TimeoutError:
        raise RemoteError(host, f"command did not finish within {timeout:.0f} s (it was stopped)",
                          "check the host's load and docker daemon") from None
    except _LOST as exc:
        finished = True  # nothing left to stop
        raise HostUnreachable(host, f"connection lost during the command ({_why(exc)})",
                              "check the host and the network, then retry the step") from None
    except asyncssh.ChannelOpenError as exc:
        raise RemoteError(host, f"the SSH server refused a session: {exc.reason}", "retry; check sshd MaxSessions") from None
    finally:
        if errors is not None:  # stopped early: the stderr reader ends too (its own error, if any, is the same)
            errors.cancel()
            await asyncio.gather(errors, return_exceptions=True)
        if proc is not None:
            await _stop(proc, still_running=not finished)


async def _pump(stream: asyncssh.SSHReader[bytes], deliver: Callable[[list[str]], None]) -> None:
    """Read one of the channel's streams to its end, handing ``deliver`` the lines each read completes."""
    splitter = LineSplitter()
    while True:
        # Take all that is buffered (up to a window), not READ_CHUNK: asyncssh pauses the channel
        # when its stream buffer holds a window, and a read that leaves most of it there resumes
        # it for one packet while re-opening the whole window, so a host faster than its consumer
        # piled up data without bound (issue 8: 400 MB buffered for 400 MB of logs under tracemalloc).
        # Draining the buffer empties the channel's backlog at each resume: at most three windows held.
        chunk = await stream.read(WINDOW)
        if not chunk:
            break
        with memoryview(chunk) as view:
            for start in range(0, len(chunk), READ_CHUNK):
                block = splitter.feed_block(view[start:start + READ_CHUNK])
                if block is not None:
                    deliver(block.split("\n"))
                await asyncio.sleep(0)  # a fast host must not starve the UI or the other hosts
        # Let go of this window before waiting for the next: during that read asyncssh holds the next window twice
        # (its buffered pieces and their join) while the channel, resumed, may fill a third.
        chunk = b""
    rest = splitter.close()
    if rest:
        deliver(rest)


async def _open(conn: asyncssh.SSHClientConnection, command: str, pty: bool) -> asyncssh.SSHClientProcess[bytes]:
    try:
        return await conn.create_process(command, encoding=None, term_type="dumb" if pty else None,
                                         window=WINDOW)
    except asyncssh.ChannelOpenError as exc:
        if not pty or exc.code != asyncssh.OPEN_REQUEST_PTY_FAILED:
            raise
    return await conn.create_process(command, encoding=None, window=WINDOW)


def _why(exc: BaseException) -> str:
    reason = getattr(exc, "reason", "") or str(exc)
    return f"{exc.__class__.__name__}: {reason}" if reason else exc.__class__.__name__


async def _stop(proc: asyncssh.SSHClientProcess[Any], *, still_running: bool) -> None:
    """End the remote command (if it may still run) and close its channel, never waiting long."""
    if still_running and proc.exit_status is None and proc.exit_signal is None:
        try:
            proc.send_signal("TERM")
        except (asyncssh.Error, OSError, ValueError):
            pass
    proc.close()
    try:
        await asyncio.wait_for(proc.wait_closed(), STOP_TIMEOUT)
    except (TimeoutError, asyncssh.Error, OSError):
        pass


async def run_with_input(conn: asyncssh.SSHClientConnection, host: str, command: str, stdin: str,
                         timeout: float) -> tuple[int | None, str, str]:
    """Run a short ``command`` that reads ``stdin`` (text, e.g. a curl configuration holding a password, which then
    never appears on a command line) and return ``(exit status, stdout, stderr)``: the status None when the remote
    process ended on a signal, the outputs as text, whole.

    ``timeout``: seconds for the whole command; a command stopped by it is sent SIGTERM and its channel closed, as
    :func:`run_streaming` does. Raises :class:`RemoteError` on timeout or when the SSH server refuses a session,
    :class:`HostUnreachable` when the connection is lost; no message carries ``stdin``."""
    proc: asyncssh.SSHClientProcess[str] | None = None
    finished = False
    try:
        async with asyncio.timeout(timeout):
            proc = await conn.create_process(command)
            out, err = await proc.communicate(stdin)
            result = await proc.wait(check=False)
            finished = True
    except TimeoutError:
        raise RemoteError(host, f"command did not finish within {timeout:g} s (it was stopped)",
                          "check the host's load and its way to the address it was asked to reach") from None
    except _LOST as exc:
        finished = True
        raise HostUnreachable(host, f"connection lost during the command ({_why(exc)})",
                              "check the host and the network, then retry") from None
    except asyncssh.ChannelOpenError as exc:
        raise RemoteError(host, f"the SSH server refused a session: {exc.reason}", "retry; check sshd MaxSessions") from None
    finally:
        if proc is not None and not finished:
            await _stop(proc, still_running=True)
    status = result.exit_status if result.exit_signal is None else None
    return status, str(out or ""), str(err or "")
