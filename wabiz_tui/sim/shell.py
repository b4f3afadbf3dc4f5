"""A small POSIX-ish shell, enough for the commands an installer sends over SSH.

Supported: lists with ``&&``, ``||``, ``;``; pipes ``|`` (stdin for ``cat``/``grep``/``head``/
``tail``/``wc``/``tr``); single/double quotes and backslashes; ``$VAR``/``${VAR}``/``$?`` expansion;
``VAR=value`` prefixes (passed to the command only); redirections ``>``, ``>>``, ``2>``, ``2>&1``,
``&>``; built-ins ``cd mkdir chmod stat test [ cat ls echo rm touch true false hostname id whoami
pwd command which exit sudo sh/bash -c uname grep head tail wc tr``. Every name, built-in or program
(``docker``, ``docker-compose``, the preflight's ``date``/``df``/``nc``...), is looked up in the one
table of :mod:`.programs`; the shell imports no program module.
An unknown command prints ``bash: NAME: command not found`` and returns 127.
"""

from __future__ import annotations

import hashlib

import os
import re
import shutil
import stat as _stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable

from .programs import lookup, program

if TYPE_CHECKING:  # pragma: no cover
    from .host import HostContext

Writer = Callable[[str], Awaitable[None]]

_OPS = ("&&", "||", ";", "|", ">>", ">", "2>>", "2>&1", "2>", "&>", "1>", ">&2", "<")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


class ShellSyntaxError(Exception):
    """Unbalanced quotes or a dangling operator."""


@dataclass
class Word:
    text: str
    assignable: bool = True  # False when the NAME= part was quoted


@dataclass
class Op:
    text: str


def tokenize(line: str, env: dict[str, str], last_status: int = 0) -> list[Word | Op]:
    """Split a command line into words (quotes removed, variables expanded) and operators."""
    out: list[Word | Op] = []
    buf: list[str] = []
    have_word = False
    quoted_prefix = False
    i, n = 0, len(line)

    def flush() -> None:
        nonlocal buf, have_word, quoted_prefix
        if have_word:
            out.append(Word("".join(buf), not quoted_prefix))
        buf, have_word, quoted_prefix = [], False, False

    def expand(j: int) -> tuple[str, int]:
        # line[j] == '$'
        if j + 1 < n and line[j + 1] == "?":
            return str(last_status), j + 2
        if j + 1 < n and line[j + 1] == "{":
            end = line.find("}", j + 2)
            if end < 0:
                raise ShellSyntaxError("bad substitution")
            name = line[j + 2:end]
            return env.get(name, ""), end + 1
        m = _NAME_RE.match(line, j + 1)
        if m:
            return env.get(m.group(0), ""), m.end()
        return "$", j + 1

    while i < n:
        ch = line[i]
        if ch in " \t\n":
            flush()
            i += 1
            continue
        if ch == "#" and not have_word:
            break
        if ch == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unexpected EOF while looking for matching `''")
            if "=" not in "".join(buf):
                quoted_prefix = True
            buf.append(line[i + 1:end])
            have_word = True
            i = end + 1
            continue
        if ch == '"':
            if "=" not in "".join(buf):
                quoted_prefix = True
            i += 1
            have_word = True
            while True:
                if i >= n:
                    raise ShellSyntaxError('unexpected EOF while looking for matching `"\'')
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and line[i + 1] in '"\\$`':
                    buf.append(line[i + 1])
                    i += 2
                    continue
                if c == "$":
                    val, i = expand(i)
                    buf.append(val)
                    continue
                buf.append(c)
                i += 1
            continue
        if ch == "\\":
            if i + 1 < n:
                if line[i + 1] != "\n":
                    buf.append(line[i + 1])
                    have_word = True
                i += 2
            else:
                i += 1
            continue
        if ch == "$":
            val, i = expand(i)
            buf.append(val)
            have_word = True
            continue
        # operators
        if ch in "&|;><" or (ch in "12" and not have_word and i + 1 < n and line[i + 1] == ">"):
            matched = None
            for op in sorted(_OPS, key=len, reverse=True):
                if line.startswith(op, i):
                    matched = op
                    break
            if matched is None:
                if ch == "&":
                    raise ShellSyntaxError("background jobs (&) are not supported")
                buf.append(ch)
                have_word = True
                i += 1
                continue
            flush()
            out.append(Op("1>" if matched == "1>" else matched))
            i += len(matched)
            continue
        buf.append(ch)
        have_word = True
        i += 1
    flush()
    return out


