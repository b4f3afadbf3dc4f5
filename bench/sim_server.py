"""A benchmark helper process: start a simulated cluster, optionally install it, print what a client
needs, then obey simple commands on stdin until stdin closes.

Running the simulator in its own process keeps its memory and CPU out of the measured client's
figures (the client and the simulator are two processes on two cores, like a laptop and a cluster).

Printed lines: ``profile: <path>``, ``key: <path>``, ``known_hosts: <path>``, one ``host: <name> <port>``
per host, then ``ready``.

Options: ``--log-bytes`` (log filler per container, for the log-collection benchmark), ``--hosts N``
(a custom layout: 1 Webapp, 2 Masters, N-3 Coreapps; N=2 puts Webapp+Master on the first host),
``--no-install`` (only make the remote directory on every host: for the fan-out benchmark, which
measures the install's upload + ``up -d`` steps itself), ``--latency S`` (per-command delay on every
host, set after the install), ``--speed`` (simulated delays factor).

Commands on stdin (one per line; each answers one line, times are ``time.monotonic()``, which is
the same clock for every process of the machine):

* ``kill-connected`` -> ``killed <host> <t>``: kill the Coreapp that serves shard 0;
* ``restart`` -> ``restarted <n> <t>``: start again every exited Master/Coreapp container;
* ``state`` -> ``state <json>``: the health body's ``health`` object as the simulator sees it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from wabiz_tui.demo import start_demo
from wabiz_tui.remote.ssh import SshSettings
from wabiz_tui.sim import DEMO_HOSTS, SimHost
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.settings import RunSettings


def layout(n: int) -> tuple[SimHost, ...]:
    """``n`` hosts: 1 Webapp, 2 Masters, ``n - 3`` Coreapps (n=2: Webapp+Master, Coreapp; n=3: one each)."""
    if n <= 1:
        raise ValueError("at least 2 hosts")
    if n == 2:
        return (SimHost("wa-web-1", ("webapp", "master")), SimHost("wa-core-1", ("coreapp",)))
    if n == 3:
        return (SimHost("wa-web-1", ("webapp",)), SimHost("wa-master-1", ("master",)), SimHost("wa-core-1", ("coreapp",)))
    return ((SimHost("wa-web-1", ("webapp",)), SimHost("wa-master-1", ("master",)), SimHost("wa-master-2", ("master",)))
            + tuple(SimHost(f"wa-core-{i}", ("coreapp",)) for i in range(1, n - 2)))


async def serve_commands(session) -> None:
    """Answer stdin commands until EOF."""
    loop = asyncio.get_running_loop()
    cluster = session.cluster
    brain = cluster.brain
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        cmd = line.strip()
        if cmd == "kill-connected":
            owner = brain.containers.get(brain.shard_owner.get(0, ""))
            if owner is None:
                print("error no connected coreapp", flush=True)
                continue
            brain.stop(owner, 137)
            print(f"killed {owner.node_hostname} {time.monotonic():.6f}", flush=True)
        elif cmd == "restart":
            stopped = [c for c in brain.containers.values() if not c.running and c.kind in ("master", "coreapp")]
            for c in stopped:
                brain.start(c)
            print(f"restarted {len(stopped)} {time.monotonic():.6f}", flush=True)
        elif cmd == "state":
            print("state " + json.dumps(brain.health()), flush=True)
        elif cmd:
            print(f"error unknown command {cmd!r}", flush=True)


async def main(args: argparse.Namespace, workdir: Path) -> None:
    hosts = layout(args.hosts) if args.hosts else DEMO_HOSTS
    session = await start_demo(workdir, speed=args.speed, hosts=hosts, spare_hosts=())
    try:
        if args.no_install:
            for h in session.profile.hosts:
                root = session.cluster.host_root(h.external_hostname)
                (root / h.remote_dir.lstrip("/")).mkdir(parents=True, exist_ok=True)
        else:
            settings = RunSettings(ssh=SshSettings(known_hosts=[session.profile.known_hosts], read_user_config=False),
                                   poll_interval=0.05, health_timeout=60, grace=1.0, profile_path=session.profile_path)
            wf = HaInstall(session.profile, emit=discard, settings=settings)
            try:
                ok = await wf.run_all(lambda _req: asyncio.sleep(0, session.cluster.sms_outbox[-1][1]))
            finally:
                await wf.close()
            if not ok:
                print("error: install failed", flush=True)
                return
        for h in session.profile.hosts:
            session.cluster.set_log_volume(h.external_hostname, args.log_bytes)
            session.cluster.set_host_latency(h.external_hostname, args.latency)
        print(f"profile: {session.profile_path}", flush=True)
        print(f"key: {session.cluster.client_key_path}", flush=True)
        print(f"known_hosts: {session.cluster.known_hosts_path}", flush=True)
        for h in session.profile.hosts:
            print(f"host: {h.external_hostname} {h.ssh.port}", flush=True)
        print("ready", flush=True)
        await serve_commands(session)  # until the parent closes our stdin
    finally:
        await session.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--log-bytes", type=int, default=0)
    ap.add_argument("--hosts", type=int, default=0, help="custom layout with this many hosts (default: the demo's 5)")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--speed", type=float, default=0.02)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wabiz-bench-") as tmp:
        asyncio.run(main(a, Path(tmp)))
