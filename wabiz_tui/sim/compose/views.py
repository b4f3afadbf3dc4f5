"""The compose subcommands that only look: ``ps``, ``logs``, ``config``, ``exec`` (output on stdout
as docker-compose 1.29 writes it)."""

from __future__ import annotations

import asyncio
from typing import Any

import yaml

from ..engine_access import exec_in
from ..shell import Proc
from .common import ports_text, ps_table, since_time, split_options, state_text, truncate
from .project import ComposeError, Project, project_containers, select_services


async def cmd_ps(p: Proc, proj: Project, rest: list[str]) -> int:
    """``ps [--services] [-q] [SERVICE...]``: the project's containers on this host, stopped ones included, as the
    Name/Command/State/Ports table; ``-q`` prints their 64-hex ids instead, ``--services`` the service names. Returns 0;
    :class:`ComposeError` for an unknown service."""
    opts, names = split_options(rest)
    select_services(proj, names)
    cs = project_containers(p, proj, names)
    if "--services" in opts:
        for s in names or list(proj.services):
            await p.out(s + "\n")
        return 0
    if "-q" in opts or "--quiet" in opts:
        for c in cs:
            await p.out(c.full_id + "\n")
        return 0
    rows = [[c.name, truncate(" ".join(c.command)), state_text(c), ports_text(c)] for c in cs]
    await p.out(ps_table(rows, ["Name", "Command", "State", "Ports"]))
    return 0


#: ``docker-compose logs`` 1.29.2's answer to an option it lacks (``--since``, ``--until``): this usage text
#: on stderr, exit status 0 (observed here, Debian's docker-compose 1.29.2-3).
V1_LOGS_USAGE = """View output from containers.

Usage: logs [options] [--] [SERVICE...]

Options:
    --no-color              Produce monochrome output.
    -f, --follow            Follow log output.
    -t, --timestamps        Show timestamps.
    --tail="all"            Number of lines to show from the end of the logs
                            for each container.
    --no-log-prefix         Don't print prefix in logs.
"""


async def cmd_logs(p: Proc, proj: Project, rest: list[str]) -> int:
    """``logs``. v1 prints ``Attaching to <containers>`` first and prefixes lines with ``<service>_<n>``
    padded to the longest plus one (``wacore_1  | stand-in node ready``, observed on compose 1.29.2 here);
    v2 prefixes with the container name. v1 has no ``--since``/``--until`` (:data:`V1_LOGS_USAGE`)."""
    v2 = getattr(p, "compose_v2", False)
    if not v2 and any(a in ("--since", "--until") or a.startswith(("--since=", "--until=")) for a in rest):
        await p.err(V1_LOGS_USAGE)
        return 0
    opts, names = split_options(rest, ("--tail", "--since", "--until"))
    select_services(proj, names)
    cs = project_containers(p, proj, names)
    tail = opts.get("--tail", "all")
    stamps = "-t" in opts or "--timestamps" in opts
    since = since_time(opts["--since"]) if opts.get("--since") else None
    label = {c.id: c.name if v2 else c.name[len(proj.name) + 1:] for c in cs}
    width = max([len(v) for v in label.values()] or [0]) + 1
    if not v2 and cs:
        await p.out("Attaching to " + ", ".join(c.name for c in cs) + "\n")
    sent: dict[str, int] = {}
    for c in cs:
        lines = [(ts, text) for ts, text in c.logs if since is None or ts >= since]
        if tail != "all":
            n = int(tail)
            lines = lines[-n:] if n > 0 else []
        for ts, text in lines:
            stamp = f"{ts:%Y-%m-%dT%H:%M:%S.%f}000Z " if stamps else ""
            await p.out(f"{label[c.id].ljust(width)} | {stamp}{text}\n")
        if tail == "all" and since is None and p.shell.host.log_filler_bytes > 0:
            await _filler(p, label[c.id].ljust(width), p.shell.host.log_filler_bytes)
        sent[c.id] = len(c.logs)
        await asyncio.sleep(0)
    if "-f" in opts or "--follow" in opts:
        while any(c.running for c in cs):
            await asyncio.sleep(max(0.05, 0.5 * p.shell.host.speed))
            for c in cs:
                for ts, text in c.logs[sent.get(c.id, 0):]:
                    await p.out(f"{label[c.id].ljust(width)} | {text}\n")
                sent[c.id] = len(c.logs)
    return 0


