"""The shell's interpreter: one session on a host (cwd, variables, last status) running command lines.

Every name, built-in or program (``docker``, ``docker-compose``, the preflight's ``date``/``df``/
``nc``...), is looked up in the one table of :mod:`..programs`; the shell imports no program module.
An unknown command prints ``bash: NAME: command not found`` and returns 127.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from ..programs import lookup
from .lexer import ShellSyntaxError, Simple, parse, split_list, tokenize
from .proc import BufferWriter, ExitShell, Proc, Writer

if TYPE_CHECKING:  # pragma: no cover
    from ..host import HostContext


class Shell:
    """One shell session on a host: cwd, variables, last status."""

    def __init__(self, host: "HostContext", out: Writer, err: Writer, *, tty: bool = False,
                 channel_input: Callable[[], Awaitable[str]] | None = None) -> None:
        self.host = host
        self.out = out
        self.err = err
        #: reads the SSH channel's input to its end (a command run with input); None: there is none
        self.channel_input = channel_input
        #: the session has a terminal (``ssh -t``, asyncssh ``term_type``): output is CRLF, stderr merged
        self.tty = tty
        home = f"/home/{host.user}"
        self.env: dict[str, str] = {
            "HOME": home, "USER": host.user, "LOGNAME": host.user, "SHELL": "/bin/bash",
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "PWD": home, "HOSTNAME": host.name, "LANG": "C.UTF-8",
        }
        self.cwd = home
        self.status = 0

    # ---- paths
    def real(self, path: str):
        """The real ``Path`` in the host's sandbox for ``path`` (relative to the shell's current directory)."""
        return self.host.sandbox.real(path, self.cwd)

    def vpath(self, path: str) -> str:
        """``path`` as an absolute, normalised virtual path (relative to the shell's current directory)."""
        return self.host.sandbox.normalize(self.cwd, path)

    async def run(self, line: str) -> int:
        """Run one command line; return its exit status.

        The line is split at top-level ``&&``/``||``/``;`` first and each piece is expanded just
        before it runs, so ``$?`` and variables see the effect of earlier pieces.
        """
        try:
            pieces = split_list(line)
            for _, piece in pieces:  # syntax check everything before running anything
                parse(tokenize(piece, {}, 0))
        except ShellSyntaxError as exc:
            await self.err(f"bash: {exc}\n")
            self.status = 2
            return 2
        status = 0
        for conn, piece in pieces:
            if conn == "&&" and status != 0:
                continue
            if conn == "||" and status == 0:
                continue
            lists = parse(tokenize(piece, self.env, self.status))
            for _, pipeline in lists:
                status = await self._pipeline(pipeline)
                self.status = status
        self.status = status
        return status

    async def _pipeline(self, pipeline: list[Simple]) -> int:
        stdin: str | None = None
        status = 0
        for idx, simple in enumerate(pipeline):
            last = idx == len(pipeline) - 1
            if last:
                status = await self._simple(simple, self.out, self.err, stdin)
            else:
                buf = BufferWriter()
                status = await self._simple(simple, buf, self.err, stdin)
                stdin = buf.text()
        return status

    async def _simple(self, simple: Simple, out: Writer, err: Writer, stdin: str | None) -> int:
        files: list[tuple[str, BufferWriter, bool]] = []
        for op, target in simple.redirs:
            if op in ("2>&1",):
                err = out
            elif op == ">&2":
                out = err
            elif op == "<" and target == "/dev/null":
                stdin = ""
            elif op == "<":
                p = self.real(target)
                if not p.is_file():
                    await self.err(f"bash: {target}: No such file or directory\n")
                    return 1
                stdin = p.read_text(errors="replace")
            else:
                buf = BufferWriter()
                append = op in (">>", "2>>")
                if target == "/dev/null":
                    pass
                else:
                    files.append((target, buf, append))
                if op in (">", ">>", "1>"):
                    out = buf
                elif op in ("2>", "2>>"):
                    err = buf
                else:  # &>
                    out = err = buf
        if not simple.argv:
            self.env.update(simple.assigns)
            status = 0
        else:
            env = dict(self.env)
            env.update(simple.assigns)
            proc = Proc(self, simple.argv, env, dict(simple.assigns), out, err, stdin)
            status = await self.dispatch(proc)
        for target, buf, append in files:
            p = self.real(target)
            if not p.parent.is_dir():
                await self.err(f"bash: {target}: No such file or directory\n")
                return 1
            with open(p, "a" if append else "w") as fh:
                fh.write(buf.text())
        return status

    async def dispatch(self, proc: Proc) -> int:
        """Run one command by name."""
        name = proc.argv[0]
        base = name.rsplit("/", 1)[-1] if name.startswith(("/usr/bin/", "/usr/local/bin/", "/bin/")) else name
        found = lookup(base) if base not in self.host.missing_commands else None
        if found is None:
            return await proc.fail(f"bash: {name}: command not found", 127)
        try:
            return await found.run(proc)
        except ExitShell:
            raise
        except (OSError, ValueError) as exc:
            return await proc.fail(f"{base}: {exc}", 1)
