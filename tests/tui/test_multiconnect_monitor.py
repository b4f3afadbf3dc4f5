"""Multiconnect steps M1-M4 and the live health monitor, driven by keys against the real simulator."""

from __future__ import annotations

import json



import asyncssh
import pytest
from textual.widgets import DataTable, Select

from wabiz_tui.domain.health import Level
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.confirm import ConfirmScreen
from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane
from wabiz_tui.tui.widgets.step_list import StepList
from wabiz_tui.tui.widgets.summary import MonitorSummary
from wabiz_tui.tui.widgets.timeline import Timeline
from . import pilot_wait

from .pilot_wait import settle

pytestmark = pytest.mark.slow

SIZE = (140, 45)


async def until(pilot, predicate, what: str, timeout: float = 20.0) -> None:
    """``pilot_wait.until`` with this module's timeout."""
    await pilot_wait.until(pilot, predicate, what, timeout)


def status(app: WabizApp) -> str:
    return str(app.screen.query_one("#status").render())


async def choose_shards(app: WabizApp, pilot, value: int) -> None:
    """Pick ``value`` in the M1 select with the keyboard."""
    select = app.screen.query_one("#shards", Select)
    select.focus()
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("home")
    for _ in range((1, 2, 4, 8, 16, 32).index(value)):
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()
    assert select.value == value


def node_levels(monitor: MonitorScreen, host: str) -> set[str]:
    verdict = monitor.last_verdict
    return {n.level.value for n in verdict.nodes if n.host == host} if verdict else set()


async def ssh_kill(session, host: str) -> None:
    """``docker kill biz_wacore_1`` on ``host`` over real SSH, as an operator would."""
    c = session.cluster
    async with asyncssh.connect("127.0.0.1", c.ssh_port(host), username=c.ssh_user,
                                client_keys=[str(c.client_key_path)], known_hosts=str(c.known_hosts_path),
                                config=None, agent_path=None) as conn:
        result = await conn.run("docker kill biz_wacore_1", check=False)
    assert result.exit_status == 0, result.stderr


async def test_multiconnect_steps_then_failover_in_the_monitor(installed_demo, tmp_path):
    session = installed_demo
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        # an installed profile opens on the monitor
        await pilot.pause()
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        await until(pilot, lambda: monitor.last_verdict is not None, "the first poll")
        assert "HA (1 shard)" in monitor.query_one(MonitorSummary).plain
        # F2: the wizard, on M1, after the 9 HA steps (done)
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen.name == "step10"
        steps = app.screen.query_one(StepList)
        assert [steps.state_of(n) for n in range(1, 14)] == [StepState.DONE] * 9 + [StepState.PENDING] * 4
        assert "M1" in str(app.screen.query_one("#step-item-10").render())
        assert app.screen.query_one("#shards", Select).value == 2
        await until(pilot, lambda: "no standby" in str(app.screen.query_one("#shard-check").render()),
                    "the live check of 2 shards")
        # a refused value: 4 shards on 2 Coreapps, shown live and refused without any dialog
        await choose_shards(app, pilot, 4)
        await until(pilot, lambda: "only 2 run" in str(app.screen.query_one("#shard-check").render()),
                    "the live check of 4 shards")
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert "Not set" in status(app) and app.state(10) is StepState.PENDING
        # 2 shards; the confirmation refused: nothing changes
        await choose_shards(app, pilot, 2)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation dialog")
        assert "Set 2 shard(s)" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.name == "step10" and "confirmation" in status(app)
        assert app.state(10) is StepState.PENDING and app.profile.shards == 1
        # confirmed: POST /v1/account/shards
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation dialog")
        await pilot.press("y")
        await until(pilot, lambda: app.state(10) is not StepState.PENDING, "M1 to start")
        await settle(app, pilot)
        assert app.state(10) is StepState.DONE, status(app)
        assert app.profile.shards == 2
        # issue 17, defect 6: "Cluster now" is the cluster judged with the new shard count
        assert "Multiconnect (2 shards)" in str(app.screen.query_one("#cluster-now").render())
        # trial s8 C3: the no-standby warning once (the Findings box), the step's summary once (the messages box)
        from .screen_text import screen_text

        said = screen_text(app)
        assert said.count("no standby Coreapp") == 1, said
        summary = app.last_finished[10].summary
        assert summary and summary[:30] in said and summary[:30] not in status(app), (summary, status(app))
        # M2: both shards served
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.name == "step11"
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert app.state(11) is StepState.DONE, status(app)
        assert app.last_verdict.shards_served == 2
        # M3: the new host, prefilled from the demo's spare; a duplicate is refused by field
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.name == "step12"
        name_input = app.screen.query_one("#f-new-external_hostname Input")
        assert name_input.value == "wa-core-3"
        name_input.value = "wa-core-1"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "already a host" in str(app.screen.query_one("#f-new-external_hostname .field-error").render())
        assert app.state(12) is StepState.PENDING
        name_input.value = "wa-core-3"
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert app.state(12) is StepState.DONE, status(app)
        pane = app.screen.query_one(HostLogPane)
        pane.flush()
        assert pane.host == "wa-core-3" and any(line.endswith("up -d wacore") for line in pane.history)
        assert session.profile.webapp.admin_password not in "\n".join(pane.history)
        # M4: healthy with a standby
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await settle(app, pilot, timeout=40)
        assert app.state(13) is StepState.DONE, status(app)
        # the Multiconnect change's report (issue 17): its 4 steps, the new host, health after
        report = json.loads(next(p for p in app.report_paths if "multiconnect" in p.parent.name).with_suffix(".json").read_text())
        assert report["procedure"] == "multiconnect" and [s["number"] for s in report["steps"]][-1] == 4
        assert report["health_after"]["level"] == "ok" and len(report["hosts"]) == len(app.profile.hosts)
        headline = str(app.screen.query_one(".health-headline").render())
        assert "Multiconnect (2 shards) healthy: 2/2 shards connected, 1 standby coreapp" in headline
        assert app.last_verdict.level is Level.OK and app.last_verdict.standby == 1

        # the monitor follows the new plan; kill a connected Coreapp over SSH and watch the failover
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is monitor
        summary = monitor.query_one(MonitorSummary)
        await until(pilot, lambda: monitor.last_verdict.level is Level.OK
                    and monitor.last_verdict.shards_expected == 2, "the monitor to see Multiconnect")
        assert "Multiconnect (2 shards)" in summary.plain and "standby coreapps 1" in summary.plain
        owner = next(n.host for n in monitor.last_verdict.nodes if n.actual_status == "connected"
                     and n.expected_role == "coreapp")
        table = monitor.query_one(DataTable)
        table.move_cursor(row=2)
        await pilot.pause()
        chosen = monitor.selected_node()
        await ssh_kill(session, owner)
        await until(pilot, lambda: "failure" in node_levels(monitor, owner), f"{owner} to turn red")
        await pilot.pause()
        row = table.get_row(f"{owner}|coreapp")
        assert str(row[1]) == "✗ FAIL" and row[1].style == "bold red"
        assert table.get_row_index(f"{owner}|coreapp") == 0  # problems first
        timeline = monitor.query_one(Timeline)
        await until(pilot, lambda: f"took over the shard of {owner} after" in timeline.text, "the takeover entry")
        await until(pilot, lambda: monitor.last_verdict.shards_served == 2, "all shards served again")
        assert "shards served 2/2" in summary.plain and "failures tolerated now 0 (planned 1)" in summary.plain
        assert monitor.selected_node().key == chosen.key  # the cursor stays on its node while rows move
        assert session.profile.webapp.admin_password not in timeline.text + summary.plain