def split_list(line: str) -> list[tuple[str, str]]:
    """Split at top-level ``&&``, ``||`` and ``;`` (outside quotes): ``[(connector, piece)]``."""
    pieces: list[tuple[str, str]] = []
    conn = ";"
    start = i = 0
    quote: str | None = None
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 2
            continue
        elif ch == "#" and (i == 0 or line[i - 1] in " \t;&|"):
            break
        elif line.startswith(("&&", "||"), i) or ch == ";":
            op = ";" if ch == ";" else line[i:i + 2]
            piece = line[start:i]
            if not piece.strip():
                if op != ";" or pieces:
                    raise ShellSyntaxError(f"syntax error near unexpected token `{op}'")
            else:
                pieces.append((conn, piece))
            conn = op
            i += len(op)
            start = i
            continue
        i += 1
    if quote:
        raise ShellSyntaxError(f"unexpected EOF while looking for matching `{quote}'")
    tail = line[start:i]
    if tail.strip():
        pieces.append((conn, tail))
    elif conn in ("&&", "||"):
        raise ShellSyntaxError("syntax error: unexpected end of file")
    return pieces


@dataclass
class Simple:
    """One simple command: assignments, argv, redirections ``(op, target)``."""

    assigns: dict[str, str] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)
    redirs: list[tuple[str, str]] = field(default_factory=list)


def parse(tokens: list[Word | Op]) -> list[tuple[str, list[Simple]]]:
    """Return ``[(connector, pipeline)]``; the first connector is ``";"``."""
    result: list[tuple[str, list[Simple]]] = []
    conn = ";"
    pipeline: list[Simple] = []
    cur = Simple()
    i = 0

    def end_simple() -> None:
        nonlocal cur
        if not cur.argv and not cur.assigns and not cur.redirs:
            raise ShellSyntaxError("syntax error near unexpected token")
        pipeline.append(cur)
        cur = Simple()

    while i < len(tokens):
        t = tokens[i]
        if isinstance(t, Word):
            m = _ASSIGN_RE.match(t.text)
            if not cur.argv and m and t.assignable:
                cur.assigns[m.group(1)] = m.group(2)
            else:
                cur.argv.append(t.text)
            i += 1
            continue
        if t.text in ("&&", "||", ";"):
            if cur.argv or cur.assigns or cur.redirs:
                end_simple()
            if pipeline:
                result.append((conn, pipeline))
            elif t.text != ";":
                raise ShellSyntaxError(f"syntax error near unexpected token `{t.text}'")
            pipeline = []
            conn = t.text
            i += 1
            continue
        if t.text == "|":
            end_simple()
            i += 1
            continue
        if t.text in ("2>&1", ">&2"):
            cur.redirs.append((t.text, ""))
            i += 1
            continue
        # redirection with a target
        if i + 1 >= len(tokens) or not isinstance(tokens[i + 1], Word):
            raise ShellSyntaxError("syntax error near unexpected token `newline'")
        cur.redirs.append((t.text, tokens[i + 1].text))  # type: ignore[union-attr]
        i += 2
    if cur.argv or cur.assigns or cur.redirs:
        end_simple()
    if pipeline:
        result.append((conn, pipeline))
    elif conn in ("&&", "||"):
        raise ShellSyntaxError("syntax error: unexpected end of file")
    return result


