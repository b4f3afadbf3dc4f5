"""TUI tests against a fake engine with the HaInstall contract (fast; no simulator needed)."""

from __future__ import annotations

import functools

from textual.widgets import DataTable, Input

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.messages import SmsReceived
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane
from wabiz_tui.tui.widgets.step_list import StepList

from .fake_engine import FakeHaInstall, sample_profile
from . import pilot_wait

#: the fake engine finishes at once: a hang shows within 10 s
settle = functools.partial(pilot_wait.settle, timeout=10.0)

SIZE = (140, 45)


def make_app(tmp_path, engines: list) -> WabizApp:
    def factory(profile, *, emit):
        engine = FakeHaInstall(profile, emit=emit)
        engines.append(engine)
        return engine

    return WabizApp(sample_profile(), workflow_factory=factory, log_dir=tmp_path / "logs")



async def test_steps_advance_and_secrets_are_masked(tmp_path):
    engines: list = []
    app = make_app(tmp_path, engines)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.name == "step1"
        await pilot.press("ctrl+n")  # runs step 1
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE
        steplist = app.screen.query_one(StepList)
        assert steplist.state_of(1) is StepState.DONE
        assert steplist.state_of(2) is StepState.PENDING
        pane = app.screen.query_one(HostLogPane)
        pane.flush()
        text = "\n".join(pane.log_widget.lines)
        assert "S3cretDbPass" not in text and "password=********" in text
        await pilot.press("ctrl+n")
        assert app.screen.name == "step2"
        review = str(app.screen.query_one("#review-text").render())
        assert "WA_DB_PASSWORD=********" in review and "S3cretDbPass" not in review
        await pilot.press("ctrl+b")
        assert app.screen.name == "step1"


async def test_db_password_with_bang_is_refused(tmp_path):
    engines: list = []
    app = make_app(tmp_path, engines)
    app.states.update({1: StepState.DONE, 2: StepState.DONE})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.goto_step(3)
        await pilot.pause()
        pw = app.screen.query_one("#db-password", Input)
        assert pw.password  # hidden
        pw.value = ""
        pw.focus()
        await pilot.press(*"bad!pass")
        await pilot.press("ctrl+r")
        await pilot.pause()
        error = str(app.screen.query_one("#f-db-password .field-error").render())
        assert "db.password" in error and "'!'" in error
        assert app.state(3) is StepState.PENDING
        assert not engines or 3 not in engines[0].ran
        pw.value = "GoodPass123"
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(3) is StepState.DONE
        assert app.profile.db.password == "GoodPass123"


async def test_failed_step_shows_host_command_exit_and_retries(tmp_path):
    engines: list = []
    app = make_app(tmp_path, engines)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.ensure_workflow().fail_step[1] = "wa-host-2"
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(1) is StepState.FAILED
        status = str(app.screen.query_one("#status").render())
        assert "wa-host-2" in status and "exit 2" in status and "mkdir -p" in status
        pane = next(p for p in app.screen.query(HostLogPane) if p.host == "wa-host-2")
        assert pane.status == "failed exit 2"
        await pilot.press("ctrl+s")
        saved = list((tmp_path / "logs").glob("step1-*-wa-host-2.log"))
        assert len(saved) == 1 and saved[0] in app.saved_logs
        assert "S3cretDbPass" not in saved[0].read_text()
        await pilot.press("ctrl+r")  # retry
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE


async def test_hosts_form_validation_names_field(tmp_path):
    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = app.screen.query("HostRow").first()
        port = row.query(Input)[2]
        port.value = "abc"
        ver = app.screen.query_one("#f-version Input", Input)
        ver.value = "v2.53"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.state(1) is StepState.PENDING
        assert "hosts[0].ssh.port" in str(row.query_one(".row-error").render())
        assert port.has_class("-error")
        assert "wa_api_version" in str(app.screen.query_one("#f-version .field-error").render())
        await pilot.click("#add-host")
        await pilot.pause()
        assert len(app.screen.query("HostRow")) == 4
        await pilot.click(".remove-host")
        await pilot.pause()
        assert len(app.screen.query("HostRow")) == 3


async def test_registration_and_health(tmp_path):
    engines: list = []
    app = make_app(tmp_path, engines)
    app.states.update({n: StepState.DONE for n in range(1, 7)})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.goto_step(7)
        await pilot.pause()
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 3 + 2  # 3 nodes of the health answer, and the 2 Webapps of the profile
        await pilot.press("ctrl+n")
        assert app.screen.name == "step8"
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert "Demo Shop" in str(app.screen.query_one("#vname").render())
        app.post_message(SmsReceived("393331234567", "123456"))  # what the demo session sends
        await pilot.pause()
        assert "123456" in str(app.screen.query_one("#sms-hint").render())
        await pilot.press(*"123456")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(8) is StepState.DONE
        await pilot.press("ctrl+n")
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert app.screen.name == "step9"
        assert app.last_verdict.healthy
        assert "HA healthy" in str(app.screen.query_one(".health-headline").render())
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=2)
        app.screen.query_one("HealthPanel").show_verdict(app.last_verdict)
        assert table.cursor_row == 2
    assert engines[0].closed


async def test_registration_error_is_a_message_not_a_crash(tmp_path):
    app = make_app(tmp_path, [])
    app.states.update({n: StepState.DONE for n in range(1, 8)})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.goto_step(8)
        await pilot.pause()
        phone = app.screen.query_one("#f-phone Input", Input)
        phone.value = "12a"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "registration.phone_number" in str(app.screen.query_one("#f-phone .field-error").render())
        phone.value = "3330000000"  # the fake answers 1005 (sunset)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(8) is StepState.FAILED
        status = str(app.screen.query_one("#status").render())
        assert "1005" in status and "migrate to Cloud API" in status
        assert app.is_running


async def test_palette_follow_and_theme(tmp_path):
    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Next step", "Previous step", "Run / retry step", "Follow / pause logs", "Save logs",
                       "Toggle dark/light theme", "Go to step 9: Second health check"):
            assert wanted in titles
        pane = app.screen.query_one(HostLogPane)
        await pilot.press("ctrl+l")
        assert not pane.follow and "paused" in pane.border_subtitle
        await pilot.press("ctrl+l")
        assert pane.follow
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is not dark
        await pilot.click("#step-item-3")  # not allowed to skip ahead? navigation is free when idle
        await pilot.pause()
        assert app.screen.name == "step3"


async def test_added_host_gets_a_pane(tmp_path):
    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#add-host")
        await pilot.pause()
        row = app.screen.query("HostRow").last()
        inputs = row.query(Input)
        inputs[0].value = "wa-host-4"
        inputs[1].value = "127.0.0.4"
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE
        assert [p.host for p in app.screen.query(HostLogPane)][-1] == "wa-host-4"
        assert app.profile.hosts[-1].external_hostname == "wa-host-4"
