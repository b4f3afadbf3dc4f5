"""The end of a run (issue 17): what its engine emitted last is shown a slice at a time, the loop turning between
slices, and the run's outcome only after its last event. Not a timing test: the budget is forced to zero."""

from __future__ import annotations

import asyncio

from wabiz_tui.tui import app as app_module
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.messages import RUN_MAX
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane
from wabiz_tui.workflows.events import HostCommand, HostFinished, HostOutput
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.settings import RunSettings

from .fake_engine import sample_profile
from .step_end import lines_at_finish, open_step

STEP = 6
PER_HOST = 4 * RUN_MAX


async def test_a_runs_last_burst_is_shown_in_slices_with_the_loop_turning_and_the_outcome_after_it(tmp_path, monkeypatch):
    monkeypatch.setattr(app_module, "DELIVER_BUDGET", 0.0)  # one batch per slice
    profile = sample_profile()
    hosts = [h.external_hostname for h in profile.hosts]

    def factory(p, *, emit):
        return HaInstall(p, emit=emit, settings=RunSettings(log_dir=tmp_path / "run-logs"))

    app = WabizApp(profile, workflow_factory=factory, log_dir=tmp_path / "saved")
    at_finish = lines_at_finish(app, monkeypatch)
    async with app.run_test(size=(140, 45)) as pilot:
        wf = await open_step(app, pilot, STEP)
        panes = {p.host: p for p in app.step_screen(STEP).query(HostLogPane)}
        seen_by_a_turn: list[int] = []

        async def produce() -> bool:
            for host in hosts:  # the whole burst at once, no turn of the loop in between: it all waits in the inbox
                wf.emit(HostCommand(host, "docker-compose logs"))
                for i in range(PER_HOST):
                    wf.emit(HostOutput(host, f"{host} line {i}"))
                wf.emit(HostFinished(host, True, 0, ""))
            # a key press arriving now: it runs on the next turn of the loop
            asyncio.get_running_loop().call_soon(lambda: seen_by_a_turn.append(sum(len(p.history) for p in panes.values())))
            return True

        app.start_step(STEP, call=produce)
        for _ in range(200):
            await pilot.pause()
            if app.states[STEP] is not StepState.RUNNING:
                break
        total = len(hosts) * (PER_HOST + 1)
        assert app.states[STEP] is StepState.DONE
        assert seen_by_a_turn and seen_by_a_turn[0] < total  # the loop turned before the whole burst was shown
        assert at_finish == {h: PER_HOST + 1 for h in hosts}  # the outcome came after every line
        assert all(panes[h].history[-1] == f"{h} line {PER_HOST - 1}" for h in hosts)
