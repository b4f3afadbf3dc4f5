"""Field reports (``docs/field-reports.md``) the lab cannot hold, reproduced in the simulator: compose 1.29 on a
newer Docker Engine (FR40: the lab's only engine is dockerd 20.10), a host clock far off (FR41: lab hosts share
the machine's clock), ``/var/lib/docker`` full (FR42: the lab's Docker data roots sit on the machine's root
filesystem). Each test asserts what the product, or the host's own programs, say today."""

from __future__ import annotations

import pytest

from sim_helpers import compose_cmd, connect, upload
from tests.engine.conftest import demo  # noqa: F401 - the started demo session fixture
from tests.support import settings_for
from wabiz_tui.domain.preflight import FAILURE
from wabiz_tui.workflows.doctor import Doctor
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.preflight import Preflight


async def preflight(demo, tmp_path) -> dict:
    wf = Preflight(demo.profile, emit=lambda *_: None, settings=settings_for(demo, tmp_path))
    try:
        await wf.run()
    finally:
        await wf.close()
    return {(c.host, c.name): c for c in wf.results}


async def doctor_cause(demo, tmp_path, key: str):
    wf = Doctor(demo.profile, emit=discard, settings=settings_for(demo, tmp_path), window=0.2)
    try:
        report = await wf.run()
    finally:
        await wf.close()
    mine = [c for c in report.causes if c.key == key]
    assert mine, [(c.key, c.title) for c in report.causes]
    return mine[0]


@pytest.mark.parametrize("engine, fails", [("24.0.7", False), ("26.1.4", True)])
async def test_fr40_compose_v1_recreate_on_docker_engine_25_or_later(cluster, compose_text, db_env_text, engine, fails):
    cluster.set_engine_version("wa-core-1", engine)
    await upload(cluster, "wa-core-1", compose_text, db_env_text)
    async with await connect(cluster, "wa-core-1") as conn:
        assert engine in (await conn.run("docker version")).stdout
        r = await conn.run(compose_cmd("wa-core-1", "up -d wacore"))
        assert r.exit_status == 0, r.stderr  # creating is fine on any engine
        r = await conn.run(compose_cmd("wa-core-1", "up -d wacore", version="2.45.2"))  # an upgrade recreates
        if not fails:
            assert r.exit_status == 0 and r.stderr.endswith("Recreating biz_wacore_1 ... done\r\n")
            return
        assert r.exit_status == 1
        assert "ERROR: for biz_wacore_1  'ContainerConfig'\n\nERROR: for wacore  'ContainerConfig'\n" in r.stderr
        assert r.stderr.rstrip().endswith("KeyError: 'ContainerConfig'")
        # compose stopped the old container and renamed it before failing; the next up fails on the renamed one
        [info] = cluster.containers("wa-core-1")
        assert info.state == "exited" and info.name.endswith("_biz_wacore_1") and info.name != "biz_wacore_1"
        again = await conn.run(compose_cmd("wa-core-1", "up -d wacore", version="2.45.2"))
        assert again.exit_status == 1 and f"ERROR: for {info.name}  'ContainerConfig'" in again.stderr


async def test_fr41_host_clock_an_hour_off_is_a_preflight_failure(demo, tmp_path):
    demo.cluster.set_clock_offset("wa-core-2", -3600)
    results = await preflight(demo, tmp_path)
    clock = results[("wa-core-2", "clock")]
    assert clock.level == FAILURE and "s off: synchronise it" in clock.reason, clock
    assert results[("wa-core-1", "clock")].level != FAILURE
    cause = await doctor_cause(demo, tmp_path, "CLOCK_SKEW")
    skew = float(cause.title.split("clock is ", 1)[1].split(" s off")[0])
    assert cause.hosts == ("wa-core-2",) and abs(skew + 3600) < 5 and "NTP" in cause.next_action


async def test_fr42_docker_data_root_full_fails_the_pull_and_the_preflight(demo, tmp_path):
    demo.cluster.set_disk_free("wa-core-2", 10 * 1024)
    results = await preflight(demo, tmp_path)
    disk = results[("wa-core-2", "disk /var/lib/docker")]
    assert disk.level == FAILURE, disk
    async with await connect(demo.cluster, "wa-core-2") as conn:
        r = await conn.run("docker pull docker.whatsapp.biz/coreapp:v2.41.2")
    assert r.exit_status == 1 and r.stderr.rstrip().endswith("no space left on device")
    cause = await doctor_cause(demo, tmp_path, "DISK_FULL")
    assert cause.hosts == ("wa-core-2",) and "/var/lib/docker" in cause.title and "free space" in cause.next_action
