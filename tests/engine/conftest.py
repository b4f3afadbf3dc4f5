"""A started simulated cluster (real SSH servers and HTTPS Webapp on loopback) and its demo profile."""

from __future__ import annotations

import pytest

from wabiz_tui.demo import start_demo
from wabiz_tui.workflows.settings import RunSettings
from wabiz_tui.remote.ssh import SshSettings

SPEED = 0.05


@pytest.fixture
async def demo(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        yield session
    finally:
        await session.stop()


def settings_for(session, tmp_path, **kw) -> RunSettings:
    """Trust only the simulator's known_hosts; never read the developer's ~/.ssh."""
    base = dict(ssh=SshSettings(known_hosts=[session.profile.known_hosts], read_user_config=False),
                poll_interval=0.1, health_timeout=30.0, grace=2.0, log_dir=tmp_path / "logs")
    base.update(kw)
    return RunSettings(**base)
