"""Shared fixtures: a started SimulatedCluster (speed 0.05) and helpers to talk to it for real."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncssh
import pytest

from wabiz_tui.sim import SimulatedCluster

OFFICIAL = Path("/work/shared/reference/official-setup-scripts")
SPEED = 0.05
COMPOSE = "/home/wa/biz/prod-multiconnect-compose.yml"


@pytest.fixture
async def cluster(tmp_path: Path):
    """A started cluster of the seed's 5 hosts; stopped (and checked idle) afterwards."""
    sim = SimulatedCluster(tmp_path / "sim", speed=SPEED)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def compose_text() -> str:
    """The official prod-multiconnect-compose.yml (read at test time, not copied into the repo)."""
    return (OFFICIAL / "prod-multiconnect-compose.yml").read_text()


@pytest.fixture
def db_env_text() -> str:
    return (OFFICIAL / "db.env").read_text()


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


__all__ = ["connect", "upload", "compose_cmd", "shutil"]
