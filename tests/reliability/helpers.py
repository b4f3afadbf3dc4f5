"""Shared checks of the reliability suite: run the CLI as a user would, and compare what the hosts hold
with what the profile renders (no lost or stale state)."""

from __future__ import annotations

import asyncio
import sys

from wabiz_tui.config.profile import load_profile
from wabiz_tui.domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env


async def cli(*args: str, env: dict | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", *args, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    return proc.returncode, out.decode(), err.decode()


def stale(demo) -> list[str]:
    """What on the simulated hosts differs from what the profile file renders now (empty: converged):
    each file's content, and exactly one running container per planned service."""
    profile = load_profile(demo.profile_path)
    wanted = {COMPOSE_FILE: render_compose(profile), DB_ENV_FILE: render_db_env(profile.db)}
    problems = []
    for host in profile.hosts:
        base = demo.cluster.host_root(host.external_hostname) / host.remote_dir.lstrip("/")
        for name, text in wanted.items():
            path = base / name
            if not path.is_file() or path.read_text() != text:
                problems.append(f"{host.external_hostname}: {name} differs from the profile")
        containers = demo.cluster.brain.on_host(host.external_hostname)
        for role in host.roles:
            running = [c for c in containers if c.service == role.service and c.running]
            if len(running) != 1:
                problems.append(f"{host.external_hostname}: {len(running)} running {role.service} container(s)")
    return problems
