"""Helpers to talk to the simulated cluster for real (asyncssh client, SFTP)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncssh

from wabiz_tui.sim import SimulatedCluster

OFFICIAL = Path("/work/shared/reference/official-setup-scripts")
SPEED = 0.05
COMPOSE = "/home/wa/biz/prod-multiconnect-compose.yml"


async def connect(sim: SimulatedCluster, host: str, **kw) -> asyncssh.SSHClientConnection:
    """Real asyncssh client connection to a simulated host, verifying its host key."""
    options = dict(username=sim.ssh_user, client_keys=[str(sim.client_key_path)],
                   known_hosts=str(sim.known_hosts_path), config=None, agent_path=None)
    options.update(kw)
    return await asyncssh.connect("127.0.0.1", sim.ssh_port(host), **options)


async def upload(sim: SimulatedCluster, host: str, compose: str, db_env: str) -> None:
    """mkdir + SFTP the compose file and db.env (mode 600) to /home/wa/biz on ``host``."""
    async with await connect(sim, host) as conn:
        r = await conn.run("mkdir -p /home/wa/biz")
        assert r.exit_status == 0, r.stderr
        async with conn.start_sftp_client() as sftp:
            async with sftp.open(COMPOSE, "w") as fh:
                await fh.write(compose)
            async with sftp.open("/home/wa/biz/db.env", "w") as fh:
                await fh.write(db_env)
            await sftp.chmod("/home/wa/biz/db.env", 0o600)


def compose_cmd(host: str, sub: str, version: str = "2.41.2") -> str:
    return (f"cd /home/wa/biz && EXTERNAL_HOSTNAME={host} WA_API_VERSION={version} docker-compose "
            f"-f {COMPOSE} --project-directory /home/wa/biz {sub}")


SERVICE_FOR_ROLE = {"webapp": "waweb", "master": "master", "coreapp": "wacore"}


async def up_all(sim: SimulatedCluster, compose: str, db_env: str, version: str = "2.41.2") -> None:
    """Upload the files to every host and ``up -d`` each host's role service, hosts in parallel."""

    async def one(h) -> None:
        await upload(sim, h.external_hostname, compose, db_env)
        async with await connect(sim, h.external_hostname) as conn:
            for role in h.roles:
                r = await conn.run(compose_cmd(h.external_hostname, f"up -d {SERVICE_FOR_ROLE[role]}", version))
                assert r.exit_status == 0, r.stderr

    await asyncio.gather(*(one(h) for h in sim.hosts))


async def poll(fn, timeout: float = 5.0, interval: float = 0.02):
    """Await ``fn()`` until it returns a truthy value (returned) or fail after ``timeout`` s."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = await fn()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"condition not met in {timeout}s; last value: {value!r}")
        await asyncio.sleep(interval)
