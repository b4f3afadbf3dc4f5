"""The 9 HA steps through the TUI (Pilot), on the lab of real parts: the same screens an operator drives with
``wabiz-tui wizard <lab profile>``, ending on a healthy HA verdict with one Coreapp connected; then the monitor
through a real failover (``docker kill`` of the connected Coreapp on its host)."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Input

from tests.lab.conftest import cli
from tests.lab.test_10_cluster import profile_copy
from tests.tui.pilot_wait import settle
from wabiz_tui.config.profile import load_profile
from wabiz_tui.lab import faults, services
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.widgets.timeline import Timeline
from wabiz_tui.tui.steps import StepState

SIZE = (140, 45)


def status(app) -> str:
    return str(app.screen.query_one("#status").render())


async def run_step(app, pilot, number: int, timeout: float = 180) -> None:
    assert app.screen.name == f"step{number}"
    await pilot.press("ctrl+n")
    await settle(app, pilot, timeout=timeout)
    if number == 5 and app.state(5) is StepState.PENDING:  # the first run of step 5 is the preflight gate
        assert "Preflight passed" in status(app), status(app)
        await pilot.press("ctrl+n")
        await settle(app, pilot, timeout=timeout)
    assert app.state(number) is StepState.DONE, status(app)
    await pilot.press("ctrl+n")
    await pilot.pause()


async def test_nine_ha_steps_through_pilot_on_the_lab(lab, tmp_path):
    services.reset_cluster_databases(lab.paths, "mysql")
    path = profile_copy(lab, tmp_path)
    app = WabizApp(load_profile(path), profile_path=path, log_dir=tmp_path / "logs")
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            for number in range(1, 8):
                await run_step(app, pilot, number)
            assert app.screen.name == "step8"
            await pilot.press("ctrl+r")  # request the code: the lab's Webapp answers 202 and "sends" it
            await settle(app, pilot, timeout=60)
            assert app.screen.query_one("#code-input", Input).has_focus, status(app)
            await pilot.press(*lab.code)
            await pilot.press("ctrl+r")
            await settle(app, pilot, timeout=60)
            assert app.state(8) is StepState.DONE, status(app)
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert app.screen.name == "step9"
            await pilot.press("ctrl+n")
            await settle(app, pilot, timeout=120)
            assert app.state(9) is StepState.DONE, status(app)
            verdict = app.last_verdict
            assert verdict.healthy and verdict.shards_served == 1 and verdict.standby == 1
            connected = [n for n in verdict.nodes if n.actual_role == "coreapp" and n.actual_status == "connected"]
            assert len(connected) == 1
        await monitor_through_a_real_failover(load_profile(path).with_changes(installed=True), path, tmp_path, lab)
    finally:
        cli("uninstall", str(path), "--yes", "--confirm-name", "lab")
        services.reset_cluster_databases(lab.paths, "mysql")


def coreapps(verdict) -> dict[str, str]:
    return {n.host: n.actual_status for n in verdict.nodes if n.expected_role == "coreapp"}


async def monitor_through_a_real_failover(profile, path, tmp_path, lab) -> None:
    """The monitor (the installed cluster's default view) polls a healthy cluster; ``docker kill`` of the connected
    Coreapp on its host; the monitor shows the standby taking over and the change in its timeline."""
    app = WabizApp(profile, profile_path=path, log_dir=tmp_path / "mon-logs", monitor_interval=0.5)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        await wait_for(pilot, lambda: monitor.last_verdict is not None and monitor.last_verdict.healthy, 30)
        before = coreapps(monitor.last_verdict)
        owner = next(h for h, st in before.items() if st == "connected")
        standby = next(h for h, st in before.items() if st == "disconnected")
        entries = len(monitor.query_one(Timeline).entries)
        faults.container(lab.paths, owner, "wacore", "kill")
        await wait_for(pilot, lambda: coreapps(monitor.last_verdict).get(standby) == "connected", 90)
        assert coreapps(monitor.last_verdict).get(owner) != "connected"
        assert len(monitor.query_one(Timeline).entries) > entries


async def wait_for(pilot, condition, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the monitor never showed it"
        await pilot.pause(0.2)


@pytest.fixture(autouse=True)
def _pilot_needs_textual():
    pytest.importorskip("textual")
