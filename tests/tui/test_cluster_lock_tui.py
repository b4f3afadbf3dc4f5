"""The TUI takes the cluster's lock before its first change and refuses while another process holds it
(issue 14.2): the same lock file as the headless commands, so a CLI ``install`` and the wizard exclude
each other."""

from __future__ import annotations

import functools

from wabiz_tui.config.lock import ClusterBusy, ClusterLock
from wabiz_tui.config.paths import app_paths
from wabiz_tui.tui.steps import StepState

from . import pilot_wait
from .fake_engine import sample_profile
from .test_app_fake import SIZE, make_app

settle = functools.partial(pilot_wait.settle, timeout=10.0)


async def test_wizard_step_refused_while_another_process_holds_the_cluster(tmp_path):
    engines: list = []
    app = make_app(tmp_path, engines)
    other = ClusterLock.for_profile(app_paths().locks, sample_profile()).acquire("install")  # another process's lock
    notes: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        original = app.notify
        app.notify = lambda message, **kw: (notes.append(str(message)), original(message, **kw))[1]
        await pilot.pause()
        await pilot.press("ctrl+n")  # would run step 1
        await settle(app, pilot)
        assert app.state(1) is not StepState.DONE and not engines
        assert any("Refused: cluster" in n and "install (pid" in n for n in notes), notes
        other.release()
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE
        # now the app holds the cluster: a headless command is refused, naming the wizard
        try:
            ClusterLock.for_profile(app_paths().locks, sample_profile()).acquire("install")
        except ClusterBusy as exc:
            assert "wizard (step)" in str(exc)
        else:
            raise AssertionError("the wizard does not hold the cluster's lock")
    ClusterLock.for_profile(app_paths().locks, sample_profile()).acquire("install").release()  # freed at exit