class BufferWriter:
    """Collects text written by a command (for pipes and file redirections)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    async def __call__(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
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

    async def fail(self, msg: str, status: int = 1) -> int:
        await self.err(msg.rstrip("\n") + "\n")
        return status


class ExitShell(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class Shell:
    """One shell session on a host: cwd, variables, last status."""

    def __init__(self, host: "HostContext", out: Writer, err: Writer, *, tty: bool = False) -> None:
        self.host = host
        self.out = out
        self.err = err
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
        return self.host.sandbox.real(path, self.cwd)

    def vpath(self, path: str) -> str:
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


# ---------------------------------------------------------------------------- built-ins

def _split_flags(args: list[str], known: str) -> tuple[set[str], list[str]]:
    flags: set[str] = set()
    rest: list[str] = []
    for a in args:
        if a.startswith("-") and len(a) > 1 and not rest and all(c in known for c in a[1:]):
            flags.update(a[1:])
        else:
            rest.append(a)
    return flags, rest


@program("true", ":")
async def _true(p: Proc) -> int:
    return 0


@program("false")
async def _false(p: Proc) -> int:
    return 1


@program("exit")
async def _exit(p: Proc) -> int:
    raise ExitShell(int(p.argv[1]) if len(p.argv) > 1 and p.argv[1].isdigit() else p.shell.status)


@program("echo")
async def _echo(p: Proc) -> int:
    args = p.argv[1:]
    newline = True
    while args and args[0] in ("-n", "-e", "-ne", "-en"):
        if "n" in args[0]:
            newline = False
        args = args[1:]
    await p.out(" ".join(args) + ("\n" if newline else ""))
    return 0


@program("pwd")
async def _pwd(p: Proc) -> int:
    await p.out(p.shell.cwd + "\n")
    return 0


@program("cd")
async def _cd(p: Proc) -> int:
    target = p.argv[1] if len(p.argv) > 1 else p.shell.env["HOME"]
    if target == "-":
        target = p.shell.env.get("OLDPWD", p.shell.cwd)
    path = p.shell.real(target)
    if not path.exists():
        return await p.fail(f"bash: cd: {target}: No such file or directory")
    if not path.is_dir():
        return await p.fail(f"bash: cd: {target}: Not a directory")
    p.shell.env["OLDPWD"] = p.shell.cwd
    p.shell.cwd = p.shell.vpath(target)
    p.shell.env["PWD"] = p.shell.cwd
    return 0


@program("hostname")
async def _hostname(p: Proc) -> int:
    await p.out(p.shell.host.name + "\n")
    return 0


@program("whoami")
async def _whoami(p: Proc) -> int:
    await p.out(p.shell.host.user + "\n")
    return 0


@program("id")
async def _id(p: Proc) -> int:
    user = p.shell.host.user
    args = p.argv[1:]
    if "-u" in args:
        await p.out(("1000" if "-n" not in args else user) + "\n")
    elif "-g" in args:
        await p.out(("1000" if "-n" not in args else user) + "\n")
    elif "-un" in args or "-nu" in args:
        await p.out(user + "\n")
    else:
        await p.out(f"uid=1000({user}) gid=1000({user}) groups=1000({user}),999(docker)\n")
    return 0


@program("uname")
async def _uname(p: Proc) -> int:
    if "-a" in p.argv:
        await p.out(f"Linux {p.shell.host.name} 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 "
                    "x86_64 GNU/Linux\n")
    elif "-m" in p.argv:
        await p.out("x86_64\n")
    else:
        await p.out("Linux\n")
    return 0


@program("command", "which")
async def _command(p: Proc) -> int:
    args = [a for a in p.argv[1:] if not a.startswith("-")]
    if p.argv[0] == "command" and "-v" not in p.argv[1:]:
        if not args:
            return 0
        sub = Proc(p.shell, args, p.env, p.cmd_env, p.out, p.err, p.stdin)
        return await p.shell.dispatch(sub)
    status = 0
    for a in args:
        found = lookup(a)
        if found is None:
            status = 1
        elif found.path:
            await p.out(found.path + "\n")
        elif p.argv[0] == "command":
            await p.out(a + "\n")
        else:
            await p.out(f"/usr/bin/{a}\n")
    return status


#: sudo's own answers (sudo 1.9) when it would need a password: with ``-n``, and without a terminal.
SUDO_PASSWORD_REQUIRED = "sudo: a password is required"
SUDO_NO_TERMINAL = ("sudo: a terminal is required to read the password; either use the -S option to read from "
                    "standard input or configure an askpass helper")


@program("sudo")
async def _sudo(p: Proc) -> int:
    """``sudo [-n] [VAR=value …] command``: as the host's sudo policy allows (``HostContext.sudo``)."""
    mode = p.shell.host.sudo
    if mode == "absent":
        return await p.fail("bash: sudo: command not found", 127)
    args = p.argv[1:]
    flags = []
    while args and args[0].startswith("-"):
        flags.append(args.pop(0))
    if mode == "password":
        if "-n" in flags:
            return await p.fail(SUDO_PASSWORD_REQUIRED, 1)
        return await p.fail(f"{SUDO_NO_TERMINAL}\n{SUDO_PASSWORD_REQUIRED}", 1)
    env, cmd_env = dict(p.env), dict(p.cmd_env)
    while args and _ASSIGN_RE.match(args[0]):
        m = _ASSIGN_RE.match(args.pop(0))
        env[m.group(1)] = cmd_env[m.group(1)] = m.group(2)
    if not args:
        return await p.fail("usage: sudo command", 1)
    sub = Proc(p.shell, args, env, cmd_env, p.out, p.err, p.stdin, root=True)
    return await p.shell.dispatch(sub)


