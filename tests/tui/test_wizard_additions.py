"""Fast TUI tests (stand-in engine): the Next click, the jump host field, the passphrase dialog,
the lazily built screens and the streaming fast paths of the host panes."""

from __future__ import annotations

import sys

from textual.widgets import Input

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.confirm import PasswordScreen
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import MAX_LINES, HostLogPane

from .fake_engine import FakeHaInstall, sample_profile
from .test_app_fake import SIZE, settle


def make_app(tmp_path, engines: list, **kwargs) -> WabizApp:
    def factory(profile, *, emit):
        engine = FakeHaInstall(profile, emit=emit)
        engines.append(engine)
        return engine

    return WabizApp(sample_profile(), workflow_factory=factory, log_dir=tmp_path / "logs", **kwargs)


async def test_clicking_next_on_a_done_step_moves_without_running_the_next_one(tmp_path):
    engines: list = []
    app = make_app(tmp_path, engines)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#run")
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE
        await pilot.click("#next")  # one click: show step 2, do not run it
        await settle(app, pilot)
        assert app.screen.name == "step2" and app.current == 2
        assert app.state(2) is StepState.PENDING and engines[0].ran == [1]
        await pilot.click("#back")
        await settle(app, pilot)
        assert app.screen.name == "step1"
        await pilot.click("#next", times=2)  # a double click lands on step 2, still not run
        await settle(app, pilot)
        assert app.screen.name == "step2" and app.state(2) is StepState.PENDING and engines[0].ran == [1]
        await pilot.click("#next")  # on step 2, Next runs it
        await settle(app, pilot)
        assert app.state(2) is StepState.DONE and engines[0].ran == [1, 2]


async def test_jump_host_field_is_validated_and_kept(tmp_path):
    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = app.screen.query("HostRow").first()
        jump = next(i for i in row.query(Input) if i.field == "hosts[0].ssh.jump")
        assert jump.placeholder.startswith("[user@]host[:port]")
        jump.value = "bad host!"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.state(1) is StepState.PENDING
        assert jump.has_class("-error")
        assert "hosts[0].ssh.jump" in str(row.query_one(".row-error").render())
        jump.value = "ops@bastion.example.net:2222,wa@inner"
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE
        assert not jump.has_class("-error")
        assert app.profile.hosts[0].ssh.jump == "ops@bastion.example.net:2222,wa@inner"


async def test_passphrase_dialog_returns_the_typed_value_and_never_shows_it(tmp_path):
    app = make_app(tmp_path, [])
    answers: list[str] = []

    async def ask() -> None:
        answers.append(await app.ask_passphrase("/keys/id_ed25519"))

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.run_worker(ask(), exit_on_error=False)
        await pilot.pause()
        assert isinstance(app.screen, PasswordScreen)
        assert "Passphrase for /keys/id_ed25519" in str(app.screen.query_one("#confirm-question").render())
        field = app.screen.query_one("#password-input", Input)
        assert field.password and field.has_focus
        await pilot.press(*"s3cret-pass")
        assert field.value == "s3cret-pass" and "s3cret-pass" not in app.export_screenshot()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert answers == ["s3cret-pass"]
        app.run_worker(ask(), exit_on_error=False)
        await pilot.pause()
        await pilot.press("escape")  # no passphrase: "" (the SSH layer then says the key is encrypted)
        await app.workers.wait_for_complete()
        assert answers == ["s3cret-pass", ""]
        assert not isinstance(app.screen, PasswordScreen)


async def test_screens_are_built_when_first_shown(tmp_path):
    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert sorted(app._screens) == [1]  # only the step on screen
        assert callable(app._installed_screens["upgrade"]) and callable(app._installed_screens["monitor"])
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen.name == "upgrade"
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen.name == "step1"


def test_the_app_module_does_not_import_the_engines():
    import subprocess

    code = ("import sys, wabiz_tui.tui.app\n"
            "print(','.join(m for m in ('asyncssh', 'httpx', 'wabiz_tui.workflows.base') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


async def test_pane_lookup_is_a_dict_and_flush_hands_the_log_only_what_it_keeps(tmp_path):
    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        host = app.profile.hosts[0].external_hostname
        pane = screen.pane_for(host)
        assert isinstance(pane, HostLogPane) and pane.host == host
        calls = []
        original = screen.query
        screen.query = lambda *a, **k: calls.append(a) or original(*a, **k)  # type: ignore[method-assign]
        assert screen.pane_for(host) is pane and screen.pane_for(app.profile.hosts[1].external_hostname)
        assert calls == []  # no DOM query per line
        written: list[int] = []
        widget = pane.log_widget
        orig_write = widget.write_lines
        widget.write_lines = lambda lines, scroll_end=None: written.append(len(list(lines))) or orig_write(  # type: ignore[method-assign]
            [], scroll_end=scroll_end)
        pane.write_many(f"line {i}" for i in range(MAX_LINES * 3))
        pane.flush()
        assert written == [MAX_LINES]
        assert len(pane.history) == MAX_LINES * 3  # the saved history keeps more than the widget
