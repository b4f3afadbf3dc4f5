"""The fleet view (clusters as contexts): rows follow each cluster's answers, Enter opens that cluster's own TUI on
its monitor, ctrl+k there comes back to the fleet with the cursor on it; snapshots at 80 and 120 columns.

The clusters are stand-in Webapps (``tests/exporter/helpers.FakeWebapp``: answers derived from a node table that
the test changes) behind the real health path; one profile is unreadable and one Webapp never answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests.exporter.helpers import FakeWebapp, SilentServer, installed_profile
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.runner import Run
from wabiz_tui.tui.fleet_run import FleetApp, fleet_loop
from wabiz_tui.tui.screens import fleet as fleet_screen
from wabiz_tui.workflows.fleet import FleetMember
from wabiz_tui.workflows.monitor import HealthMonitor

from .pilot_wait import until
from .snapshots import FrozenClock, assert_snapshot, frozen_clock


def fleet(port: int) -> tuple[list[FleetMember], list[HealthMonitor | None], dict[str, FakeWebapp]]:
    """milano and roma (stand-in Webapps), bari (a Webapp that never answers), broken (a refused profile)."""
    webapps = {"milano": FakeWebapp(), "roma": FakeWebapp()}
    members, monitors = [], []
    for name in ("milano", "roma"):
        p = installed_profile(name)
        members.append(FleetMember(name, Path(f"/profiles/{name}.yaml"), p))
        monitors.append(webapps[name].monitor(p))
    bari = installed_profile("bari", url=f"https://127.0.0.1:{port}")
    members.append(FleetMember("bari", Path("/profiles/bari.yaml"), bari))
    monitors.append(HealthMonitor(bari))
    members.append(FleetMember("broken", Path("/profiles/broken.yaml"), None,
                               "/profiles/broken.yaml: line 1: mapping values are not allowed here"))
    monitors.append(None)
    return members, monitors, webapps


def cells(app, row: int) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(c) for c in table.get_row_at(row)]


async def test_rows_follow_each_cluster_and_a_silent_one_delays_no_other():
    async with SilentServer() as port:
        members, monitors, webapps = fleet(port)
        app = FleetApp(members, interval=0.2, timeout=3.0, monitors=monitors)
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: cells(app, 0)[1] == "healthy" and cells(app, 1)[1] == "healthy",
                        "milano and roma answered", timeout=15)
            assert cells(app, 0)[:6] == ["milano", "healthy", "1/1", "1", "1/1", "2.41.2"]
            assert cells(app, 2)[1] == "waiting"  # bari's first poll still runs: nobody waited for it
            assert cells(app, 3)[:2] == ["broken", "unknown"] and cells(app, 3)[6] == "profile refused"
            # roma loses its standby Coreapp: its row (only) turns degraded at its next poll
            del webapps["roma"].nodes["wa-core-2:c2beef"]
            await until(pilot, lambda: cells(app, 1)[1] == "degraded", "roma degraded", timeout=15)
            assert cells(app, 1)[2:5] == ["1/1", "0", "0/1"] and cells(app, 0)[1] == "healthy"
            await until(pilot, lambda: cells(app, 2)[1] == "failing", "bari's timeout", timeout=15)
            assert cells(app, 2)[6] == "timeout"
            await pilot.press("down", "down")  # the detail under the table: the whole error of the selected cluster
            assert "bari" in str(app.screen.query_one("#fleet-detail").render())
            assert "timeout: no answer within 3 s" in str(app.screen.query_one("#fleet-detail").render())
            await pilot.press("down")
            assert "mapping values" in str(app.screen.query_one("#fleet-detail").render())
            summary = str(app.screen.query_one("#fleet-summary").render())
            assert summary.split("  ") == ["1 failing", "1 degraded", "1 unknown", "1 healthy"]
            # Enter on a refused profile says why and stays
            await pilot.press("enter")
            await pilot.pause()
            assert app.is_running and app.screen.name == "fleet"
            await until(pilot, lambda: cells(app, 0)[1] == "healthy", "another poll")  # bari's next poll is in flight
            left = time.monotonic()
        assert time.monotonic() - left < 2.0, "leaving waited for the silent cluster's poll"


async def test_enter_opens_the_cluster_and_ctrl_k_shows_the_fleet_over_it(tmp_path):
    """The whole loop driven as a user would: fleet, Enter on roma, roma's monitor, ctrl+k: the fleet over roma's
    screens with the cursor on roma, Enter on milano: milano's app, ctrl+q."""
    members, monitors, webapps = fleet(1)
    members = members[:2]
    seen: list[tuple[str, object]] = []

    async def on_fleet(app, pilot) -> None:
        await until(pilot, lambda: cells(app, 1)[1] == "healthy", "roma answered", timeout=15)
        await pilot.press("down", "enter")

    async def on_cluster(app, pilot) -> None:
        await until(pilot, lambda: app.screen.name == "monitor", "the monitor", timeout=15)
        seen.append(("monitor of", app.profile.name))
        if app.profile.name == "milano":
            await pilot.press("ctrl+q")
            return
        await pilot.press("ctrl+k")
        await until(pilot, lambda: app.screen.name == "fleet" and cells(app, 0)[1] == "healthy", "the fleet view",
                    timeout=15)
        seen.append(("fleet over it, cursor on", members[app.screen.query_one(DataTable).cursor_row].label))
        await pilot.press("up", "enter")

    async def run(app):
        stand_ins = [webapps[m.label].monitor(m.profile) for m in members]  # not the profiles' unreachable URLs
        if isinstance(app, FleetApp):
            app._screen_args["monitors"] = stand_ins
        else:
            app.fleet_monitors = stand_ins
        async with app.run_test(size=(120, 30)) as pilot:
            await (on_fleet if isinstance(app, FleetApp) else on_cluster)(app, pilot)
            await pilot.pause()
        return app.return_value

    code, last = await fleet_loop(members, interval=0.2, timeout=1.0, run=run,
                                  make_cluster_app=lambda m: WabizApp(m.profile, profile_path=m.path, start_on="monitor",
                                                                      log_dir=tmp_path / "logs", monitor_interval=30))
    assert seen == [("monitor of", "roma"), ("fleet over it, cursor on", "roma"), ("monitor of", "milano")]
    assert code == 0 and last is not None and last.profile.name == "milano"


