"""Issue 17, capability: actions on the node selected in the monitor (logs, restart, stop, shell, doctor), on the
real simulator over SSH. Restarting the connected Coreapp makes the standby take over, in the table."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from textual.widgets import Log

from wabiz_tui.config.paths import app_paths
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens import node_actions as screens
from wabiz_tui.tui.screens.confirm import ConfirmScreen
from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.screens.node_actions import NodeLogScreen, NodeMenu
from wabiz_tui.tui.widgets.health_table import HealthPanel
from wabiz_tui.tui.widgets.timeline import Timeline

from .pilot_wait import until

pytestmark = pytest.mark.slow


async def select(pilot, panel: HealthPanel, host: str, kind: str) -> None:
    """Move the table's cursor to the row of ``host``/``kind`` with the arrow keys."""
    panel.table.focus()
    await pilot.press("home")
    for _ in range(len(panel.rows)):
        row = panel.selected
        if row is not None and (row.host, row.kind) == (host, kind):
            return
        await pilot.press("down")
        await pilot.pause()
    raise AssertionError(f"no row {host} {kind}: {[(r.host, r.kind) for r in panel.rows]}")


def connected(panel: HealthPanel) -> list[str]:
    return [r.host for r in panel.rows if r.kind == "coreapp" and r.actual_status == "connected"]


async def ask(app, pilot, key: str) -> str:
    """Press ``key``; the confirmation's details (what the change does to the cluster)."""
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
    return str(app.screen.query_one("#confirm-details").render())


def demo_app(session, tmp_path) -> WabizApp:
    return WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.1)


async def open_monitor(app, pilot) -> tuple[MonitorScreen, HealthPanel, str, str]:
    """The monitor once it shows one connected Coreapp: (screen, panel, that Coreapp's host, the other's)."""
    await pilot.pause()
    monitor = app.screen
    assert isinstance(monitor, MonitorScreen)
    panel = monitor.query_one(HealthPanel)
    await until(pilot, lambda: len(connected(panel)) == 1, "one connected Coreapp", 30)
    owner = connected(panel)[0]
    standby = next(r.host for r in panel.rows if r.kind == "coreapp" and r.host != owner)
    return monitor, panel, owner, standby


async def test_restart_the_connected_coreapp_and_the_standby_takes_over(installed_demo, tmp_path):
    app = demo_app(installed_demo, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        monitor, panel, owner, standby = await open_monitor(app, pilot)
        await select(pilot, panel, owner, "coreapp")
        # Enter opens the menu; R there asks for a confirmation saying the cluster consequence
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, NodeMenu), "the node menu")
        details = await ask(app, pilot, "R")
        assert f"restarting {owner} (connected, serves a shard): standby {standby} should take over" in details
        await pilot.press("y")
        await until(pilot, lambda: connected(panel) == [standby], f"{standby} connected in the table", 60)
        await until(pilot, lambda: any(r.host == owner and r.actual_status == "disconnected" for r in panel.rows),
                    f"{owner} back as the standby", 60)
        timeline = monitor.query_one(Timeline).text
        assert f"restart of {owner} coreapp done" in timeline
        assert f"{standby} took over the shard of {owner}" in timeline
    # the change is in the run log, with why it was asked and the command that ran
    logs = list(app_paths().logs.glob(f"*-node-actions/{owner}.log"))
    assert len(logs) == 1, logs
    text = logs[0].read_text()
    assert "# wabiz-tui: restart of wacore asked from the monitor: restarting" in text
    assert "restart wacore" in text and "# wabiz-tui: restart of wacore done" in text
    # s7 trial: the README's run log had none of it; one place to look: the folder's run.log lists each change,
    # and the timeline says where it is
    run_log = logs[0].parent / "run.log"
    lines = run_log.read_text().splitlines()
    assert len(lines) == 2 and f"restart of wacore on {owner} asked from the monitor: restarting" in lines[0], lines
    assert lines[1].endswith(f"restart of wacore on {owner} done (output: {owner}.log)"), lines
    assert f"(run log: {run_log})" in timeline


async def test_stop_refused_then_stop_and_logs_follow(installed_demo, tmp_path):
    session = installed_demo
    app = demo_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        monitor, panel, owner, standby = await open_monitor(app, pilot)
        await select(pilot, panel, standby, "coreapp")
        # S on the standby: the confirmation says the tolerance drops; refused, nothing changes
        assert "tolerates 0 Coreapp failure(s) instead of 1" in await ask(app, pilot, "S")
        await pilot.press("n")
        await until(pilot, lambda: "not confirmed: nothing changed" in monitor.query_one(Timeline).text, "the refusal")
        assert any(c.service == "wacore" and c.state == "running" for c in session.cluster.containers(standby))
        # l follows the log of that Coreapp's container: the lines a stop writes arrive in the pane
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, NodeLogScreen), "the log pane")
        pane = app.screen
        await until(pilot, lambda: pane.lines > 0 and pane.status == "following", "the log's last lines")
        session.cluster.kill_container(standby, "wacore")
        await until(pilot, lambda: "SIGKILL" in "\n".join(pane.query_one(Log).lines), "the kill in the followed log")
        await until(pilot, lambda: pane.status.startswith("the stream ended"), "the stream to end with the container")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is monitor, "back on the monitor")
        await until(pilot, lambda: any(r.host == standby and r.actual_status == "missing" for r in panel.rows),
                    f"{standby} missing in the table")
        # a stop of the connected one, confirmed: the only other Coreapp is down, so its shard stays unserved
        await select(pilot, panel, owner, "coreapp")
        assert "no standby Coreapp: its shard stays unserved until it is started again" in await ask(app, pilot, "S")
        await pilot.press("y")
        await until(pilot, lambda: not any(c.state == "running" for c in session.cluster.containers(owner) if c.service == "wacore"),
                    f"the wacore container of {owner} stopped")