@program("sh", "bash")
async def _sh(p: Proc) -> int:
    if len(p.argv) >= 3 and p.argv[1] == "-c":
        sub = Shell(p.shell.host, p.out, p.err, tty=p.shell.tty and p.err is p.shell.err)
        sub.cwd, sub.env = p.shell.cwd, dict(p.env)
        try:
            return await sub.run(p.argv[2])
        except ExitShell as ex:
            return ex.status
    return await p.fail(f"{p.argv[0]}: only -c is supported here", 2)


@program("mkdir")
async def _mkdir(p: Proc) -> int:
    args = p.argv[1:]
    parents = False
    mode: int | None = None
    paths: list[str] = []
    it = iter(args)
    for a in it:
        if a in ("-p", "--parents"):
            parents = True
        elif a == "-m":
            mode = int(next(it), 8)
        elif a.startswith("-") and a != "-" and set(a[1:]) <= {"p", "v"}:
            parents = parents or "p" in a
        else:
            paths.append(a)
    if not paths:
        return await p.fail("mkdir: missing operand")
    status = 0
    for a in paths:
        path = p.shell.real(a)
        if path.exists():
            if not parents or not path.is_dir():  # mkdir -p still refuses a path that is a file
                status = await p.fail(f"mkdir: cannot create directory ‘{a}’: File exists")
            continue
        if not parents and not path.parent.is_dir():
            status = await p.fail(f"mkdir: cannot create directory ‘{a}’: No such file or directory")
            continue
        path.mkdir(parents=parents, exist_ok=parents)
        if mode is not None:
            os.chmod(path, mode)
    return status


def _apply_mode(spec: str, current: int) -> int:
    if re.fullmatch(r"[0-7]{1,4}", spec):
        return int(spec, 8)
    mode = current
    for clause in spec.split(","):
        m = re.fullmatch(r"([ugoa]*)([+\-=])([rwxX]*)", clause)
        if not m:
            raise ValueError(f"invalid mode: ‘{spec}’")
        who, op, perms = m.groups()
        who = who or "a"
        bits = 0
        for w in ("u", "g", "o"):
            if w in who or "a" in who:
                shift = {"u": 6, "g": 3, "o": 0}[w]
                for ch, val in (("r", 4), ("w", 2), ("x", 1), ("X", 1)):
                    if ch in perms:
                        bits |= val << shift
        if op == "+":
            mode |= bits
        elif op == "-":
            mode &= ~bits
        else:
            mask = 0
            for w in ("u", "g", "o"):
                if w in who or "a" in who:
                    mask |= 7 << {"u": 6, "g": 3, "o": 0}[w]
            mode = (mode & ~mask) | bits
    return mode


