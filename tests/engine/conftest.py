"""A started simulated cluster (real SSH servers and HTTPS Webapp on loopback) and its demo profile."""

from __future__ import annotations

import pytest

from tests.support import SPEED, install_headless
from wabiz_tui.demo import start_demo


@pytest.fixture
async def demo(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        yield session
    finally:
        await session.stop()


@pytest.fixture
async def installed(demo, tmp_path):
    """The demo cluster after the 9 HA steps (registered, healthy); yields the DemoSession."""
    yield await install_headless(demo, tmp_path)
