"""Issue 17, the new user's 80x24 trial (session 11): a step's summary read from its start, the registration
code's error on a full-width line with the demo's SMS line still on screen, the field names the operator types
whole, and the status sentence on one line at 120 columns."""

from __future__ import annotations

from textual.widgets import Input, RichLog

from wabiz_tui.tui.steps import StepState
from wabiz_tui.workflows.events import StepFinished, StepStarted

from .fake_engine import FakeHaInstall
from .pilot_wait import settle, until
from .screen_text import screen_text
from .test_snapshots import make_app, show_step

#: the demo's step 9 summary, the longest a step ends with
LONG = ("HA healthy: 1/1 shard connected, 1 standby coreapp (tolerates 1 coreapp failure), primary master "
        "wa-master-1.")


class LongSummaryInstall(FakeHaInstall):
    """Step 4 ends with the demo's long step-9 summary and a next action."""

    async def run_step(self, number: int) -> bool:
        self.emit(StepStarted(number, "media", ()))
        self.emit(StepFinished(number, True, LONG, "nothing to do"))
        return True


async def test_a_long_step_summary_reads_from_its_start_at_80x24(tmp_path):
    """Before: a two-row box wrapped at 78 columns in 56, cut on the right, scrolled to its tail
    (``coreapp failure), primary master wa-master-1. Next: noth``)."""
    app = make_app(engine=LongSummaryInstall, log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_step(app, pilot, 4)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.state(4) is StepState.DONE, "step 4 done")
        await pilot.pause(0.2)
        log = app.screen.query_one("#step-messages", RichLog)
        assert log.virtual_size.width <= log.scrollable_content_region.width, (log.virtual_size, log.region)
        text = screen_text(app)
        assert "Step 4 done: HA healthy: 1/1 shard connected" in text, text
        shown = " ".join(line.strip("│ ") for line in text.splitlines() if line.count("│") >= 3)
        assert "(tolerates 1" in shown, text


async def test_a_wrong_code_is_said_on_a_full_width_line_and_the_sms_stays_on_screen(tmp_path):
    """Before: the error wrapped in the 13-column code box (``code: the`` / ``registration`` / ...) and pushed
    the SMS line below the screen."""
    app = make_app(installed=False, log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_step(app, pilot, 8)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        app.screen.show_sms("16315550000", "930746")
        await pilot.press(*"12345", "enter")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "code: the registration code has 6 digits, e.g. 123456" in text, text
        assert "Demo SMS" in text and "930746" in text, text
        assert "Code (6 digits)" in text, text
        assert app.screen.query_one("#code-input", Input).has_focus


async def test_the_names_the_operator_types_are_whole_at_80_columns(tmp_path):
    """Before: ``WA_API_VERSIO`` / ``N`` on step 1, ``WA_DB_USERNAM`` and ``Idle timeout (`` on step 3."""
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "WA_API_VERSION" in screen_text(app)
        await show_step(app, pilot, 3)
        text = screen_text(app)
        for label in ("WA_DB_USERNAME", "WA_DB_PASSWORD", "WA_DB_HOSTNAME", "Idle timeout (ms)"):
            assert label in text, (label, text)


async def test_m3_shows_the_ssh_key_path_whole_at_80_columns(tmp_path):
    """Before: the key path beside the remote dir was cut at ``/tmp/wabiz-demo-.../clus``."""
    app = make_app(installed=True, log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_step(app, pilot, 12)
        assert app.screen.name == "step12"
        key = app.screen.query_one("#f-new-ssh-key_file Input", Input)
        path = "/tmp/wabiz-demo-k2j4h1x9/cluster_key"
        key.value = path
        await pilot.pause()
        assert key.region.width > len(path), key.region
        assert path in screen_text(app)


async def test_the_status_sentence_is_on_one_line_at_120_columns(tmp_path):
    """Before: ``✔ Step 1 done.  Press ctrl+n for the`` / ``next step.`` beside a 20-cell bar and time."""
    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.state(1) is StepState.DONE, "step 1 done")
        await pilot.pause(0.2)
        status = app.screen.query_one("#status")
        assert status.region.height == 1, status.region
        assert "Press ctrl+n for the next step." in screen_text(app)
        assert "3/3 hosts · 00:00" in screen_text(app)


async def test_the_hosts_form_at_80_columns_names_every_column_whole(tmp_path):
    """Before: the header read ``EXTERNAL_HO`` and the jump host's input showed only ``e.g.``."""
    from wabiz_tui.tui.screens.hosts import FieldInput

    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "EXTERNAL_HOSTNAME" in text and "Remote dir" in text, text
        jump = next(i for i in app.screen.query(FieldInput) if i.field == "hosts[0].ssh.jump")
        assert jump.content_region.width >= len("(jump hosts) e.g."), jump.region
        assert "(jump hosts) e.g." in text, text
