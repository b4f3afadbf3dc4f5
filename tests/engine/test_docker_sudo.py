"""Docker behind a denied socket (issue "Works on real hosts", item 4): with ``ssh.docker_sudo: auto``
and passwordless sudo every docker/compose command goes through ``sudo -n`` and the install works;
without sudo allowed, or when sudo wants a password, the host fails with a message saying which and how
to fix it. Against the simulator over real SSH (its ``sudo`` prints sudo's own refusal)."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.domain.preflight import FAILURE, OK
from wabiz_tui.workflows.events import HostCommand, HostFinished, HostOutput, StepFinished
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.preflight import Preflight

DENIED = "wa-core-1"


def with_sudo_mode(profile, mode: str, host: str = DENIED):
    hosts = tuple(dataclasses.replace(h, ssh=dataclasses.replace(h.ssh, docker_sudo=mode)) if h.external_hostname == host else h
                  for h in profile.hosts)
    return profile.with_changes(hosts=hosts)


async def install(demo, tmp_path, profile):
    events = Recorder()
    wf = HaInstall(profile, emit=events, settings=settings_for(demo, tmp_path, preflight=False))
    try:
        async def code(_req):
            return demo.cluster.sms_outbox[-1][1]
        ok = await wf.run_all(code)
    finally:
        await wf.close()
    return ok, events


async def test_install_on_a_denied_socket_runs_docker_through_sudo(demo, tmp_path):
    demo.cluster.set_docker_fault(DENIED, "socket_denied")
    ok, events = await install(demo, tmp_path, with_sudo_mode(demo.profile, "auto"))
    assert ok, events.text()
    commands = [(e.host, e.command) for e in events.of(HostCommand)]
    docker = [c for h, c in commands if h == DENIED and ("docker compose" in c or c.startswith(("docker", "sudo")))]
    # the host probe (compose flavour, docker as the login user: denied, then through sudo) is one quiet
    # command in the background: not announced; every docker command announced then goes through sudo
    assert not [c for h, c in commands if "@wabiz-probe" in c or "docker info" in c], commands
    assert len(docker) >= 4 and all(c.startswith("sudo -n ") for c in docker), docker
    notes = [e.line for e in events.of(HostOutput) if e.host == DENIED and "runs through sudo" in e.line]
    assert notes == ["the Docker socket is denied to wa: docker runs through sudo -n (hosts[3].ssh.docker_sudo: auto)"], notes
    assert any(c.startswith("sudo -n EXTERNAL_HOSTNAME=wa-core-1 WA_API_VERSION=") and c.endswith("up -d wacore") for c in docker)
    # the other hosts are not touched by sudo
    assert not [c for h, c in commands if h != DENIED and "sudo" in c]
    assert any(c.state == "running" and c.service == "wacore" for c in demo.cluster.containers(DENIED))


@pytest.mark.parametrize("mode,sudo,expect,fix", [
    ("never", "passwordless", "the profile does not allow sudo (hosts[3].ssh.docker_sudo: never)", "docker_sudo: auto"),
    ("auto", "password", "sudo -n needs a password on this host (sudo: a password is required)", "NOPASSWD"),
    ("auto", "absent", "sudo is not installed", "docker group"),
    ("always", "password", "docker_sudo is always, but sudo -n needs a password", "NOPASSWD"),
])
async def test_denied_socket_without_usable_sudo_says_which_and_how_to_fix(demo, tmp_path, mode, sudo, expect, fix):
    assert demo.profile.hosts[3].external_hostname == DENIED
    demo.cluster.set_docker_fault(DENIED, "socket_denied")
    demo.cluster.set_sudo(DENIED, sudo)
    ok, events = await install(demo, tmp_path, with_sudo_mode(demo.profile, mode))
    assert not ok
    failed = [e for e in events.of(HostFinished) if not e.ok]
    assert [e.host for e in failed] == [DENIED], failed
    assert expect in failed[0].error, failed[0].error
    assert ("permission denied on the Docker socket" in failed[0].error) == (mode != "always")
    step5 = next(e for e in events.of(StepFinished) if e.number == 5)
    assert not step5.ok and expect in step5.summary and fix in step5.next_action, step5
    assert "docker group" in step5.next_action


async def test_preflight_reports_docker_through_sudo_and_sudo_refusals(demo, tmp_path):
    demo.cluster.set_docker_fault(DENIED, "socket_denied")
    profile = with_sudo_mode(demo.profile, "auto")
    wf = Preflight(profile, emit=Recorder(), settings=settings_for(demo, tmp_path))
    try:
        await wf.run()
    finally:
        await wf.close()
    results = {(c.host, c.name): c for c in wf.results}
    assert results[(DENIED, "docker")].level == OK and "through sudo -n" in results[(DENIED, "docker")].reason
    assert results[(DENIED, "image")].level == OK  # pulled through sudo
    demo.cluster.set_sudo(DENIED, "password")
    wf = Preflight(profile, emit=Recorder(), settings=settings_for(demo, tmp_path))
    try:
        assert not await wf.run()
    finally:
        await wf.close()
    docker = {(c.host, c.name): c for c in wf.results}[(DENIED, "docker")]
    assert docker.level == FAILURE and "sudo -n needs a password" in docker.reason and "NOPASSWD" in docker.reason


async def test_headless_install_says_why_then_succeeds_once_sudo_is_allowed(demo):
    from tests.engine.test_install_resume import finish, start
    from wabiz_tui.config.profile import save_profile

    demo.cluster.set_docker_fault(DENIED, "socket_denied")
    save_profile(demo.profile, demo.profile_path)  # docker_sudo: never (the default)
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "--skip-preflight"))
    assert code == 1, out + err
    line = next(line for line in out.splitlines() if line.startswith(f"  step 5 {DENIED}: FAILED"))
    assert "permission denied on the Docker socket for the SSH user wa, and the profile does not allow sudo" in line
    assert "sudo usermod -aG docker wa" in out and "hosts[3].ssh.docker_sudo: auto" in out
    assert "Traceback" not in out + err
    assert f"a retry runs the step again on {DENIED} only" in out
    save_profile(with_sudo_mode(demo.profile, "auto"), demo.profile_path)
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "--skip-preflight", "-v"))
    assert code == 5, out + err  # step 5 went through (sudo -n); the run now waits for the registration code
    assert f"step 5 {DENIED}: ok" in out
    # only the failed host ran step 5 again: the others were re-checked on their host and skipped
    step5 = [line for line in out.splitlines() if line.startswith("  step 5 ")]
    for other in ("wa-web-1", "wa-master-1", "wa-master-2", "wa-core-2"):
        assert f"  step 5 {other} | already done in an earlier run (re-checked on the host): skipped" in step5, step5
    assert any(line.startswith(f"  step 5 {DENIED} | ") and "wacore" in line and "sudo -n" not in line for line in step5)
