"""File and text tools of a host's userland, as the installer uses them: ``mkdir chmod chown stat
test [ cat touch ls rm grep head tail tr sha256sum wc``, on the host's sandbox filesystem."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat as _stat

from ..programs import program
from .proc import Proc


def _split_flags(args: list[str], known: str) -> tuple[set[str], list[str]]:
    flags: set[str] = set()
    rest: list[str] = []
    for a in args:
        if a.startswith("-") and len(a) > 1 and not rest and all(c in known for c in a[1:]):
            flags.update(a[1:])
        else:
            rest.append(a)
    return flags, rest


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
    files = [a for a in p.argv[1:] if a not in ("-", "--")]  # "--": the end of options, as coreutils reads it
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
