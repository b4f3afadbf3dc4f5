"""The shell's own commands: ``true false : exit echo pwd cd hostname whoami id uname command which
sudo sh bash export unset set`` (file and text tools are in :mod:`.coreutils`)."""

from __future__ import annotations

from ..programs import lookup, program
from .interpreter import Shell
from .lexer import ASSIGN_RE, NAME_RE
from .proc import ExitShell, Proc


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
    while args and ASSIGN_RE.match(args[0]):
        m = ASSIGN_RE.match(args.pop(0))
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


@program("export")
async def _export(p: Proc) -> int:
    for a in p.argv[1:]:
        if a.startswith("-"):
            continue
        m = ASSIGN_RE.match(a)
        if m:
            p.shell.env[m.group(1)] = m.group(2)
        elif not NAME_RE.fullmatch(a):
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
