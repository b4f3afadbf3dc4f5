"""Health while the cluster starts: step 7 says how long it has waited, and `health` inside the grace after a
start reads nodes answering 1011 as starting, not failing."""

from __future__ import annotations

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.workflows.events import Message
from wabiz_tui.workflows.ha_install import HaInstall


async def test_step_7_is_never_silent_while_it_waits(demo, tmp_path, monkeypatch):
    from wabiz_tui.workflows import base

    monkeypatch.setattr(base, "PROGRESS_EVERY", 0.3)
    events = Recorder()
    # nothing installed: the Webapp does not answer, step 7 waits until its timeout
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, health_timeout=1.5))
    try:
        assert not await wf.step_health()
    finally:
        await wf.close()
    waiting = [e.text for e in events.of(Message) if e.text.startswith("step 7: still waiting")]
    assert len(waiting) >= 2 and " s of 2 s: " in waiting[0], events.text()


async def test_health_just_after_the_start_says_starting_within_the_grace(demo, tmp_path, capsys):
    import json

    from wabiz_tui.config.runstate import read_run_state
    from wabiz_tui.cli.health import run_health

    demo.cluster.speed = 1.0  # nodes answer 1011 for the simulator's whole start delay
    wf = HaInstall(demo.profile, emit=Recorder(), settings=settings_for(demo, tmp_path))
    try:
        for number in range(1, 6):
            assert await wf.run_step(number)
    finally:
        await wf.close()
    assert isinstance((read_run_state(demo.profile) or {}).get("started_at"), float)
    # first install (unregistered), and a registered cluster started again: both inside the grace
    for profile in (demo.profile, demo.profile.with_changes(installed=True)):
        capsys.readouterr()
        await run_health(profile, as_json=True, watch=False, interval=1.0)
        result = json.loads(capsys.readouterr().out.splitlines()[0])
        nodes = result["verdict"]["nodes"]
        assert nodes and all(n["reason"] == "starting: Service not ready (1011)" and n["level"] == "waiting" for n in nodes), nodes
        assert result["verdict"]["level"] == "waiting", result["verdict"]
