"""Before its first compose step each host gets ONE probe command (compose flavour + docker access),
started in the background during the steps that run no docker (issue 8, fan-out): counted on the
simulated hosts' shells over real SSH. Recording the command lines the simulator's shell receives is
observation only; nothing is replaced."""

from __future__ import annotations

from tests.support import settings_for
from tests.engine.test_docker_sudo import DENIED, with_sudo_mode
from wabiz_tui.sim import shell as sim_shell
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.ha_install import HaInstall


def record_commands(monkeypatch) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    run = sim_shell.Shell.run

    async def recording(self, line: str) -> int:
        seen.append((self.host.name, line))
        return await run(self, line)

    monkeypatch.setattr(sim_shell.Shell, "run", recording)
    return seen


async def steps_1_to_5(demo, tmp_path, profile) -> None:
    wf = HaInstall(profile, emit=discard, settings=settings_for(demo, tmp_path, preflight=False))
    try:
        for number in range(1, 6):
            assert await wf.run_step(number), number
    finally:
        await wf.close()


async def test_one_probe_per_host_before_its_first_compose_command(demo, tmp_path, monkeypatch):
    seen = record_commands(monkeypatch)
    demo.cluster.set_docker_fault(DENIED, "socket_denied")
    await steps_1_to_5(demo, tmp_path, with_sudo_mode(demo.profile, "auto"))
    for host in demo.profile.hosts:
        lines = [line for name, line in seen if name == host.external_hostname]
        probes = [i for i, line in enumerate(lines) if "@wabiz-probe" in line]
        assert len(probes) == 1, lines
        probe = lines[probes[0]]
        assert "docker compose version" in probe and "docker info" in probe
        first_compose = next(i for i, line in enumerate(lines) if " up -d " in line)
        assert probes[0] < first_compose
        docker = [line for line in lines if "docker" in line and "@wabiz-probe" not in line]
        if host.external_hostname == DENIED:  # the denied host went through sudo
            assert all(line.startswith("sudo -n ") for line in docker), docker
        else:
            assert not [line for line in docker if "sudo" in line], docker
