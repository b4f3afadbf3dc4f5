"""Item 2 of issue 13 on real parts: ``logs --since`` on a compose v1 host gives real logs."""

from __future__ import annotations

import subprocess

from tests.engine.test_ha_install import Recorder
from tests.realdocker.conftest import DOCKER, installing
from wabiz_tui.workflows.events import StepFinished
from wabiz_tui.workflows.logs import LogCollection, LogRequest


async def start(host):
    async with installing(host):
        pass


async def test_real_compose_v1_has_no_logs_since(docker_host):
    await start(docker_host)
    r = docker_host.compose("logs", "--since", "10m")
    assert r.returncode == 0 and r.stdout.startswith("View output from containers.\n\nUsage: logs")


async def test_logs_since_on_a_real_v1_host_holds_the_containers_logs(docker_host, tmp_path):
    await start(docker_host)
    events = Recorder()
    wf = LogCollection(docker_host.profile, emit=events, settings=docker_host.settings)
    try:
        assert await wf.collect(LogRequest(since="10m"), tmp_path / "out"), events.text()
    finally:
        await wf.close()
    lines = wf.files["wa-real-1"].read_text().splitlines()
    assert "Usage:" not in "\n".join(lines)
    for service in ("waweb", "master", "wacore"):
        assert f"{service}_1".ljust(9) + " | stand-in node ready" in lines, lines
    assert "done on 1 host" in events.of(StepFinished)[-1].summary
    assert subprocess.run([DOCKER, "version"], env=docker_host.docker.env(), capture_output=True).returncode == 0
