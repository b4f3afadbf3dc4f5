"""Conformance (issue 13, design.md §9): the same compose commands on a real host (OpenSSH + dockerd 20.10 +
docker-compose 1.29.2) and on a simulated host, on a terminal as the product runs them; the rendered output
must have the same shape once ids, times and the nodes' own log words are normalised. When this fails, the
simulator is wrong: correct it, with a note of the real output it copies."""

from __future__ import annotations

import re

import asyncssh

from tests.realdocker.conftest import VERSION
from wabiz_tui.domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env
from wabiz_tui.domain.text import LineSplitter
from wabiz_tui.sim import SimulatedCluster
from wabiz_tui.sim.cluster import SimHost

#: The sequence: (compose arguments, what the step is about).
SEQUENCE = (
    ("up -d wacore", "create on a PTY"),
    ("up -d wacore", "up-to-date"),
    ("ps -q", "64-hex ids"),
    ("ps", "table"),
    ("logs --no-color --tail 1 wacore", "Attaching to + prefixes"),
    ("logs --since 10m", "v1 has no --since: usage"),
    ("docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}' biz_wacore_1", "state sample"),
    ("docker kill biz_wacore_1", "docker kill"),
    ("docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}' biz_wacore_1", "killed: no restart"),
    ("docker ps -a --format '{{.Names}} {{.Status}}'", "status column"),
    ("up -d wacore", "start the exited container"),
    ("rm -s -f wacore", "stop and remove"),
    ("down --remove-orphans", "network"),
)


def normalise(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        line = re.sub(r"\b[0-9a-f]{64}\b", "<ID>", line.rstrip())
        line = re.sub(r"^(\w+_\d+\s+\| ).*", r"\1<LOG>", line)  # the nodes' own words differ (stand-in vs simulator)
        line = re.sub(r"^(biz_\w+_1)\s+(/opt/whatsapp/bin/wait_on_ \.\.\.)\s+(\w+)\s+.*", r"\1 \2 \3 <PORTS>", line)
        line = re.sub(r"^(\s+Name\s+Command\s+State\s+Ports)\s*$", "<HEADER>", line)
        line = re.sub(r"^-+$", "<RULE>", line)
        line = re.sub(r"(Less than a second|\d+ seconds?) ago$", "<AGO> ago", line)
        out.append(line)
    return out


async def run_all(conn: asyncssh.SSHClientConnection, directory: str, host: str, sequence=SEQUENCE,
                  version: str = VERSION, before=None) -> list[tuple[str, int, list[str]]]:
    """Run ``sequence``'s commands on a terminal over ``conn`` (compose ones with ``EXTERNAL_HOSTNAME``/
    ``WA_API_VERSION`` unless the arguments start with ``env -u``/``docker ``); returns (args, exit status,
    normalised rendered lines) per command. ``before(args)``: an awaitable run first (faults, setup)."""
    results = []
    for args, _ in sequence:
        if before is not None:
            await before(args)
        unset = args.startswith("env -u WA_API_VERSION ")
        rest = args.removeprefix("env -u WA_API_VERSION ")
        command = args if args.startswith("docker ") else (
            f"EXTERNAL_HOSTNAME={host} {'' if unset else f'WA_API_VERSION={version} '}docker-compose "
            f"-f {directory}/{COMPOSE_FILE} --project-directory {directory} {rest}")
        r = await conn.run(command, term_type="xterm", encoding=None)
        splitter = LineSplitter()
        lines = splitter.feed(r.stdout) + splitter.close()
        results.append((args, r.exit_status, normalise(lines)))
    return results


async def run_on_simulated_host(tmp_path, profile, host: str, role: str, version: str, sequence=SEQUENCE, *,
                                images=(), before=None) -> list[tuple[str, int, list[str]]]:
    """:func:`run_all` on one simulated host ``host`` (role ``role``) holding ``images``, with the profile's compose
    file and db.env in ``/home/wa/biz``; ``before(cluster, args)`` sets the simulator's faults per command."""
    sim = SimulatedCluster(tmp_path / "sim", (SimHost(host, (role,)),), speed=0.05)
    await sim.start()
    try:
        for image in images:
            sim.load_image(host, image)
        sim.set_database(profile.db.hostname, profile.db.port, username=profile.db.username, password=profile.db.password)
        async with asyncssh.connect("127.0.0.1", sim.ssh_port(host), username=sim.ssh_user,
                                    client_keys=[str(sim.client_key_path)], known_hosts=str(sim.known_hosts_path),
                                    config=None, agent_path=None) as conn:
            await conn.run("mkdir -p /home/wa/biz", check=True)
            async with conn.start_sftp_client() as sftp:
                for name, text in ((COMPOSE_FILE, render_compose(profile)), (DB_ENV_FILE, render_db_env(profile.db))):
                    async with sftp.open(f"/home/wa/biz/{name}", "w") as fh:
                        await fh.write(text)

            async def hook(args):
                if before is not None:
                    await before(sim, args)
            return await run_all(conn, "/home/wa/biz", host, sequence, version, hook)
    finally:
        await sim.stop()


async def test_compose_v1_shapes_match_between_real_docker_and_the_simulator(docker_host, tmp_path):
    profile = docker_host.profile
    real_dir = docker_host.remote_dir
    real_dir.mkdir()
    (real_dir / COMPOSE_FILE).write_text(render_compose(profile))
    (real_dir / DB_ENV_FILE).write_text(render_db_env(profile.db))
    h = profile.hosts[0]
    async with asyncssh.connect("127.0.0.1", h.ssh.port, username=h.ssh.user, client_keys=[h.ssh.key_file],
                                known_hosts=profile.known_hosts, config=None, agent_path=None) as conn:
        real = await run_all(conn, str(real_dir), h.external_hostname)

    simulated = await run_on_simulated_host(tmp_path, profile, "wa-real-1", "coreapp", VERSION,
                                            images=[f"docker.whatsapp.biz/coreapp:v{VERSION}"])  # as the real host holds it
    for (args, real_status, real_lines), (_, sim_status, sim_lines) in zip(real, simulated):
        assert (args, sim_status, sim_lines) == (args, real_status, real_lines)
