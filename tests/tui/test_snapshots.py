"""SVG snapshots of the main screens (``snapshots.py``): a screen that changes by accident fails.

Stand-in engines, a fixed clock and fixed hosts/versions make each picture the same on every run. After an
intended change: ``WABIZ_SNAPSHOT_UPDATE=1 python -m pytest tests/tui/test_snapshots.py``, look at the new
files, commit them.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from textual.widgets import Static

from wabiz_tui.domain.health import ClusterVerdict, Level, NodeVerdict
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane
from wabiz_tui.workflows.events import HostCommand, HostFinished, HostOutput, StepStarted
from wabiz_tui.domain.diagnosis import diagnose_verdict
from wabiz_tui.workflows.monitor import PollResult, TimelineEntry
from wabiz_tui.workflows.report import RunRecord
from wabiz_tui.workflows.stepinfo import HA_STEPS

from .fake_engine import FakeHaInstall, sample_profile, verdict
from .snapshots import FROZEN_AT, assert_snapshot, frozen_clock
from .pilot_wait import settle, until

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch):
    frozen_clock(monkeypatch)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


class StreamingInstall(FakeHaInstall):
    """Step ``number`` prints a few lines per host, host 1 finishes, the others keep running until cancelled."""

    async def run_step(self, number: int) -> bool:
        hosts = tuple(h.external_hostname for h in self.profile.hosts)
        self.emit(StepStarted(number, f"step {number}", hosts))
        for i, host in enumerate(hosts):
            self.emit(HostCommand(host, f"cd /home/wa/biz && docker-compose -f prod-multiconnect-compose.yml ps  # {host}"))
            for n in range(3):
                self.emit(HostOutput(host, f"biz_wacore_{n + 1}   /opt/whatsapp/bin/wait_on_mysql.sh   Up   6250/tcp"))
            if i == 0:
                self.emit(HostFinished(host, True, 0, ""))
        await asyncio.Event().wait()
        return True


class FakeMulticonnect:
    """The Multiconnect engine as the M1 form sees it: a shard check that passes with 2 Coreapps."""

    def __init__(self, profile, *, emit) -> None:
        self.profile = profile

    async def check_shards(self, shards: int):
        return SimpleNamespace(errors=(), warnings=(), running_coreapps=2)

    async def close(self) -> None:
        pass


def make_app(*, installed: bool = False, engine=FakeHaInstall, **kwargs) -> WabizApp:
    profile = sample_profile().with_changes(installed=installed)
    return WabizApp(profile, workflow_factory=lambda p, emit: engine(p, emit=emit),
                    mc_factory=lambda p, emit: FakeMulticonnect(p, emit=emit), **kwargs)


async def show_step(app: WabizApp, pilot, number: int) -> None:
    app.states.update({n: StepState.DONE for n in range(1, number)})
    app.goto_step(number)
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x40", "80x24"])
async def test_step_1_hosts_form(tmp_path, size):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await assert_snapshot(pilot, f"step1-hosts-form-{size[0]}x{size[1]}")


async def test_step_3_db_env_form(tmp_path):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZE) as pilot:
        await show_step(app, pilot, 3)
        await assert_snapshot(pilot, "step3-db-env-form")


async def test_a_step_running_with_host_panes(tmp_path):
    app = make_app(engine=StreamingInstall, log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZE) as pilot:
        await show_step(app, pilot, 6)
        await pilot.press("ctrl+r")
        for _ in range(20):
            await pilot.pause(0.05)
            if app.screen.finished_hosts:
                break
        for pane in app.screen.query(HostLogPane):
            pane.flush()
        app.screen._tick()  # the elapsed ticker's first tick (every 0.5 s) may not have come yet
        await pilot.pause()
        assert app.busy
        await assert_snapshot(pilot, "step6-running-host-panes")
        await pilot.press("ctrl+x")
        await settle(app, pilot)


def failing_verdict() -> ClusterVerdict:
    """The connected Coreapp is gone and nobody took its shard over."""
    nodes = (
        NodeVerdict("wa-host-1", "aa11", "primary master", "primary_master", "disconnected", "disconnected",
                    Level.OK, "ok"),
        NodeVerdict("wa-host-1", "", "coreapp", "coreapp", "connected", "missing", Level.FAILURE,
                    "container down or host unreachable"),
        NodeVerdict("wa-host-2", "cc33", "coreapp", "coreapp", "disconnected", "disconnected", Level.STANDBY,
                    "standby"),
    )
    return ClusterVerdict(Level.FAILURE, "Shard 1 is not served: 0/1 shard connected",
                          "check the Coreapp on wa-host-1 (docker-compose ps wacore)", nodes, shards_served=0,
                          standby=1, primary_master="wa-host-1:aa11", registered=True)


@pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("case", ["healthy", "failing"])
async def test_monitor(tmp_path, monkeypatch, case, size):
    async def no_polling(_screen) -> None:  # the test shows the polls itself
        return None

    monkeypatch.setattr(MonitorScreen, "_poll_loop", no_polling)
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.name == "monitor"
        healthy = PollResult(polled_at=FROZEN_AT, latency=0.042, verdict=verdict(True),
                             new_entries=(TimelineEntry(FROZEN_AT, "HA healthy: 1/1 shard connected"),))
        screen.show_result(healthy)
        if case == "failing":
            failing = failing_verdict()  # the findings come with the poll (the monitor computes them once)
            screen.show_result(PollResult(polled_at=FROZEN_AT + 5, latency=0.051, verdict=failing,
                                          current_findings=tuple(d for d in diagnose_verdict(failing) if d),
                                          new_entries=(TimelineEntry(FROZEN_AT + 5, "wa-host-1 coreapp missing",
                                                                     "alert"),), worsened=True))
        app.clear_notifications()
        await pilot.pause()
        await assert_snapshot(pilot, f"monitor-{case}" + ("" if size == SIZE else f"-{size[0]}x{size[1]}"))


async def test_upgrade_screen(tmp_path):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen.name == "upgrade"
        await assert_snapshot(pilot, "upgrade-form")


async def test_multiconnect_m1(tmp_path):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.name == "step10"
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "can be set" in str(app.screen.query_one("#shard-check").render())
        await assert_snapshot(pilot, "multiconnect-m1-shards")


async def test_palette(tmp_path):
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await assert_snapshot(pilot, "palette")


class RecordedStreamingInstall(StreamingInstall):
    """:class:`StreamingInstall` with the real step titles and the run record the quit question reads."""

    procedure = "install"
    steps = HA_STEPS

    def __init__(self, profile, *, emit, settings=None) -> None:
        self.record = RunRecord(self.procedure)
        super().__init__(profile, emit=self.record.tee(emit), settings=settings)

    async def run_step(self, number: int) -> bool:
        hosts = tuple(h.external_hostname for h in self.profile.hosts)
        self.emit(StepStarted(number, HA_STEPS[number - 1].title, hosts))
        await asyncio.Event().wait()
        return True


def big_profile(n_core: int = 43):
    """The sample profile with 50 hosts: 4 Webapps, 3 Masters, 43 Coreapps (the largest Meta supports)."""
    from wabiz_tui.domain.model import HostSpec, Role, SshTarget

    def host(name: str, role: Role, n: int) -> HostSpec:
        return HostSpec(name, SshTarget(host=f"10.0.{n // 250}.{n % 250 + 1}", port=22, user="wa"), (role,))

    names = ([(f"wa-web-{i}", Role.WEBAPP) for i in range(1, 5)] + [(f"wa-master-{i}", Role.MASTER) for i in range(1, 4)]
             + [(f"wa-core-{i}", Role.COREAPP) for i in range(1, n_core + 1)])
    return sample_profile().with_changes(hosts=tuple(host(name, role, n) for n, (name, role) in enumerate(names)))


class BigClusterStart(FakeHaInstall):
    """Step ``number`` on 50 hosts: every host prints its ``ps`` line, three Coreapps fail, the rest succeed but
    for five still running."""

    FAILING = ("wa-core-7", "wa-core-19", "wa-core-30")

    async def run_step(self, number: int) -> bool:
        hosts = tuple(h.external_hostname for h in self.profile.hosts)
        self.emit(StepStarted(number, f"step {number}", hosts))
        for i, host in enumerate(hosts):
            self.emit(HostCommand(host, "cd /home/wa/biz && docker-compose -f prod-multiconnect-compose.yml up -d"))
            self.emit(HostOutput(host, f"Creating biz_{'wacore' if 'core' in host else 'waweb'}_1 ... done"))
            if host in self.FAILING:
                self.emit(HostOutput(host, "ERROR: for wacore  Cannot start service wacore: driver failed programming "
                                           "external connectivity: Bind for 0.0.0.0:6250 failed: port is already allocated"))
                self.emit(HostFinished(host, False, 1, "docker-compose up -d: exit 1 (port 6250 is already allocated)"))
            elif i < len(hosts) - 5:
                self.emit(HostFinished(host, True, 0, ""))
        await asyncio.Event().wait()
        return True


async def test_the_quit_question_while_a_step_runs(tmp_path):
    app = make_app(engine=RecordedStreamingInstall, log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZE) as pilot:
        await show_step(app, pilot, 5)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.ensure_workflow().record.running is not None, "step 5 to start", 5)
        # the step's counter behind the dialog is in the picture: its first text is set on a timer (late under load)
        elapsed = app.screen.query_one("#elapsed", Static)
        await until(pilot, lambda: "hosts ·" in str(elapsed.render()), "the step's counter", 5)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.screen.has_class("quit-confirm")
        await assert_snapshot(pilot, "quit-question-step-running")
        await pilot.press("n")


def big_app(tmp_path, engine=BigClusterStart) -> WabizApp:
    return WabizApp(big_profile(), workflow_factory=lambda p, emit: engine(p, emit=emit),
                    mc_factory=lambda p, emit: FakeMulticonnect(p, emit=emit), log_dir=tmp_path / "logs")


async def run_big_step(app: WabizApp, pilot) -> None:
    await show_step(app, pilot, 6)
    await pilot.press("ctrl+r")
    for _ in range(40):
        await pilot.pause(0.05)
        if len(app.screen.finished_hosts) >= 45:
            break
    for pane in app.screen.query(HostLogPane):
        pane.flush()
    app.screen._tick()
    await pilot.pause(0.6)  # the table's next refresh (every 0.5 s)
    app.clear_notifications()
    await pilot.pause()


async def test_a_50_host_step_shows_a_host_table_with_the_failures_first(tmp_path):
    app = big_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_big_step(app, pilot)
        await assert_snapshot(pilot, "step6-50-hosts-table")
        await pilot.press("ctrl+x")
        await settle(app, pilot)


async def test_a_zoomed_pane(tmp_path):
    app = big_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_big_step(app, pilot)
        from wabiz_tui.tui.widgets.host_table import HostTable

        app.screen.query_one(HostTable).focus()
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is not None
        await assert_snapshot(pilot, "step6-zoomed-pane")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+x")
        await settle(app, pilot)