async def test_doctor_missing_and_shell_command(installed_demo, tmp_path, monkeypatch):
    session = installed_demo
    app = demo_app(session, tmp_path)
    ran: list[list[str]] = []

    async def fake_shell(argv: list[str]) -> int:
        ran.append(argv)
        return 0

    monkeypatch.setattr(screens, "run_shell", fake_shell)
    async with app.run_test(size=(120, 40)) as pilot:
        monitor, panel, _owner, _standby = await open_monitor(app, pilot)
        monkeypatch.setattr(app, "suspend", __import__("contextlib").nullcontext)
        row = panel.selected
        if not hasattr(app, "action_doctor"):
            await pilot.press("d")
            await until(pilot, lambda: any(screens.NO_DOCTOR in str(n.message) for n in app._notifications),
                        "the doctor notice")
        await pilot.press("s")
        await until(pilot, lambda: ran, "ssh to run")
        host = session.profile.host(row.host)
        argv = ran[0]
        assert argv[:3] == ["ssh", "-o", "StrictHostKeyChecking=yes"]
        assert argv[argv.index("-p") + 1] == str(host.ssh.port) and argv[argv.index("-l") + 1] == host.ssh.user
        assert argv[-1] == host.ssh.host and str(Path(host.ssh.key_file).expanduser()) in argv
        await until(pilot, lambda: f"shell on {row.host} ended (ssh exit status 0)" in monitor.query_one(Timeline).text,
                    "the shell's end in the timeline")
    # the same command line, run for real with OpenSSH's client, logs in and checks the host key against ours
    if shutil.which("ssh") is None:
        pytest.skip("OpenSSH client (ssh) not installed")
    login = argv[:-1] + ["-o", "BatchMode=yes", argv[-1], "echo", "shell-ok"]
    proc = await asyncio.create_subprocess_exec(*login, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0 and out.decode().strip() == "shell-ok", err.decode()
    # a host key that is not in our known_hosts is refused, never asked (StrictHostKeyChecking=yes)
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    strange = [a if not a.startswith("UserKnownHostsFile=") else f"UserKnownHostsFile={empty}" for a in login]
    proc = await asyncio.create_subprocess_exec(*strange, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                stdin=asyncio.subprocess.DEVNULL)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 255 and "Host key verification failed" in err.decode() and not out


async def test_a_node_change_is_refused_while_something_else_changes_the_cluster(installed_demo, tmp_path):
    """Review: restart/stop ran outside the runner, so they could run during this window's own step or an
    upgrade, and the lock said nothing of them. Now they are the app's run: refused while another runs."""
    from wabiz_tui.tui.runner import Run

    app = demo_app(installed_demo, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        monitor, panel, owner, standby = await open_monitor(app, pilot)
        release = asyncio.Event()
        app.runner.start(Run("upgrade", lambda outcome: None, heading="Upgrade"), release.wait)
        await select(pilot, panel, owner, "coreapp")
        await ask(app, pilot, "R")
        await pilot.press("y")
        timeline = monitor.query_one(Timeline)
        await until(pilot, lambda: "refused" in timeline.text, "the refusal in the timeline", 10)
        await pilot.pause(0.5)
        assert connected(panel) == [owner]  # nothing was restarted
        release.set()


async def test_a_restart_from_the_monitor_pauses_alerts_in_its_own_words(installed_demo, tmp_path, monkeypatch):
    # issue 17 trial: R was logged as "alerts paused: failover drill running" though no drill ran
    from wabiz_tui.workflows.node_actions import NodeActions

    held = asyncio.Event()
    began: list[str] = []

    async def held_restart(self, host: str, kind: str, why: str = "") -> None:
        began.append(host)
        await held.wait()  # the restart is in progress until the test has read the timeline

    monkeypatch.setattr(NodeActions, "restart", held_restart)
    app = demo_app(installed_demo, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        monitor, panel, owner, _standby = await open_monitor(app, pilot)
        await select(pilot, panel, owner, "coreapp")
        await ask(app, pilot, "R")
        await pilot.press("y")
        timeline = monitor.query_one(Timeline)
        await until(pilot, lambda: began == [owner] and "alerts paused" in timeline.text, "alerts paused", 30)
        assert f"alerts paused: restart of wacore on {owner} running" in timeline.text, timeline.text
        assert "failover drill" not in timeline.text
        held.set()
        await until(pilot, lambda: f"restart of {owner} coreapp done" in timeline.text, "the restart's end", 30)
