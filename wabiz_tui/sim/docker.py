"""``docker`` CLI emulator: ps, logs, wait, exec, kill, stop, start, restart, rm, inspect, version,
and ``docker compose`` (v2 form, delegated to :mod:`.compose`)."""

from __future__ import annotations

import asyncio

import datetime as _dt
import json
import re

from .daemon import Container
from .compose import ComposeError, compose_main, ports_text, since_time
from .engine_access import docker_fault, exec_in
from .programs import program
from .registry import pull_refusal
from .shell import Proc

DOCKER_VERSION = "24.0.7"


def _ago(when: _dt.datetime | None) -> str:
    if when is None:
        return "Less than a second"
    secs = int((_dt.datetime.now(_dt.timezone.utc) - when).total_seconds())
    if secs < 1:
        return "Less than a second"
    if secs < 60:
        return f"{secs} seconds"
    if secs < 3600:
        return f"{secs // 60} minutes"
    return f"{secs // 3600} hours"


def status_text(c: Container) -> str:
    """``docker ps`` STATUS column: ``Up 5 seconds`` / ``Exited (137) 2 seconds ago``."""
    if c.running:
        return f"Up {_ago(c.started_wall)}"
    if c.state == "created":  # never started (a port clash left it so: "Created" on docker 20.10 here)
        return "Created"
    if c.state == "restarting":  # docker 20.10: "Restarting (1) 2 seconds ago"
        return f"Restarting ({c.exit_code if c.exit_code is not None else 0}) {_ago(c.finished_wall)} ago"
    return f"Exited ({c.exit_code if c.exit_code is not None else 0}) {_ago(c.finished_wall)} ago"


def _dig(obj: dict, path: str) -> object:
    for part in path.split("."):
        obj = obj.get(part, "") if isinstance(obj, dict) else ""
    return obj


def port_bindings(c: Container) -> dict[str, list[dict[str, str]]]:
    """``HostConfig.PortBindings`` of ``c``: ``{"443/tcp": [{"HostIp": "", "HostPort": "9090"}]}`` for compose's
    ``"9090:443"`` (an address before the host port goes to ``HostIp``; a container port alone leaves ``HostPort``
    empty). It is the configuration the container was created with, so a stopped container keeps it (the shape:
    the Engine API's container inspect, e.g. github.com/kevana/ui-for-docker/pull/172)."""
    out: dict[str, list[dict[str, str]]] = {}
    for spec in c.ports:
        parts = spec.split(":")
        cont, _, proto = parts[-1].partition("/")
        host_port = parts[-2] if len(parts) >= 2 else ""
        host_ip = parts[0] if len(parts) == 3 else ""
        out.setdefault(f"{cont}/{proto or 'tcp'}", []).append({"HostIp": host_ip, "HostPort": host_port})
    return dict(sorted(out.items()))


#: One action of the Go-template subset clients use on ``docker inspect``: ``{{.A.B}}``, ``{{json .A.B}}``,
#: ``{{json .}}``.
_ACTION = re.compile(r"\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}")


def go_template(fmt: str, obj: dict) -> str:
    """``fmt`` filled from ``obj`` as ``docker inspect -f`` does for the subset of :data:`_ACTION`: a field prints its
    value (a string as is, an empty one as nothing, a bool as ``true``/``false``); ``json`` prints it as Go's
    encoding/json does: compact, ``{}`` for an empty map, ``null`` for a nil one (docs.docker.com/config/formatting: "json encodes an element as a json string",
    e.g. ``docker inspect --format '{{json .Mounts}}'``)."""

    def fill(m: re.Match[str]) -> str:
        """One ``{{.Field}}`` / ``{{json .Field}}`` action of the Go template filled from ``obj``."""
        value = _dig(obj, m.group(2)) if m.group(2) else obj
        if m.group(1):  # objects keep their fields' order, as a Go struct does; maps are built sorted
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return str(value).lower() if isinstance(value, bool) else str(value)  # Go prints true/false

    return _ACTION.sub(fill, fmt)


