"""Fixtures for the TUI tests: a demo cluster already installed headless (registered, healthy, HA), and a monitor
that does not poll (the test shows the polls itself)."""

from __future__ import annotations

import pytest

from tests.support import SPEED, install_headless
from wabiz_tui.demo import start_demo
from wabiz_tui.tui.screens.monitor import MonitorScreen


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


@pytest.fixture
def no_polling(monkeypatch):
    """The monitor screen never polls: the test hands it its results (``show_result``)."""
    async def nothing(_screen) -> None:
        return None

    monkeypatch.setattr(MonitorScreen, "_poll_loop", nothing)