@program("chmod")
async def _chmod(p: Proc) -> int:
    args = p.argv[1:]
    recursive = False
    while args and args[0] in ("-R", "-r", "--recursive", "-v", "-f"):
        recursive = recursive or args[0] in ("-R", "--recursive")
        args = args[1:]
    if len(args) < 2:
        return await p.fail("chmod: missing operand")
    spec, targets = args[0], args[1:]
    status = 0
    for t in targets:
        path = p.shell.real(t)
        if not path.exists():
            status = await p.fail(f"chmod: cannot access '{t}': No such file or directory")
            continue
        todo = [path]
        if recursive and path.is_dir():
            todo += list(path.rglob("*"))
        for q in todo:
            os.chmod(q, _apply_mode(spec, _stat.S_IMODE(q.stat().st_mode)))
    return status


@program("chown")
async def _chown(p: Proc) -> int:
    args = [a for a in p.argv[1:] if not a.startswith("-")]
    if len(args) < 2:
        return await p.fail("chown: missing operand")
    status = 0
    for t in args[1:]:
        if not p.shell.real(t).exists():
            status = await p.fail(f"chown: cannot access '{t}': No such file or directory")
    return status


def _stat_format(fmt: str, path, vname: str, user: str) -> str:
    st = path.stat()
    kind = "directory" if path.is_dir() else ("regular file" if st.st_size else "regular empty file")
    repl = {"a": f"{_stat.S_IMODE(st.st_mode):o}", "n": vname, "s": str(st.st_size), "F": kind,
            "U": user, "G": user, "u": "1000", "g": "1000", "A": _stat.filemode(st.st_mode),
            "Y": str(int(st.st_mtime)), "%": "%"}
    return re.sub(r"%(.)", lambda m: repl.get(m.group(1), m.group(0)), fmt)


@program("stat")
async def _stat_cmd(p: Proc) -> int:
    args = p.argv[1:]
    fmt: str | None = None
    paths: list[str] = []
    it = iter(args)
    for a in it:
        if a in ("-c", "--format", "--printf"):
            fmt = next(it, "")
        elif a.startswith("--format="):
            fmt = a.split("=", 1)[1]
        elif a.startswith("-c") and len(a) > 2:
            fmt = a[2:]
        elif a in ("-L",):
            continue
        else:
            paths.append(a)
    if not paths:
        return await p.fail("stat: missing operand")
    status = 0
    for a in paths:
        path = p.shell.real(a)
        if not path.exists():
            status = await p.fail(f"stat: cannot statx '{a}': No such file or directory")
            continue
        if fmt is None:
            st = path.stat()
            await p.out(f"  File: {a}\n  Size: {st.st_size}\nAccess: ({_stat.S_IMODE(st.st_mode):04o}/"
                        f"{_stat.filemode(st.st_mode)})\n")
        else:
            await p.out(_stat_format(fmt, path, a, p.shell.host.user) + "\n")
    return status


def _eval_test(p: Proc, args: list[str]) -> bool:
    if args and args[0] == "!":
        return not _eval_test(p, args[1:])
    if len(args) == 0:
        return False
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, a = args
        if op == "-z":
            return a == ""
        if op == "-n":
            return a != ""
        path = p.shell.real(a)
        checks = {"-d": path.is_dir, "-f": path.is_file, "-e": path.exists,
                  "-s": lambda: path.is_file() and path.stat().st_size > 0,
                  "-r": path.exists, "-w": path.exists,
                  "-x": lambda: path.exists() and bool(path.stat().st_mode & 0o111),
                  "-L": path.is_symlink, "-h": path.is_symlink}
        if op not in checks:
            raise ValueError(f"{op}: unary operator expected")
        return bool(checks[op]())
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        ints = {"-eq": int.__eq__, "-ne": int.__ne__, "-lt": int.__lt__, "-le": int.__le__,
                "-gt": int.__gt__, "-ge": int.__ge__}
        if op in ints:
            return ints[op](int(a), int(b))
    raise ValueError("too many arguments")