async def test_demo_fault_key_failover_bell_interval_and_api_errors(installed_demo, tmp_path):
    session = installed_demo
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.1)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        await until(pilot, lambda: monitor.last_verdict is not None and monitor.last_verdict.level is Level.OK,
                    "a healthy first poll")
        summary = monitor.query_one(MonitorSummary)
        assert "HA (1 shard)" in summary.plain and "failures tolerated now 1 (planned 1)" in summary.plain
        owner = next(n.host for n in monitor.last_verdict.nodes if n.actual_status == "connected")
        # F5 (demo only): kill the connected Coreapp; the row turns red, the standby takes over
        await pilot.press("f5")
        timeline = monitor.query_one(Timeline)
        assert f"demo fault: killed the connected Coreapp on {owner}" in timeline.text
        await until(pilot, lambda: "failure" in node_levels(monitor, owner), f"{owner} to turn red")
        await until(pilot, lambda: bool(bells), "the bell on worsening")
        await until(pilot, lambda: f"took over the shard of {owner} after" in timeline.text, "the takeover entry")
        await until(pilot, lambda: monitor.last_verdict.shards_served == 1, "the shard served again")
        assert "shards served 1/1" in summary.plain and "failures tolerated now 0 (planned 1)" in summary.plain
        # F7: the killed Coreapp starts again over SSH and comes back as the standby
        await pilot.press("f7")
        await until(pilot, lambda: monitor.last_verdict.level is Level.OK and monitor.last_verdict.standby == 1,
                    "the standby back")
        # F6 (demo only): kill the primary master; the secondary takes over
        primary = monitor.last_verdict.primary_master
        await pilot.press("f6")
        assert f"killed the primary master on {primary}" in timeline.text
        await until(pilot, lambda: monitor.last_verdict.primary_master not in ("", primary), "a new primary master")
        # b turns the bell off; +/- change the interval
        await pilot.press("b")
        assert not app.bell_enabled and "bell off" in summary.plain
        await pilot.press("plus")
        assert monitor.interval == 0.5
        await pilot.press("plus")
        assert monitor.interval == 1.0 and "every 1 s" in summary.plain
        await pilot.press("minus")
        assert monitor.interval == 0.5
        # an API error is shown by kind, the last verdict kept as stale, nothing crashes
        rang = len(bells)
        session.cluster.set_webapp_error(503)
        await until(pilot, lambda: monitor.last_result.error is not None, "the 503")
        await pilot.pause()
        assert "Webapp HTTP error 503" in summary.plain and "stale" in summary.plain
        assert "NO ANSWER" in str(monitor.query_one(".health-headline").render())
        assert len(bells) == rang  # the bell is off
        session.cluster.set_webapp_error(None)
        await until(pilot, lambda: monitor.last_result.error is None, "the Webapp back")
        # the palette lists the monitor and the demo faults
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Health monitor" in commands and "Demo fault: kill the connected Coreapp" in commands
