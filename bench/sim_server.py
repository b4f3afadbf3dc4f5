"""A benchmark helper process: start the demo cluster, install it, give every host ``--log-bytes`` of
logs per container, print ``profile: <path>`` and serve until stdin closes.

Running the simulator in its own process keeps its memory out of the measured client's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from wabiz_tui.demo import start_demo
from wabiz_tui.remote.ssh import SshSettings
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.settings import RunSettings


async def main(log_bytes: int, workdir: Path) -> None:
    session = await start_demo(workdir, speed=0.02)
    settings = RunSettings(ssh=SshSettings(known_hosts=[session.profile.known_hosts], read_user_config=False),
                           poll_interval=0.05, health_timeout=60, grace=1.0, profile_path=session.profile_path)
    wf = HaInstall(session.profile, emit=discard, settings=settings)
    try:
        ok = await wf.run_all(lambda _req: asyncio.sleep(0, session.cluster.sms_outbox[-1][1]))
    finally:
        await wf.close()
    if not ok:
        print("error: install failed", flush=True)
        await session.stop()
        return
    for h in session.profile.hosts:
        session.cluster.set_log_volume(h.external_hostname, log_bytes)
    print(f"profile: {session.profile_path}", flush=True)
    print(f"key: {session.cluster.client_key_path}", flush=True)
    print(f"known_hosts: {session.cluster.known_hosts_path}", flush=True)
    for h in session.profile.hosts:
        print(f"host: {h.external_hostname} {h.ssh.port}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    await session.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--log-bytes", type=int, default=0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wabiz-bench-") as tmp:
        asyncio.run(main(a.log_bytes, Path(tmp)))
