"""Item 7 of issue 13 on real parts: the dbupgrade container is an orphan of the main compose file; uninstall
removes it too and reports whatever container of the directory remains."""

from __future__ import annotations

from tests.engine.test_ha_install import Recorder
from tests.realdocker.conftest import VERSION, installing
from wabiz_tui.domain.commands import WORKING_DIR_LABEL
from wabiz_tui.workflows.events import HostOutput
from wabiz_tui.workflows.uninstall import Uninstall
from wabiz_tui.workflows.upgrade import Upgrade


def containers(host) -> list[str]:
    return host.docker.docker("ps", "-a", "--filter", f"label={WORKING_DIR_LABEL}={host.remote_dir}",
                              "--format", "{{.Names}}").stdout.split()


async def install_and_dbupgrade(host) -> list[str]:
    async with installing(host):
        pass
    events = Recorder()
    up = Upgrade(host.profile, emit=events, settings=host.settings, target=VERSION)
    try:
        assert await up.dbupgrade("wa-real-1"), events.text()
    finally:
        await up.close()
    assert "biz_dbupgrade_1" in containers(host)
    return [e.line for e in events.of(HostOutput)]


async def test_uninstall_removes_the_dbupgrade_orphan(docker_host):
    lines = await install_and_dbupgrade(docker_host)
    assert any(line.startswith("WARNING: Found orphan containers (") and "--remove-orphans" in line for line in lines), lines
    events = Recorder()
    wf = Uninstall(docker_host.profile, emit=events, settings=docker_host.settings)
    try:
        assert await wf.run("real"), events.text()
    finally:
        await wf.close()
    assert containers(docker_host) == []
    assert wf.outcomes["wa-real-1"] == "removed, volumes kept"


async def test_uninstall_reports_what_remains(docker_host):
    await install_and_dbupgrade(docker_host)
    # a container compose does not own (no project label) but made from the same directory
    docker_host.docker.docker("create", "--name", "stray", "--label", f"{WORKING_DIR_LABEL}={docker_host.remote_dir}",
                              f"docker.whatsapp.biz/web:v{VERSION}", "true")
    wf = Uninstall(docker_host.profile, emit=Recorder(), settings=docker_host.settings)
    try:
        assert not await wf.run("real")
    finally:
        await wf.close()
    assert wf.outcomes["wa-real-1"].startswith("FAILED: still there: stray Created")
    assert containers(docker_host) == ["stray"]
