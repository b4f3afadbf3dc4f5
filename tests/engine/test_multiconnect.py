"""The 4 Multiconnect steps and the failover drill against the simulator, headless."""

from __future__ import annotations

import asyncio
import dataclasses
import sys

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.domain.health import Level
from wabiz_tui.workflows.drill import FailoverDrill
from wabiz_tui.workflows.events import Finding, HostCommand, StepFinished
from wabiz_tui.workflows.multiconnect import Multiconnect


async def test_four_steps_then_drill(installed, tmp_path):
    events = Recorder()
    settings = settings_for(installed, tmp_path, profile_path=installed.profile_path)
    mc = Multiconnect(installed.profile, emit=events, settings=settings)
    try:
        assert await mc.set_shards(2, confirmed=True), events.text()
        standby = [e for e in events if isinstance(e, Finding) and "no standby" in e.title]
        # the wizard calls the new-Coreapp step M3 (issue 17.6: the hint said "step 3")
        assert standby and all("step M3" in e.title and "step M3" in e.remedy for e in standby)
        assert await mc.health_served()
        assert mc.last_verdict.shards_served == 2 and mc.last_verdict.level is Level.WARNING
        assert await mc.add_coreapp(installed.spare_hosts[0])
        assert await mc.health_with_standby()
        v = mc.last_verdict
        assert v.level is Level.OK and v.shards_served == 2 and v.standby == 1
        assert v.headline.startswith("Multiconnect (2 shards) healthy: 2/2 shards connected, 1 standby")
        profile = mc.profile
    finally:
        await mc.close()
    assert profile.shards == 2 and profile.host("wa-core-3")
    up = [e.command for e in events.of(HostCommand) if e.host == "wa-core-3"]
    assert up[-1].endswith("up -d wacore") and "EXTERNAL_HOSTNAME=wa-core-3" in up[-1]
    from wabiz_tui.config.profile import load_profile
    assert load_profile(installed.profile_path).shards == 2

    drill = FailoverDrill(profile, emit=events, settings=settings)
    try:
        assert await drill.run_all(), events.text()
    finally:
        await drill.close()
    assert drill.takeover_seconds is not None and drill.takeover_seconds < 10
    assert drill.last_verdict.level is Level.OK


async def test_shard_values_are_refused_before_the_api(installed, tmp_path):
    events = Recorder()
    mc = Multiconnect(installed.profile, emit=events, settings=settings_for(installed, tmp_path))
    try:
        assert (await mc.check_shards(3)).errors[0].startswith("shards: 3 is not allowed")
        assert "only 2 run" in (await mc.check_shards(4)).errors[0]
        assert not await mc.set_shards(2, confirmed=False)
        assert "confirmation" in events.of(StepFinished)[-1].summary
        bad = dataclasses.replace(installed.spare_hosts[0], external_hostname="wa-core-1")
        assert not await mc.add_coreapp(bad)
        assert "already a host" in events.of(StepFinished)[-1].summary
    finally:
        await mc.close()
    assert mc.profile.shards == 1


async def test_headless_demo_multiconnect_ends_healthy_with_a_measured_takeover(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wabiz_tui", "demo", "--headless", "--multiconnect", "--speed", "0.05",
        "--workdir", str(tmp_path / "w"), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    text = out.decode()
    assert proc.returncode == 0, text + err.decode()
    assert "multiconnect step 4 done: Multiconnect (2 shards) healthy" in text
    assert "takeover: a standby served the shard of wa-core-" in text
    assert text.strip().splitlines()[-1].startswith("verdict: Multiconnect (2 shards) healthy: 2/2 shards connected")


async def test_set_shards_retries_a_403_with_back_off_then_gives_up(installed, tmp_path):
    from wabiz_tui.workflows.events import Message
    from wabiz_tui.workflows.multiconnect import SHARD_ATTEMPTS

    settings = settings_for(installed, tmp_path, retry_backoff=0.01)
    installed.cluster.set_shards_busy(SHARD_ATTEMPTS + 1)
    events = Recorder()
    mc = Multiconnect(installed.profile, emit=events, settings=settings)
    try:
        assert not await mc.set_shards(2, confirmed=True)
    finally:
        await mc.close()
    assert len([e for e in events.of(Message) if "answered 403" in e.text]) == SHARD_ATTEMPTS - 1
    assert "403" in events.of(StepFinished)[-1].summary
    installed.cluster.set_shards_busy(2)
    events = Recorder()
    mc = Multiconnect(installed.profile, emit=events, settings=settings)
    try:
        assert await mc.set_shards(2, confirmed=True)
    finally:
        await mc.close()
    retries = [e.text for e in events.of(Message) if "answered 403" in e.text]
    assert len(retries) == 2 and "retry 1 in" in retries[0]
    events = Recorder()
    mc = Multiconnect(installed.profile.with_changes(shards=2), emit=events, settings=settings)
    try:
        assert await mc.set_shards(2, confirmed=True)  # already 2: no second POST
    finally:
        await mc.close()
    assert "already has 2 shard(s)" in events.of(StepFinished)[-1].summary
