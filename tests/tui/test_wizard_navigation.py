"""Moving through the wizard (stand-in engine, fast): the Next click, the screens built when first shown,
the wizard at 80×24."""

from __future__ import annotations

import sys

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.steps import StepState

from .fake_engine import FakeHaInstall, sample_profile
from .test_host_keys import until
from .test_wizard_steps import SIZE, settle


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


async def test_wizard_at_80x24_walks_step_1_with_next_visible(tmp_path):
    app = WabizApp(sample_profile(), workflow_factory=lambda p, emit: FakeHaInstall(p, emit=emit),
                   log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def visible(selector: str) -> bool:
            widget = app.screen.query_one(selector)
            region = widget.region
            return (widget.display and region.width > 0 and region.height > 0
                    and region.right <= 80 and region.bottom <= 24 - 1)  # above the footer

        assert visible("#next") and visible("#run") and visible("#back")
        # the form and the host panes are reachable (the body scrolls)
        assert visible("#f-name")
        assert app.screen.query_one("#host-grid").region.height > 0
        await pilot.press("ctrl+n")  # runs step 1
        await until(pilot, lambda: app.state(1) is StepState.DONE, "step 1")
        assert visible("#next")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.screen.name == "step2", "step 2")
        assert visible("#next")
        footer = app.screen.query_one("Footer")
        assert "Quit" in " ".join(str(k.render()) for k in footer.query("FooterKey"))