async def test_switch_cluster_is_refused_while_an_operation_runs(tmp_path):
    members, _monitors, webapps = fleet(1)
    app = WabizApp(installed_profile("milano"), profile_path=Path("/profiles/milano.yaml"), start_on="monitor",
                   log_dir=tmp_path / "logs", monitor_interval=30)
    app.fleet_members = members[:2]
    app.fleet_monitors = [webapps[m.label].monitor(m.profile) for m in members[:2]]
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        app.runner.active = Run("upgrade", lambda _outcome: None, heading="Upgrade")  # an operation runs
        await pilot.press("ctrl+k")
        await until(pilot, lambda: app.screen.name == "fleet", "the fleet view")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.is_running and app.return_value is None and app.screen.name == "fleet"
        assert any("Upgrade is running" in n.message for n in app._notifications)
        app.runner.active = None
        await pilot.press("enter")
        await pilot.pause()
    assert isinstance(app.return_value, FleetMember) and app.return_value.label == "roma"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_fleet_snapshot(monkeypatch, size):
    frozen_clock(monkeypatch)
    monkeypatch.setattr(fleet_screen, "time", FrozenClock)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    members, monitors, webapps = fleet(1)
    del webapps["roma"].nodes["wa-core-2:c2beef"]
    app = FleetApp(members, interval=5, timeout=1.0, monitors=monitors)
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.updates >= 3, "every cluster's first answer", timeout=15)
        await screen.on_unmount()  # no more polls: the picture holds still
        for i, obs in enumerate(screen.watch.latest):  # every answer at the frozen time, as measured
            if obs is not None:
                screen.watch.latest[i] = type(obs)(FrozenClock.time(), 0.042, obs.verdict, obs.error_kind,
                                                   obs.findings, obs.message.split(": All")[0])
                screen._show_row(i)
        screen._summarise()
        await assert_snapshot(pilot, f"fleet-{size[0]}x{size[1]}")
