"""Conformance sim ↔ lab (issue 12 item 5): the same commands on a lab host (OpenSSH, dockerd 20.10, docker-compose
1.29.2, the lab registry) and on a simulated host, on a terminal as the product runs them; the rendered output
must have the same shape once ids, times and the nodes' own log words are normalised
(:func:`tests.realdocker.test_conformance.normalise`). A difference is fixed in the simulator (with a note there of
the real output), or listed in :data:`HARMLESS` with why it does not matter to the product."""

from __future__ import annotations

import asyncio
import shlex

import asyncssh

from tests.realdocker.test_conformance import SEQUENCE as REAL_DOCKER_SEQUENCE
from tests.realdocker.test_conformance import run_all, run_on_simulated_host
from wabiz_tui.config.profile import load_profile
from wabiz_tui.domain.render import COMPOSE_FILE, DB_ENV_FILE, render_compose, render_db_env
from wabiz_tui.lab import faults

HOST = "wa-core-2"
VERSION = "2.41.2"
OTHER = "docker.whatsapp.biz/coreapp:v2.29.2"  # a tag the host does not hold: pulled under a refusing registry
STATE = REAL_DOCKER_SEQUENCE[6][0]  # docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}'

SEQUENCE = REAL_DOCKER_SEQUENCE[:5] + (  # create, up-to-date, ps -q, ps, logs --tail 1
    (STATE, "inspect: running"),
    ("docker kill biz_wacore_1", "docker kill"),
    ("docker wait biz_wacore_1", "docker wait: the exit code"),
    (STATE, "inspect: killed, no restart"),
    ("rm -s -f wacore", "stop and remove"),
    ("up -d wacore", "port clash: 6250 held by another program"),
    ("docker ps -a --format '{{.Names}} {{.Status}}'", "the clash leaves a Created container"),
    ("rm -s -f wacore", "remove the Created one"),
    (f"docker pull {OTHER}", "pull error: the registry refuses"),
    ("env -u WA_API_VERSION up -d wacore", "missing variable"),
    ("down --remove-orphans", "network"),
)

#: Differences that stay, each with why the product does not care: (args, real line, simulated line).
HARMLESS: set[tuple[str, str, str]] = set()


async def test_sim_and_lab_give_the_same_shapes(lab, tmp_path):
    profile = load_profile(lab.profile)
    host = lab.host(HOST)
    directory = "/tmp/conformance/biz"  # project name "biz" as the product's, away from the product's own folder
    lab.sh(HOST, f"docker rmi -f {OTHER} >/dev/null 2>&1; mkdir -p {directory}")
    for name, text in ((COMPOSE_FILE, render_compose(profile)), (DB_ENV_FILE, render_db_env(profile.db))):
        assert lab.sh(HOST, f"cat > {directory}/{name} <<'EOF'\n{text}EOF").returncode == 0

    holder: list[asyncssh.SSHClientProcess] = []

    async def lab_faults(conn, args_seen):
        async def before(args):
            args_seen.append(args)
            n = len(args_seen)
            if n == 11:  # the port clash: a plain program holds 6250 on the host (userland proxy then fails)
                holder.append(await conn.create_process(
                    "exec python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, "
                    "socket.SO_REUSEADDR, 1); s.bind((\"0.0.0.0\", 6250)); s.listen(); print(\"held\", flush=True); "
                    "sys.stdin.read()'"))
                await holder[0].stdout.readline()
            if n == 13 and holder:
                holder[0].stdin.write_eof()
                await holder[0].wait()
            if n == 14:
                await asyncio.to_thread(faults.registry, lab.paths, "deny")
            if n == 15:
                await asyncio.to_thread(faults.clear, lab.paths)
        return before

    try:
        async with asyncssh.connect(host["ip"], 22, username="wa", client_keys=[str(lab.paths.client_key)],
                                    known_hosts=str(lab.paths.known_hosts), config=None, agent_path=None) as conn:
            real = await run_all(conn, directory, HOST, SEQUENCE, VERSION, await lab_faults(conn, []))
    finally:
        faults.clear(lab.paths)
        lab.sh(HOST, f"cd {directory} && EXTERNAL_HOSTNAME={HOST} WA_API_VERSION={VERSION} docker-compose "
                     f"down --remove-orphans; rm -rf {shlex.quote('/tmp/conformance')}")

    async def sim_faults(sim, args):
        sim_faults.n += 1
        sim.set_port_taken(HOST, *((6250,) if sim_faults.n in (11, 12) else ()))
        sim.set_registry_denied(sim_faults.n == 14)
    sim_faults.n = 0
    simulated = await run_on_simulated_host(tmp_path, profile, HOST, "coreapp", VERSION, SEQUENCE,
                                            images=[f"docker.whatsapp.biz/coreapp:v{VERSION}"], before=sim_faults)
    said = {args: (status, "\n".join(lines)) for args, status, lines in real[7:15]}  # the real faults took effect
    assert said["docker wait biz_wacore_1"] == (0, "137")
    assert real[10][1] == 1 and "bind: address already in use" in "\n".join(real[10][2])
    assert said[f"docker pull {OTHER}"][1].endswith("no basic auth credentials")
    assert "WA_API_VERSION" in said["env -u WA_API_VERSION up -d wacore"][1]
    differences = []
    for (args, real_status, real_lines), (_, sim_status, sim_lines) in zip(real, simulated):
        if (real_status, real_lines) != (sim_status, sim_lines):
            pairs = {(args, r, s) for r, s in zip(real_lines, sim_lines) if r != s}
            if real_status != sim_status or len(real_lines) != len(sim_lines) or not pairs <= HARMLESS:
                differences.append((args, real_status, real_lines, sim_status, sim_lines))
    assert not differences, "\n\n".join(f"{a}\n real ({rs}): {rl}\n sim  ({ss}): {sl}" for a, rs, rl, ss, sl in differences)
