"""Fixtures for the TUI tests: a demo cluster already installed headless (registered, healthy, HA)."""

from __future__ import annotations

import pytest

from wabiz_tui.demo import start_demo
from wabiz_tui.remote.ssh import SshSettings
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.settings import RunSettings

SPEED = 0.05


@pytest.fixture
async def installed_demo(tmp_path):
    """A started demo whose 9 HA steps ran headless; ``session.profile`` is marked installed."""
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        settings = RunSettings(ssh=SshSettings(known_hosts=[session.profile.known_hosts], read_user_config=False),
                               poll_interval=0.1, health_timeout=30.0, grace=2.0, profile_path=session.profile_path)
        install = HaInstall(session.profile, emit=discard, settings=settings)
        try:
            async def code(_request):
                return session.cluster.sms_outbox[-1][1]

            assert await install.run_all(code)
        finally:
            await install.close()
        session.profile = install.profile
        assert session.profile.installed
        yield session
    finally:
        await session.stop()