async def _filler(p: Proc, prefix: str, total: int) -> None:
    """Print about ``total`` bytes of realistic coreapp log lines, in ~64 KiB writes."""
    sent, n = 0, 0
    while sent < total:
        chunk = []
        size = 0
        while size < 65536 and sent + size < total:
            n += 1
            line = (f"{prefix} | I 2026-11-30 10:{(n // 60) % 60:02d}:{n % 60:02d} UTC 140 message_queue.cpp:88] "
                    f"delivered message id=gBEGkWUVUQVRAgk{n:010d} to 1631555{n % 10000:04d} in {n % 97} ms\n")
            chunk.append(line)
            size += len(line)
        await p.out("".join(chunk))
        sent += size


async def cmd_config(p: Proc, proj: Project, rest: list[str]) -> int:
    """``config [--services|--volumes|-q]``: the service or named-volume names, nothing for ``-q`` (the file was read
    without error), else the interpolated project as YAML with sorted keys (each service's command, environment, image,
    network mode, ports in long form and volumes; ``version``; the top-level volumes). Returns 0."""
    opts, _ = split_options(rest)
    if "--services" in opts:
        for s in proj.services:
            await p.out(s + "\n")
        return 0
    if "--volumes" in opts:
        for v in proj.volumes:
            await p.out(v + "\n")
        return 0
    if "-q" in opts or "--quiet" in opts:
        return 0
    doc: dict[str, Any] = {"services": {}}
    for s in proj.services.values():
        entry: dict[str, Any] = {}
        if s.command:
            entry["command"] = s.command
        entry["environment"] = {k: v for k, v in sorted(s.env.items()) if not k.startswith("__")}
        entry["image"] = s.image
        if s.network_mode:
            entry["network_mode"] = s.network_mode
        if s.ports:
            entry["ports"] = [{"published": int(x.split(":")[-2]) if ":" in x else None,
                               "target": int(x.split(":")[-1].split("/")[0]), "protocol": "tcp"}
                              for x in s.ports]
        if s.volumes:
            entry["volumes"] = s.volumes
        doc["services"][s.name] = entry
    doc["version"] = str(proj.raw.get("version", "3"))
    if proj.volumes:
        doc["volumes"] = {v: (proj.raw.get("volumes") or {}).get(v) or {} for v in proj.volumes}
    await p.out(yaml.safe_dump(doc, default_flow_style=False, sort_keys=True))
    return 0


async def cmd_exec(p: Proc, proj: Project, rest: list[str]) -> int:
    """``exec [options] SERVICE COMMAND...``: run ``COMMAND`` in the service's first running container
    (:func:`~..engine_access.exec_in`) and return its exit status; options before the service are skipped (``-u``,
    ``-e``, ``-w``, ``--index`` with their value). :class:`ComposeError` when no service is named, for an unknown one,
    or ``No container found for <service>_1`` when none runs."""
    args = list(rest)
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-u", "--user", "-e", "--env", "-w", "--workdir", "--index") and args:
            args.pop(0)
    if not args:
        raise ComposeError("exec requires SERVICE and COMMAND")
    svc, cmd = args[0], args[1:]
    select_services(proj, [svc])
    running = [c for c in project_containers(p, proj, [svc]) if c.running]
    if not running:
        raise ComposeError(f"No container found for {svc}_1")
    return await exec_in(p, running[0], cmd)