def _fields(c: Container) -> dict[str, str]:
    cmd = " ".join(c.command)
    return {"ID": c.id, "Names": c.name, "Image": c.image, "Status": status_text(c),
            "State": c.state if c.state in ("running", "restarting", "created") else "exited", "Ports": ports_text(c),
            "Command": json.dumps(cmd[:20] + "…" if len(cmd) > 20 else cmd, ensure_ascii=False),
            "CreatedAt": f"{c.created_wall:%Y-%m-%d %H:%M:%S +0000 UTC}",
            "RunningFor": f"{_ago(c.created_wall)} ago", "Labels": f"com.docker.compose.project={c.project},"
            f"com.docker.compose.service={c.service},com.docker.compose.project.working_dir={c.env.get('__working_dir', '')}"}


def _labels(c: Container) -> dict[str, str]:
    return dict(kv.partition("=")[::2] for kv in _fields(c)["Labels"].split(","))


@program("docker", path="/usr/bin/docker")
async def docker_program(p: Proc) -> int:
    """The ``docker`` program: the host's daemon fault if any, else :func:`docker_main`."""
    failed = await docker_fault(p)
    return failed if failed is not None else await docker_main(p)


async def docker_main(p: Proc) -> int:
    """Run ``docker ARGS`` on the host of ``p``."""
    args = p.argv[1:]
    while args and args[0] in ("-H", "--host", "--context", "-c", "--config", "--log-level", "-l"):
        args = args[2:]
    if not args or args[0] in ("-h", "--help"):
        await p.out("Usage:  docker [OPTIONS] COMMAND\n")
        return 0 if args else 1
    if args[0] in ("-v", "--version"):
        await p.out(f"Docker version {DOCKER_VERSION}, build afdd53b\n")
        return 0
    sub, rest = args[0], args[1:]
    host, brain = p.shell.host, p.shell.host.brain

    def find(ref: str) -> Container | None:
        """The container of this host named or id-prefixed ``ref``, or None (as dockerd resolves a reference)."""
        return brain.find(host.name, ref)

    async def no_such(ref: str) -> int:
        """dockerd's answer for an unknown container reference on stderr; exit status 1 (docker CLI 20.10)."""
        return await p.fail(f"Error response from daemon: No such container: {ref}", 1)

    if sub == "compose":
        if not p.shell.host.compose_v2:
            return await p.fail("docker: 'compose' is not a docker command.\nSee 'docker --help'", 1)
        return await compose_main(p, rest, v2=True)
    if sub == "version":
        if rest[:1] == ["--format"] and len(rest) > 1:  # the real CLI fills the template: server or client version
            await p.out((host.engine_version if ".Server." in rest[1] else DOCKER_VERSION) + "\n")
            return 0
        await p.out(f"Client: Docker Engine - Community\n Version:           {DOCKER_VERSION}\n API version:       1.43\n\n"
                    f"Server: Docker Engine - Community\n Engine:\n  Version:          {host.engine_version}\n"
                    "  API version:      1.43 (minimum version 1.12)\n")
        return 0
    if sub in ("ps", "container") and (sub == "ps" or rest[:1] in (["ls"], ["list"])):
        if sub == "container":
            rest = rest[1:]
        show_all = any(a in ("-a", "--all") for a in rest)
        quiet = any(a in ("-q", "--quiet") for a in rest) or "-aq" in rest or "-qa" in rest
        no_trunc = "--no-trunc" in rest
        show_all = show_all or "-aq" in rest or "-qa" in rest
        fmt = None
        filters: list[str] = []
        it = iter(rest)
        for a in it:
            if a == "--format":
                fmt = next(it, "")
            elif a.startswith("--format="):
                fmt = a.split("=", 1)[1]
            elif a in ("-f", "--filter"):
                filters.append(next(it, ""))
        cs = [c for c in brain.on_host(host.name) if show_all or c.running]
        for flt in filters:
            k, _, v = flt.partition("=")
            if k == "name":
                cs = [c for c in cs if v in c.name]
            elif k == "status":
                cs = [c for c in cs if ("running" if c.running else "exited") == v]
            elif k == "label":
                cs = [c for c in cs if v in _fields(c)["Labels"].split(",")]
        if quiet:
            for c in cs:
                await p.out((c.full_id if no_trunc else c.id) + "\n")
            return 0
        if fmt:
            table = fmt.startswith("table ")
            fmt = fmt[6:] if table else fmt
            fmt = fmt.replace("\\t", "\t").replace("\\n", "\n")
            # ``{{.Label "name"}}`` is one label's value (docker's ps template function), as compose's own labels
            rows = [re.sub(r"\{\{\s*\.(\w+)\s*\}\}", lambda m, f=_fields(c): f.get(m.group(1), ""),
                           re.sub(r'\{\{\s*\.Label\s+"([^"]+)"\s*\}\}', lambda m, c=c: _labels(c).get(m.group(1), ""), fmt))
                    for c in cs]
            if table:
                hdr = re.sub(r"\{\{\s*\.(\w+)\s*\}\}", lambda m: re.sub(r"(?<!^)([A-Z])", r" \1",
                                                                        m.group(1)).upper(), fmt)
                rows.insert(0, hdr)
            for r in rows:
                await p.out(r + "\n")
            return 0
        headers = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
        data = [[f["ID"], f["Image"], f["Command"], f["RunningFor"], f["Status"], f["Ports"], f["Names"]]
                for f in (_fields(c) for c in cs)]
        widths = [max([len(h)] + [len(r[i]) for r in data]) for i, h in enumerate(headers)]
        await p.out("   ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip() + "\n")
        for r in data:
            await p.out("   ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")
        return 0
    if sub == "logs":
        tail = "all"
        stamps = False
        follow = False
        ref = None
        since = None
        it = iter(rest)
        for a in it:
            if a in ("-f", "--follow"):
                follow = True
            elif a in ("--tail", "-n"):
                tail = next(it, "all")
            elif a.startswith("--tail="):
                tail = a.split("=", 1)[1]
            elif a in ("-t", "--timestamps"):
                stamps = True
            elif a == "--since":
                try:
                    since = since_time(next(it, ""))
                except ComposeError as exc:
                    return await p.fail(str(exc), 125)
            elif a == "--until":
                next(it, None)
            elif a.startswith("-"):
                continue
            else:
                ref = a
        if ref is None:
            return await p.fail('"docker logs" requires exactly 1 argument.', 1)
        c = find(ref)
        if c is None:
            return await no_such(ref)
        lines = [(ts, text) for ts, text in c.logs if since is None or ts >= since]
        lines = lines if tail == "all" else (lines[-int(tail):] if int(tail) > 0 else [])
        for ts, text in lines:
            await p.out((f"{ts:%Y-%m-%dT%H:%M:%S.%f}000Z " if stamps else "") + text + "\n")
        if follow:
            # `docker logs --follow` streams until the container dies (a restart too), then exits: docker/cli#5305
            # (Docker 27.1.1, 2024: "the logger attached to it ... is closed. This causes the CLI to exit")
            sent, generation = len(c.logs), c.generation
            while True:
                ended = not (c.running and c.generation == generation)
                for ts, text in c.logs[sent:]:
                    await p.out((f"{ts:%Y-%m-%dT%H:%M:%S.%f}000Z " if stamps else "") + text + "\n")
                sent = len(c.logs)
                if ended:
                    break
                await asyncio.sleep(max(0.05, 0.5 * host.speed))
        return 0
    if sub == "wait":
        if not rest:
            return await p.fail('"docker wait" requires at least 1 argument.', 1)
        status = 0
        for ref in rest:
            c = find(ref)
            if c is None:
                status = await no_such(ref)
                continue
            while c.running:
                await c.exited.wait()
            await p.out(f"{c.exit_code if c.exit_code is not None else 0}\n")
        return status
    if sub == "exec":
        args2 = list(rest)
        while args2 and args2[0].startswith("-"):
            flag = args2.pop(0)
            if flag in ("-u", "--user", "-e", "--env", "-w", "--workdir") and args2:
                args2.pop(0)
        if len(args2) < 2:
            return await p.fail('"docker exec" requires at least 2 arguments.', 1)
        c = find(args2[0])
        if c is None:
            return await no_such(args2[0])
        if not c.running:
            return await p.fail(f"Error response from daemon: Container {c.id} is not running", 1)
        return await exec_in(p, c, args2[1:])
    if sub in ("kill", "stop", "start", "restart", "rm"):
        refs = []
        it = iter(rest)
        for a in it:
            if a in ("-t", "--time", "-s", "--signal"):
                next(it, None)
            elif not a.startswith("-"):
                refs.append(a)
        if not refs:
            return await p.fail(f'"docker {sub}" requires at least 1 argument.', 1)
        status = 0
        for ref in refs:
            c = find(ref)
            if c is None:
                status = await no_such(ref)
                continue
            if sub == "kill":
                if not c.running:
                    status = await p.fail(f"Error response from daemon: Cannot kill container: {ref}: "
                                          f"Container {c.id} is not running", 1)
                    continue
                brain.stop(c, 137)
            elif sub == "stop":
                await host.pause(0.3)
                brain.stop(c, 0)
            elif sub == "start":
                if not c.running:
                    brain.start(c)
            elif sub == "restart":
                await host.pause(0.3)
                brain.stop(c, 0)
                brain.start(c)
            elif sub == "rm":
                if c.running and "-f" not in rest and "--force" not in rest:
                    status = await p.fail(f"Error response from daemon: You cannot remove a running container "
                                          f"{c.id}. Stop the container before attempting removal or force remove",
                                          1)
                    continue
                brain.remove(c)
            await p.out(ref + "\n")
        await brain.settle()
        return status
    if sub == "inspect":
        out = []
        status = 0
        fmt = None
        for flag in ("-f", "--format"):
            if flag in rest and rest.index(flag) + 1 < len(rest):
                fmt = rest[rest.index(flag) + 1]
                rest = rest[:rest.index(flag)] + rest[rest.index(flag) + 2:]
        for ref in [a for a in rest if not a.startswith("-")]:
            c = find(ref)
            if c is None:
                await p.err(f"Error: No such object: {ref}\n")
                status = 1
                continue
            out.append({"Id": c.full_id, "Name": "/" + c.name, "Image": c.image,
                        "State": {"Status": c.state if c.state in ("running", "restarting", "created") else "exited",
                                  "Running": c.running, "Restarting": c.state == "restarting",
                                  "ExitCode": c.exit_code or 0,
                                  # dockerd's start error; "" after a normal stop (the sim records no start error)
                                  "Error": ""},
                        "HostConfig": {"PortBindings": port_bindings(c)},
                        "RestartCount": c.restart_count,
                        "Config": {"Hostname": c.id, "Image": c.image,
                                   "Env": [f"{k}=******" if "PASSWORD" in k else f"{k}={v}"
                                           for k, v in c.env.items() if not k.startswith("__")],
                                   "Labels": {"com.docker.compose.project": c.project,
                                              "com.docker.compose.service": c.service}}})
        if fmt is not None:
            for obj in out:
                await p.out(go_template(fmt, obj) + "\n")
            return status
        await p.out(json.dumps(out, indent=4) + "\n")
        return status
    if sub == "image" and rest[:1] == ["inspect"]:
        # docker 20.10 here: the image's Id with -f '{{.Id}}'; "Error: No such image: NAME" and status 1 when missing
        refs = [a for a in rest[1:] if not a.startswith("-") and "{{" not in a]
        status = 0
        for ref in refs:
            if ref in host.images:
                await p.out(f"sha256:{abs(hash(ref)) % 16**64:064x}\n")
            else:
                await p.err(f"Error: No such image: {ref}\n")
                status = 1
        return status
    if sub == "images":
        await p.out("REPOSITORY   TAG   IMAGE ID\n")
        for img in sorted(host.images):
            repo, _, tag = img.rpartition(":")
            await p.out(f"{repo}   {tag}   {abs(hash(img)) % 16**12:012x}\n")
        return 0
    if sub == "pull" and rest:
        image = rest[-1]
        refusal = pull_refusal(host, image)
        if refusal:
            return await p.fail(f"Error response from daemon: {refusal}", 1)
        await p.out(f"{image.rsplit(':', 1)[-1]}: Pulling from {image.split('/', 1)[-1].rsplit(':', 1)[0]}\n"
                    f"Status: Downloaded newer image for {image}\n{image}\n")
        host.images.add(image)
        return 0
    if sub == "info":
        await p.out(f"Server Version: {host.engine_version}\nName: {host.name}\n")
        return 0
    return await p.fail(f"docker: '{sub}' is not a docker command.\nSee 'docker --help'", 1)
