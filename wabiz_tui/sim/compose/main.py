"""``docker-compose ARGS`` (1.29) and ``docker compose ARGS`` (v2, same behaviour): global options,
``version``, and the subcommand table; registers the ``docker-compose`` program."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine_access import docker_fault
from ..programs import program
from ..shell import Proc
from .lifecycle import cmd_down, cmd_kill, cmd_restart, cmd_rm, cmd_start, cmd_stop, cmd_up
from .pull import cmd_pull
from .project import V1_VERSION, V2_VERSION, ComposeError, load_project
from .views import cmd_config, cmd_exec, cmd_logs, cmd_ps


@dataclass
class _Opts:
    files: list[str] = field(default_factory=list)
    project_dir: str | None = None
    project_name: str | None = None


@program("docker-compose", path="/usr/bin/docker-compose")
async def compose_v1_program(p: Proc) -> int:
    """The ``docker-compose`` program (1.29, when the host has it): daemon fault if any, else :func:`compose_main`."""
    if not p.shell.host.compose_v1:
        return await p.fail("bash: docker-compose: command not found", 127)
    failed = await docker_fault(p)
    return failed if failed is not None else await compose_main(p, v2=False)


async def compose_main(p: Proc, args: list[str] | None = None, *, v2: bool = False) -> int:
    """Run ``docker-compose ARGS`` (or ``docker compose ARGS`` when ``v2``) on the host of ``p``."""
    args = list(p.argv[1:] if args is None else args)
    o = _Opts()
    prog = "docker compose" if v2 else "docker-compose"
    while args and args[0].startswith("-"):
        a = args.pop(0)
        if a in ("-f", "--file"):
            o.files.append(args.pop(0) if args else "")
        elif a.startswith("--file="):
            o.files.append(a.split("=", 1)[1])
        elif a == "--project-directory":
            o.project_dir = args.pop(0) if args else ""
        elif a.startswith("--project-directory="):
            o.project_dir = a.split("=", 1)[1]
        elif a in ("-p", "--project-name"):
            o.project_name = args.pop(0) if args else ""
        elif a.startswith("--project-name="):
            o.project_name = a.split("=", 1)[1]
        elif a in ("--ansi", "--env-file", "--log-level", "--progress", "--profile"):
            if args:
                args.pop(0)
        elif a.startswith(("--ansi=", "--env-file=", "--log-level=", "--progress=")):
            continue
        elif a in ("--no-ansi", "--verbose", "--compatibility"):
            continue
        elif a in ("-v", "--version"):
            await p.out(f"Docker Compose version {V2_VERSION}\n" if v2
                        else f"docker-compose version {V1_VERSION}, build unknown\n")
            return 0
        elif a in ("-h", "--help"):
            await p.out(f"Define and run multi-container applications with Docker.\n\nUsage:\n  {prog} "
                        "[-f <arg>...] [--project-directory <path>] [options] [COMMAND] [ARGS...]\n")
            return 0
        else:
            return await p.fail(f"unknown flag: {a}" if v2 else f"ERROR: No such option: {a}", 1)
    if not args:
        await p.err(f"Define and run multi-container applications with Docker.\n\nUsage:\n  {prog} "
                    "[-f <arg>...] [--project-directory <path>] [options] [COMMAND] [ARGS...]\n")
        return 1
    sub, rest = args[0], args[1:]
    if sub == "version":
        if v2 or "--short" in rest:
            await p.out((f"Docker Compose version {V2_VERSION}\n" if v2 else f"{V1_VERSION}\n")
                        if "--short" not in rest else f"{V2_VERSION[1:] if v2 else V1_VERSION}\n")
        else:
            await p.out(f"docker-compose version {V1_VERSION}, build unknown\ndocker-py version: 5.0.3\n"
                        "CPython version: 3.11.2\nOpenSSL version: OpenSSL 3.0.11 19 Sep 2023\n")
        return 0
    handler = _SUBCOMMANDS.get(sub)
    if handler is None:
        return await p.fail(f"unknown docker command: \"compose {sub}\"" if v2 else f"No such command: {sub}", 1)
    try:
        proj = load_project(p, o.files, o.project_dir, o.project_name)
        for name in proj.warnings:  # v1 and v2 word it differently (docker/compose#4788, #9067)
            await p.err(f'WARN[0000] The "{name}" variable is not set. Defaulting to a blank string.\n' if v2
                        else f"WARNING: The {name} variable is not set. Defaulting to a blank string.\n")
        p.compose_v2 = v2
        return await handler(p, proj, rest)
    except ComposeError as exc:
        await p.err(f"{exc.prefix}{exc}\n")
        return 1


_SUBCOMMANDS = {"up": cmd_up, "ps": cmd_ps, "logs": cmd_logs, "stop": cmd_stop, "down": cmd_down,
                "config": cmd_config, "start": cmd_start, "restart": cmd_restart, "kill": cmd_kill,
                "rm": cmd_rm, "pull": cmd_pull, "exec": cmd_exec}