@program("test", "[")
async def _test(p: Proc) -> int:
    args = p.argv[1:]
    if p.argv[0] == "[":
        if not args or args[-1] != "]":
            return await p.fail("bash: [: missing `]'", 2)
        args = args[:-1]
    try:
        return 0 if _eval_test(p, args) else 1
    except ValueError as exc:
        return await p.fail(f"bash: {p.argv[0]}: {exc}", 2)


@program("cat")
async def _cat(p: Proc) -> int:
    files = [a for a in p.argv[1:] if a != "-"]
    if not files:
        await p.out(p.stdin or "")
        return 0
    return await _each_file(p, files, lambda a, path: path.read_text(errors="replace"))


async def _each_file(p: Proc, names: list[str], text_of) -> int:
    """coreutils' per-file loop (cat, sha256sum): ``text_of(name, path)`` for each regular file; a directory
    or a missing file is said on stderr as ``<cmd>: NAME: Is a directory`` / ``No such file or directory``,
    and the status is then 1."""
    status = 0
    for a in names:
        path = p.shell.real(a)
        if path.is_dir():
            status = await p.fail(f"{p.argv[0]}: {a}: Is a directory")
        elif not path.exists():
            status = await p.fail(f"{p.argv[0]}: {a}: No such file or directory")
        else:
            await p.out(text_of(a, path))
    return status


@program("touch")
async def _touch(p: Proc) -> int:
    status = 0
    for a in [a for a in p.argv[1:] if not a.startswith("-")]:
        path = p.shell.real(a)
        if not path.parent.is_dir():
            status = await p.fail(f"touch: cannot touch '{a}': No such file or directory")
            continue
        path.touch()
    return status


@program("ls")
async def _ls(p: Proc) -> int:
    flags, paths = _split_flags(p.argv[1:], "laA1hdR")
    paths = paths or ["."]
    status = 0
    for a in paths:
        path = p.shell.real(a)
        if not path.exists():
            status = await p.fail(f"ls: cannot access '{a}': No such file or directory", 2)
            continue
        entries = [path] if (path.is_file() or "d" in flags) else sorted(path.iterdir(), key=lambda q: q.name)
        if "a" not in flags and "A" not in flags and path.is_dir() and "d" not in flags:
            entries = [e for e in entries if not e.name.startswith(".")]
        if "l" in flags:
            for e in entries:
                st = e.stat()
                name = a if e == path and not path.is_dir() else e.name
                await p.out(f"{_stat.filemode(st.st_mode)} 1 {p.shell.host.user} {p.shell.host.user} "
                            f"{st.st_size:>6} Nov 30 10:00 {name}\n")
        else:
            for e in entries:
                await p.out((a if e == path and not path.is_dir() else e.name) + "\n")
    return status


@program("rm")
async def _rm(p: Proc) -> int:
    flags, paths = _split_flags(p.argv[1:], "rRfv")
    status = 0
    for a in paths:
        path = p.shell.real(a)
        if path == p.shell.host.sandbox.root:
            status = await p.fail("rm: it is dangerous to operate recursively on '/'")
            continue
        if not path.exists() and not path.is_symlink():
            if "f" not in flags:
                status = await p.fail(f"rm: cannot remove '{a}': No such file or directory")
            continue
        if path.is_dir() and not path.is_symlink():
            if not flags & {"r", "R"}:
                status = await p.fail(f"rm: cannot remove '{a}': Is a directory")
                continue
            shutil.rmtree(path)
        else:
            path.unlink()
    return status


def _input_text(p: Proc, files: list[str]) -> str:
    if not files:
        return p.stdin or ""
    return "".join(p.shell.real(f).read_text(errors="replace") for f in files)


