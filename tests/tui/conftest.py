"""Fixtures for the TUI tests: a demo cluster already installed headless (registered, healthy, HA)."""

from __future__ import annotations

import pytest

from wabiz_tui.config.profile import save_profile
from wabiz_tui.demo import match_db_to_client, start_demo
from wabiz_tui.remote.ssh import SshSettings
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.settings import RunSettings

SPEED = 0.05


async def install_headless(session, **profile_changes):
    """Run the 9 HA steps headless on ``session`` (with ``profile_changes``); updates ``session.profile``."""
    if profile_changes:
        session.profile = session.profile.with_changes(**profile_changes)
        save_profile(session.profile, session.profile_path)
    if "wa_api_version" in profile_changes:  # an older client runs on the DB it supports (the preflight checks it)
        match_db_to_client(session, session.profile.wa_api_version)
    settings = RunSettings(ssh=SshSettings(known_hosts=[session.profile.known_hosts], read_user_config=False),
                           poll_interval=0.1, health_timeout=30.0, grace=2.0, profile_path=session.profile_path, state_window=0.3)
    install = HaInstall(session.profile, emit=discard, settings=settings)
    try:
        async def code(_request):
            return session.cluster.sms_outbox[-1][1]

        assert await install.run_all(code)
    finally:
        await install.close()
    session.profile = install.profile
    assert session.profile.installed
    return session


@pytest.fixture
async def installed_demo(tmp_path):
    """A started demo whose 9 HA steps ran headless; ``session.profile`` is marked installed."""
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        yield await install_headless(session)
    finally:
        await session.stop()


@pytest.fixture
async def installed_demo_2292(tmp_path):
    """The demo installed headless at WA_API_VERSION 2.29.2 (the version the 2.29.3 media step applies to)."""
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        yield await install_headless(session, wa_api_version="2.29.2")
    finally:
        await session.stop()
