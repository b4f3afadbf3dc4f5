"""After a deliberate uninstall the monitor's rows say so (s7 trial: after F9 then F2 the rows still said ``✔ ok``,
"the Webapp answered this poll", "serves a shard" and "last poll 15:07:33 · latency 0 ms"; only the header said
"stale")."""

from __future__ import annotations

import time

import pytest

from tests.support import record_toasts
from wabiz_tui.tui.widgets.health_table import HealthPanel
from wabiz_tui.tui.widgets.summary import MonitorSummary
from wabiz_tui.workflows.monitor import PollResult

from .fake_engine import verdict
from .screen_text import screen_text
from .test_monitor_quiet import uninstall_by_keys
from .test_operations import until
from .test_snapshots import make_app

HEALTHY_WORDS = ("✔ ok", "answered this poll", "serves a shard", "last poll", "latency")


def assert_rows_say_removed(app, notice_start: str) -> None:
    panel = app.screen.query_one(HealthPanel)
    assert panel.rows, "the rows of the last answer stay, marked removed"
    assert {r.level for r in panel.rows} == {"removed"}
    assert all(r.reason.startswith(notice_start) for r in panel.rows)
    assert panel.detail.plain.count("removed") >= 1 and notice_start in panel.detail.plain
    text = screen_text(app)
    for words in HEALTHY_WORDS:
        assert words not in text, words
    assert "– removed" in text and "NOT INSTALLED" in text
    assert "last poll" not in app.screen.query_one(MonitorSummary).plain


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_not_installed_poll_turns_every_row_into_removed(tmp_path, no_polling, size):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.screen.show_result(PollResult(polled_at=time.time(), latency=0.0, verdict=verdict(True)))
        await pilot.pause()
        assert "✔ ok" in screen_text(app)
        app.screen.show_result(PollResult(time.time(), 0.0, None, None, notice="not installed (uninstalled at 15:07)"))
        await pilot.pause()
        await pilot.pause()
        assert_rows_say_removed(app, "not installed (uninstalled at 15:07)")


@pytest.mark.slow
async def test_f9_then_f2_the_monitor_rows_say_not_installed(installed_demo, tmp_path):
    """The trial's path on the simulator: monitor healthy, F9 uninstall, F2 back to the monitor."""
    from wabiz_tui.tui.app import WabizApp

    session = installed_demo
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.1)
    toasts = record_toasts(app)
    async with app.run_test(size=(120, 40)) as pilot:
        monitor = app.screen
        await until(pilot, lambda: monitor.last_verdict is not None and monitor.last_verdict.healthy, "a healthy poll")
        polls = await uninstall_by_keys(app, pilot, monitor)
        await until(pilot, lambda: monitor.polls >= polls + 3, "polls after the uninstall")
        await pilot.press("f2")
        await until(pilot, lambda: app.screen is monitor, "the monitor again")
        await pilot.pause()
        assert_rows_say_removed(app, "not installed (uninstalled at ")
        assert not [t for t in toasts if t.startswith("Cluster health worsened")], toasts
