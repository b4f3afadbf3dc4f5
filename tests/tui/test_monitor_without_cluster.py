"""The monitor without a cluster: unreachable Webapp shown by kind, key bindings, wizard default view."""

from __future__ import annotations

import socket
import time
from dataclasses import replace

from wabiz_tui.api.client import ApiError
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.monitor import MonitorScreen, step_interval
from wabiz_tui.tui.widgets.summary import MonitorSummary, error_label
from wabiz_tui.workflows.monitor import PollResult

from .fake_engine import sample_profile

SIZE = (140, 45)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_app(tmp_path, interval: float) -> WabizApp:
    """The app on an installed sample cluster whose Webapp port refuses connections, polling every ``interval`` s."""
    profile = sample_profile()
    profile = profile.with_changes(installed=True, webapp=replace(profile.webapp, url=f"https://127.0.0.1:{closed_port()}",
                                                                  ca_file=""))
    return WabizApp(profile, log_dir=tmp_path / "logs", monitor_interval=interval)


async def polled(pilot, monitor: MonitorScreen, times: int) -> None:
    """Wait until ``monitor`` polled ``times`` times (10 s at most)."""
    end = time.monotonic() + 10
    while monitor.polls < times:
        assert time.monotonic() < end, f"fewer than {times} polls"
        await pilot.pause(0.05)


async def test_unreachable_webapp_is_named_and_polling_goes_on(tmp_path):
    app = unreachable_app(tmp_path, 0.1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)  # installed: the monitor is the default view
        await polled(pilot, monitor, 2)
        text = monitor.query_one(MonitorSummary).plain
        assert "Webapp unreachable" in text and "No health answer yet" in text
        assert app.profile.webapp.admin_password not in text
        # the fault keys exist only in the demo; step keys are off on the monitor
        assert app.check_action("demo_kill_coreapp", ()) is False
        assert app.check_action("next_step", ()) is False
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen.name == "step10"
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is monitor


async def test_not_installed_opens_the_wizard(tmp_path):
    app = WabizApp(sample_profile(), log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.name == "step1"


def test_error_labels_and_intervals():
    assert error_label(ApiError("x", status=401, kind="auth")) == "401 credentials refused"
    assert error_label(ApiError("x", kind="tls")) == "TLS certificate problem"
    assert error_label(ApiError("x", kind="dns")) == "DNS: Webapp name not resolved"
    assert error_label(ApiError("x", status=502)) == "Webapp HTTP error 502"
    assert step_interval(5.0, 1) == 10.0 and step_interval(5.0, -1) == 2.0 and step_interval(0.1, -1) == 0.1
    assert PollResult(0.0, 0.0).verdict is None


async def test_the_screen_shows_the_findings_the_poll_computed(tmp_path):
    """Findings are computed once, in the poll result: the screen reads them, it does not diagnose again."""
    from wabiz_tui.domain.diagnosis import Diagnosis
    from wabiz_tui.tui.widgets.findings import FindingsList

    app = unreachable_app(tmp_path, 60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        found = Diagnosis("POLL_SAID_IT", "warning", "computed by the poll", "", "read it from the result")
        monitor.show_result(PollResult(time.time(), 0.01, None, ApiError("refused", kind="unreachable"),
                                       current_findings=(found,)))
        await pilot.pause()
        shown = monitor.query_one(FindingsList).plain
        assert "computed by the poll" in shown and "unreachable" not in shown.lower()


async def test_the_version_readers_ssh_connections_are_closed_when_the_api_client_fails_to_close(tmp_path,
                                                                                                 monkeypatch):
    from wabiz_tui.workflows.monitor import HealthMonitor
    from wabiz_tui.workflows.versions import VersionReader

    closed: list[str] = []

    async def broken_aclose(_monitor) -> None:
        closed.append("api")
        raise RuntimeError("the API client's close failed")

    async def reader_close(_reader) -> None:
        closed.append("ssh")

    monkeypatch.setattr(HealthMonitor, "aclose", broken_aclose)
    monkeypatch.setattr(VersionReader, "close", reader_close)
    app = unreachable_app(tmp_path, 0.1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        await polled(pilot, monitor, 1)
    assert closed == ["api", "ssh"]  # the reader is closed although the monitor's close raised
