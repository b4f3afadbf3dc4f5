"""Review of the merge: the content-checked resume (issue 14.1) and the crash-loop restart on retry (issue 13.9)
together. A retry after a crash loop must restart the container in step 5 even when the step-5 re-check catches
it in a moment between two crashes (one sample reads ``running``)."""

from __future__ import annotations

import asyncio

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.workflows.events import HostOutput
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.journal import Journal

CRASH = ["E 2026-11-30 10:00:00 UTC 140 main.cpp:97] Exiting: database connection failed"]


async def test_retry_after_a_crash_loop_restarts_it_in_step_5_even_when_a_sample_reads_running(demo, tmp_path,
                                                                                             monkeypatch):
    journal = Journal(tmp_path / "install.json")
    demo.cluster.set_start_fault("wa-core-2", "wacore", CRASH)
    wf = HaInstall(demo.profile, emit=Recorder(), settings=settings_for(demo, tmp_path, journal=journal))
    try:
        for n in range(1, 6):
            assert await wf.run_step(n)
        await asyncio.sleep(0.3)
        assert not await wf.run_step(6)  # the crash loop is seen
    finally:
        await wf.close()
    demo.cluster.set_start_fault("wa-core-2", "wacore", None)  # the operator fixed the cause

    async def between_two_crashes(self, host, service):  # one sample, taken while the looping node runs
        return "running"

    monkeypatch.setattr(HaInstall, "service_state", between_two_crashes)
    events = Recorder()
    again = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, journal=Journal(journal.path)))
    try:
        assert await again.run_step(5)
    finally:
        await again.close()
    lines = [e.line for e in events.of(HostOutput) if e.host == "wa-core-2"]
    assert not any("already done in an earlier run" in line for line in lines), lines
    assert any("restart back-off" in line and "restarting it" in line for line in lines), lines
    restarted_elsewhere = [e for e in events.of(HostOutput) if e.host != "wa-core-2" and "restarting it" in e.line]
    assert not restarted_elsewhere
