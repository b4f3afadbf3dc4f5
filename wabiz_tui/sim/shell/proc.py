"""What a command gets when it runs (:class:`Proc`) and the output plumbing around it.

Shared by the interpreter, the built-ins and every program in :mod:`..programs`'s table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .interpreter import Shell

Writer = Callable[[str], Awaitable[None]]


class BufferWriter:
    """Collects text written by a command (for pipes and file redirections)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    async def __call__(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        """Everything written so far, joined."""
        return "".join(self.parts)


@dataclass
class Proc:
    """What a command gets: argv, its environment, streams and the shell it runs in."""

    shell: "Shell"
    argv: list[str]
    env: dict[str, str]
    cmd_env: dict[str, str]  # only the VAR=value prefixes given on this command line
    out: Writer
    err: Writer
    stdin: str | None = None
    #: run by root (through ``sudo``): the Docker socket is not denied to it
    root: bool = False

    @property
    def tty(self) -> bool:
        """stderr is the session's terminal (a PTY was requested and stderr is not redirected)."""
        return self.shell.tty and self.err is self.shell.err

    async def input(self) -> str:
        """What the command reads on its standard input: the pipe's text, else the SSH channel's input up to its end
        (``ssh host cmd < file``, asyncssh ``run(input=...)``), else nothing."""
        if self.stdin is not None:
            return self.stdin
        read = self.shell.channel_input
        if read is None:
            return ""
        self.shell.channel_input = None  # the channel's input is read once, by the first command that asks
        return await read()

    async def fail(self, msg: str, status: int = 1) -> int:
        """Write ``msg`` (one newline ensured) to stderr and return ``status`` (1 by default) as the exit status."""
        await self.err(msg.rstrip("\n") + "\n")
        return status


class ExitShell(Exception):
    """Raised by ``exit``: ends the shell with ``status`` (the SSH session's exit status)."""
    def __init__(self, status: int) -> None:
        self.status = status
