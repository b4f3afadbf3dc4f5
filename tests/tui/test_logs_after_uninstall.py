"""F4 on a cluster wabiz-tui uninstalled refuses as ``wabiz-tui logs`` does and writes nothing (trial s8 N4: it wrote
five 0-byte debug_output.txt and said "done… Attach debug_output.txt (or the bundle) to the support ticket").
Pilot, simulated cluster."""

from __future__ import annotations

import time

import pytest

from tests.tui.screen_text import screen_text
from tests.tui.test_operations import until
from wabiz_tui.config.runstate import write_run_state
from wabiz_tui.tui.app import WabizApp

pytestmark = pytest.mark.slow


async def test_f4_after_an_uninstall_refuses_and_writes_nothing(installed_demo, tmp_path):
    write_run_state(installed_demo.profile, installed=False, uninstalled_at=time.time())
    logs = tmp_path / "logs"
    app = WabizApp(installed_demo.profile, demo=installed_demo, log_dir=logs, monitor_interval=5, start_on="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.name == "monitor", "the monitor")
        await pilot.press("f4")
        await until(pilot, lambda: app.screen.name == "logs", "the logs screen")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "no logs to collect" in screen_text(app), "the refusal")
        text = screen_text(app)
        assert "not installed (uninstalled at " in text and "nothing was written" in text, text
        assert not app.screen.running
        await pilot.pause(0.5)
        text = screen_text(app)
        assert "support ticket" not in text and "written · done" not in text, text
    assert not list(logs.rglob("*.txt")) and not list(logs.rglob("*.tar.gz")), "no empty file posing as a log"