@program("grep")
async def _grep(p: Proc) -> int:
    args = p.argv[1:]
    opts = set()
    while args and args[0].startswith("-") and len(args[0]) > 1:
        opts.update(args.pop(0)[1:])
    if not args:
        return await p.fail("usage: grep [OPTION]... PATTERNS [FILE]...", 2)
    pat = re.compile(args[0], re.I if "i" in opts else 0)
    hits = [ln for ln in _input_text(p, args[1:]).splitlines() if bool(pat.search(ln)) != ("v" in opts)]
    if "c" in opts:
        await p.out(f"{len(hits)}\n")
    elif "q" not in opts:
        for ln in hits:
            await p.out(ln + "\n")
    return 0 if hits else 1


async def _headtail(p: Proc, tail: bool) -> int:
    args = p.argv[1:]
    count = 10
    files: list[str] = []
    it = iter(args)
    for a in it:
        if a == "-n":
            count = int(next(it, "10").lstrip("+"))
        elif re.fullmatch(r"-\d+", a):
            count = int(a[1:])
        elif a.startswith("-n"):
            count = int(a[2:])
        else:
            files.append(a)
    lines = _input_text(p, files).splitlines()
    sel = (lines[-count:] if count else []) if tail else lines[:count]
    for ln in sel:
        await p.out(ln + "\n")
    return 0


@program("head")
async def _head(p: Proc) -> int:
    return await _headtail(p, False)


@program("tail")
async def _tail(p: Proc) -> int:
    return await _headtail(p, True)


_TR_CLASSES = {"[:print:]": lambda c: c.isprintable() and c.isascii() or c == " ", "[:digit:]": str.isdigit,
               "[:space:]": str.isspace}


@program("tr")
async def _tr(p: Proc) -> int:
    """``tr [-c] SET1 SET2`` for single characters and the classes in ``_TR_CLASSES`` (enough for probes)."""
    args = p.argv[1:]
    complement = bool(args) and args[0] == "-c"
    args = args[1:] if complement else args
    if len(args) != 2:
        return await p.fail("usage: tr [-c] SET1 SET2", 1)
    set1, set2 = args
    test = _TR_CLASSES.get(set1) or (lambda c: c in set1)
    text = p.stdin or ""
    if complement:
        out = "".join(c if test(c) else set2[-1:] for c in text)
    else:
        table = {c: set2[min(i, len(set2) - 1)] for i, c in enumerate(set1)} if set2 else {}
        out = "".join(table.get(c, c) for c in text)
    await p.out(out)
    return 0


@program("sha256sum")
async def _sha256sum(p: Proc) -> int:
    """coreutils ``sha256sum FILE...``: ``<64 hex>  FILE`` per file; a missing one is said on stderr, status 1.
    Observed here (coreutils 9.1): ``sha256sum: /nonexist: No such file or directory``, exit 1."""
    return await _each_file(p, [a for a in p.argv[1:] if not a.startswith("-")],
                            lambda a, path: f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {a}\n")


@program("wc")
async def _wc(p: Proc) -> int:
    files = [a for a in p.argv[1:] if not a.startswith("-")]
    text = _input_text(p, files)
    if "-l" in p.argv:
        await p.out(f"{text.count(chr(10))}\n")
    else:
        await p.out(f"{text.count(chr(10))} {len(text.split())} {len(text.encode())}\n")
    return 0


@program("export")
async def _export(p: Proc) -> int:
    for a in p.argv[1:]:
        if a.startswith("-"):
            continue
        m = _ASSIGN_RE.match(a)
        if m:
            p.shell.env[m.group(1)] = m.group(2)
        elif not _NAME_RE.fullmatch(a):
            return await p.fail(f"bash: export: `{a}': not a valid identifier")
    return 0


@program("unset")
async def _unset(p: Proc) -> int:
    for a in p.argv[1:]:
        p.shell.env.pop(a, None)
    return 0


@program("set")
async def _set(p: Proc) -> int:
    return 0  # options such as -e / -o pipefail are accepted and ignored
