"""Shared fixtures: a started SimulatedCluster (speed 0.05) in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim_helpers import OFFICIAL, SPEED
from wabiz_tui.sim import SimulatedCluster


@pytest.fixture
async def cluster(tmp_path: Path):
    """A started cluster of the seed's 5 hosts; stopped afterwards."""
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
