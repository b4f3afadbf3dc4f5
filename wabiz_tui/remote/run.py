"""Run a command on a connected host and stream its output line by line."""

from __future__ import annotations

import asyncio
from typing import Callable

import asyncssh

from ..domain.text import LineSplitter
from .errors import HostUnreachable, RemoteError

#: Bytes read from the channel at a time.
READ_CHUNK = 65536


async def run_streaming(conn: asyncssh.SSHClientConnection, host: str, command: str,
                        on_line: Callable[[str], None], *, timeout: float | None = None) -> int | None:
    """Run ``command`` (stdout and stderr merged, no PTY) and call ``on_line`` for each output line.

    Returns the exit status, or None when the remote process ended on a signal. Raises
    :class:`HostUnreachable` when the connection is lost mid-command and :class:`RemoteError` on
    timeout (``timeout`` in seconds, None for no limit). Cancelling the caller closes the channel.
    """
    splitter = LineSplitter()
    try:
        async with asyncio.timeout(timeout):
            async with conn.create_process(command, stderr=asyncssh.STDOUT, encoding=None) as proc:
                while True:
                    chunk = await proc.stdout.read(READ_CHUNK)
                    if not chunk:
                        break
                    for line in splitter.feed(chunk):
                        on_line(line)
                for line in splitter.close():
                    on_line(line)
                result = await proc.wait(check=False)
                return result.exit_status if result.exit_signal is None else None
    except TimeoutError:
        raise RemoteError(host, f"command did not finish within {timeout:.0f} s", "check the host's load and docker daemon") from None
    except (asyncssh.ConnectionLost, asyncssh.DisconnectError, BrokenPipeError, ConnectionResetError) as exc:
        raise HostUnreachable(host, f"connection lost during the command ({exc.__class__.__name__})",
                              "check the host and the network, then retry the step") from None
    except asyncssh.ChannelOpenError as exc:
        raise RemoteError(host, f"the SSH server refused a session: {exc.reason}", "retry; check sshd MaxSessions") from None
