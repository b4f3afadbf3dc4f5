"""docker-compose / docker emulation over real SSH against the official compose file."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from sim_helpers import COMPOSE, compose_cmd, connect, upload

pytestmark = pytest.mark.asyncio

MISSING_VERSION = (
    'ERROR: Missing mandatory value for "image" option interpolating docker.whatsapp.biz/web:v'
    "${WA_API_VERSION:?Run docker-compose with env var WA_API_VERSION (ex. WA_API_VERSION=2.41.2 "
    'docker-compose <command> <options>)} in service "waweb": Run docker-compose with env var '
    "WA_API_VERSION (ex. WA_API_VERSION=2.41.2 docker-compose <command> <options>)\n")


@pytest.fixture
async def core1(cluster, compose_text, db_env_text):
    await upload(cluster, "wa-core-1", compose_text, db_env_text)
    async with await connect(cluster, "wa-core-1") as conn:
        yield conn


async def test_missing_wa_api_version(core1):
    r = await core1.run(f"EXTERNAL_HOSTNAME=wa-core-1 docker-compose -f {COMPOSE} "
                        "--project-directory /home/wa/biz up -d wacore")
    assert r.exit_status == 1
    assert r.stderr == MISSING_VERSION


async def test_missing_external_hostname(core1):
    r = await core1.run(f"WA_API_VERSION=2.41.2 docker-compose -f {COMPOSE} ps")
    assert r.exit_status == 1
    assert r.stderr.startswith('ERROR: Missing mandatory value for "environment" option interpolating '
                               "${EXTERNAL_HOSTNAME:?$EXTERNAL_HOSTNAME should reflect")
    assert r.stderr.rstrip().endswith('in service "waweb": $EXTERNAL_HOSTNAME should reflect the current '
                                      "machine's hostname accessible to other containers")


async def test_login_env_is_not_used(core1):
    # a variable exported in an earlier SSH session does not exist in the next one
    r = await core1.run(f"export WA_API_VERSION=2.41.2 && EXTERNAL_HOSTNAME=x docker-compose -f {COMPOSE} ps")
    assert r.exit_status == 0, r.stderr
    r = await core1.run(f"EXTERNAL_HOSTNAME=x docker-compose -f {COMPOSE} ps")
    assert r.exit_status == 1 and "WA_API_VERSION" in r.stderr


async def test_missing_file_env_file_and_service(core1):
    r = await core1.run("EXTERNAL_HOSTNAME=h WA_API_VERSION=2.41.2 docker-compose -f /home/wa/nope.yml ps")
    assert (r.exit_status, r.stderr) == (
        1, "ERROR: .FileNotFoundError: [Errno 2] No such file or directory: '/home/wa/nope.yml'\n")
    await core1.run("rm /home/wa/biz/db.env")
    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore"))
    assert (r.exit_status, r.stderr) == (1, "ERROR: Couldn't find env file: /home/wa/biz/db.env\n")
    await core1.run("touch /home/wa/biz/db.env")
    r = await core1.run(compose_cmd("wa-core-1", "up -d foo"))
    assert (r.exit_status, r.stderr) == (1, "ERROR: No such service: foo\n")


async def test_up_ps_logs_down_shapes(cluster, core1):
    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore"))
    assert r.exit_status == 0, r.stderr
    lines = r.stderr.splitlines()
    assert lines[0] == 'Creating network "biz_default" with the default driver'
    assert lines[1] == 'Creating volume "biz_whatsappMedia" with local driver'
    assert lines[2] == "Pulling wacore (docker.whatsapp.biz/coreapp:v2.41.2)..."
    assert lines[-1] == "Creating biz_wacore_1 ... done"  # compose 1.29 ends its status lines with "\r\n"
    # second up: up-to-date, no pull, no network
    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore"))
    assert r.stderr == "biz_wacore_1 is up-to-date\n"
    # version change: recreate (and pull the new image)
    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore", version="2.45.2"))
    assert "Pulling wacore (docker.whatsapp.biz/coreapp:v2.45.2)..." in r.stderr
    assert r.stderr.endswith("Recreating biz_wacore_1 ... \r\nRecreating biz_wacore_1 ... done\r\n")

    r = await core1.run(compose_cmd("wa-core-1", "ps"))
    out = r.stdout.splitlines()
    assert re.match(r"^\s+Name\s+Command\s+State\s+Ports$", out[0])
    assert set(out[1]) == {"-"}
    assert re.match(r"^biz_wacore_1\s+/opt/whatsapp/bin/wait_on_ \.\.\.\s+Up\s+0\.0\.0\.0:6250->6250/tcp", out[2])

    [info] = cluster.containers("wa-core-1")
    assert info.service == "wacore" and info.state == "running" and re.fullmatch(r"[0-9a-f]{12}", info.container_id)

    await asyncio.sleep(3.2 * cluster.speed)
    r = await core1.run(compose_cmd("wa-core-1", "logs --no-color --tail 100 wacore"))
    assert r.exit_status == 0
    lines = r.stdout.splitlines()
    # compose 1.29.2 here: "Attaching to biz_wacore_1" then "wacore_1  | <line>"
    assert lines.pop(0) == "Attaching to biz_wacore_1"
    assert all(ln.startswith("wacore_1  | ") for ln in lines)
    assert any(re.search(r"\| I \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC 140 \w+\.cpp:\d+\] ", ln) for ln in lines)
    r = await core1.run(compose_cmd("wa-core-1", "logs --tail 1 wacore"))
    assert len(r.stdout.splitlines()) == 2
    # v1 has no --since: its usage text on stderr, status 0 (as compose 1.29.2 here); docker logs has it
    r = await core1.run(compose_cmd("wa-core-1", "logs --since 10m wacore"))
    assert (r.exit_status, r.stdout) == (0, "") and r.stderr.startswith("View output from containers.\n\nUsage: logs")
    cid = cluster.containers("wa-core-1")[0].container_id
    r = await core1.run(f"docker logs --since 10m {cid}")
    assert r.exit_status == 0 and len(r.stdout.splitlines()) >= 2
    r = await core1.run(f"docker logs --since 2099-01-01 {cid}")
    assert (r.exit_status, r.stdout) == (0, "")

    cluster.kill_container("wa-core-1", "wacore")
    r = await core1.run(compose_cmd("wa-core-1", "ps"))
    assert re.search(r"biz_wacore_1\s+.*\s+Exit 137\s*$", r.stdout, re.M)

    r = await core1.run(compose_cmd("wa-core-1", "down -v"))
    assert r.exit_status == 0
    assert r.stderr == ("Removing biz_wacore_1 ... \r\nRemoving biz_wacore_1 ... done\r\nRemoving network biz_default\n"
                        "Removing volume biz_whatsappMedia\n")
    assert cluster.containers("wa-core-1") == []


async def test_docker_compose_v2_and_versions(cluster, core1):
    # v1 only by default, as Debian's docker.io 20.10 + docker-compose 1.29.2 here: the plugin is missing
    r = await core1.run("docker compose version")
    assert r.exit_status == 1 and "'compose' is not a docker command" in r.stderr
    cluster.set_compose_flavours("wa-core-1", v2=True)
    r = await core1.run("docker compose version")
    assert (r.exit_status, r.stdout) == (0, "Docker Compose version v2.24.5\n")
    r = await core1.run("docker-compose version")
    assert r.stdout.startswith("docker-compose version 1.29.2, build")
    r = await core1.run(f"cd /home/wa/biz && EXTERNAL_HOSTNAME=wa-core-1 WA_API_VERSION=2.41.2 docker compose "
                        f"-f {COMPOSE} --project-directory /home/wa/biz up -d master")
    assert r.exit_status == 0 and "Creating biz_master_1 ... done" in r.stderr


async def test_config_interpolates(core1):
    r = await core1.run(compose_cmd("wa-core-1", "config"))
    assert r.exit_status == 0
    assert "image: docker.whatsapp.biz/web:v2.41.2" in r.stdout
    assert "COREAPP_HOSTNAME: wa-core-1" in r.stdout
    r = await core1.run(compose_cmd("wa-core-1", "config --services"))
    assert r.stdout.split() == ["waweb", "wacore", "master"]


async def test_bad_db_password_container_exits(cluster, core1):
    await core1.run("echo 'WA_DB_ENGINE=MYSQL' > /home/wa/biz/db.env && "
                    "echo 'WA_DB_HOSTNAME=db' >> /home/wa/biz/db.env && echo 'WA_DB_PORT=3306' >> /home/wa/biz/db.env"
                    " && echo 'WA_DB_USERNAME=root' >> /home/wa/biz/db.env && "
                    "echo 'WA_DB_PASSWORD=pa(ss)word' >> /home/wa/biz/db.env")
    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore"))
    assert r.exit_status == 0
    r = await core1.run("docker wait biz_wacore_1")
    assert (r.exit_status, r.stdout) == (0, "1\n")
    r = await core1.run("docker logs biz_wacore_1")  # restart: unless-stopped has started it again meanwhile
    assert "Unable to connect to database" in r.stdout
    [info] = cluster.containers("wa-core-1")
    # it exited 1 and its restart policy keeps restarting it (a crash loop, as on real Docker)
    assert info.state in ("running", "restarting")
    for _ in range(50):
        if (await core1.run("docker inspect -f '{{.RestartCount}}' biz_wacore_1")).stdout.strip() != "0":
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("never restarted")


async def test_docker_cli(cluster, core1):
    await core1.run(compose_cmd("wa-core-1", "up -d wacore"))
    r = await core1.run("docker ps --format '{{.Names}}\\t{{.Status}}'")
    assert r.stdout.startswith("biz_wacore_1\tUp ")
    r = await core1.run("docker exec biz_wacore_1 chown -R root /usr/local/wamedia/incoming /usr/local/wamedia/outgoing /usr/local/wamedia/shared")
    assert r.exit_status == 0
    r = await core1.run("docker kill biz_wacore_1 && docker wait biz_wacore_1")
    assert r.stdout == "biz_wacore_1\n137\n"
    r = await core1.run("docker ps -q")
    assert r.stdout == ""
    r = await core1.run("docker ps -a --format '{{.Names}} {{.State}}'")
    assert r.stdout == "biz_wacore_1 exited\n"
    r = await core1.run("docker logs nope")
    assert (r.exit_status, r.stderr) == (1, "Error response from daemon: No such container: nope\n")


async def test_dbupgrade_job_exits_zero(cluster, core1):
    from sim_helpers import OFFICIAL
    async with core1.start_sftp_client() as sftp:
        await sftp.put(str(OFFICIAL / "dbupgrade-compose.yml"), "/home/wa/biz/dbupgrade-compose.yml")
    r = await core1.run("cd /home/wa/biz && WA_API_VERSION=2.45.2 docker-compose -f dbupgrade-compose.yml up -d")
    assert r.exit_status == 0, r.stderr
    assert "Creating network" not in r.stderr  # network_mode: bridge
    r = await core1.run("docker wait biz_dbupgrade_1")
    assert r.stdout == "0\n"


async def test_up_on_a_pty_writes_the_bytes_real_compose_writes(core1):
    """Issue 13 item 1: on a terminal the simulator's compose rewrites its status line in place, as
    docker-compose 1.29.2 does (tests/fixtures/compose/up_waweb.pty); the product keeps the final word."""
    from wabiz_tui.domain.text import LineSplitter

    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore"), term_type="xterm", encoding=None)
    assert r.exit_status == 0
    raw = r.stdout
    assert raw.endswith(b"Creating biz_wacore_1 ... \r\r\n\x1b[1A\x1b[2K\rCreating biz_wacore_1 ... \x1b[32mdone\x1b[0m\r\x1b[1B")
    assert r.stderr == b""  # a terminal merges stderr
    s = LineSplitter()
    lines = s.feed(raw) + s.close()
    assert lines[-1] == "Creating biz_wacore_1 ... done"


async def test_restart_policy_crash_loop_kill_and_back_off_like_docker(cluster, core1):
    """Issue 13: ``restart: unless-stopped`` as dockerd 20.10 applies it here: a main process killed with
    kill -9 is restarted (RestartCount 1), ``docker kill`` leaves Exited (137); a crashing node loops in
    ``restarting``, ``up -d`` says up-to-date, ``restart`` starts it with the count reset."""
    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore"))
    assert r.exit_status == 0
    cid = (await core1.run(compose_cmd("wa-core-1", "ps -q wacore"))).stdout.strip()
    fmt = "'{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}'"
    cluster.kill_main_process("wa-core-1", "wacore")
    await asyncio.sleep(0.2)
    assert (await core1.run(f"docker inspect -f {fmt} {cid}")).stdout.strip() == "running 0 1"
    await core1.run(f"docker kill {cid}")
    assert (await core1.run(f"docker inspect -f {fmt} {cid}")).stdout.strip() == "exited 137 1"
    await asyncio.sleep(0.2)
    assert (await core1.run(f"docker inspect -f {fmt} {cid}")).stdout.strip().startswith("exited 137")

    cluster.set_start_fault("wa-core-1", "wacore", ["E fatal: crash for the test"])
    await core1.run(f"docker start {cid}")
    counts = []
    for _ in range(20):
        await asyncio.sleep(0.05)
        status, _, count = (await core1.run(f"docker inspect -f {fmt} {cid}")).stdout.split()
        counts.append(int(count))
    assert counts[-1] > counts[0] >= 0 and status in ("restarting", "running")
    r = await core1.run(compose_cmd("wa-core-1", "ps"))
    assert re.search(r"biz_wacore_1\s+.*\s+(Restarting|Up)\s*", r.stdout)
    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore"))
    assert r.stderr == "biz_wacore_1 is up-to-date\n"
    cluster.set_start_fault("wa-core-1", "wacore", None)
    r = await core1.run(compose_cmd("wa-core-1", "restart wacore"))
    assert r.exit_status == 0
    assert (await core1.run(f"docker inspect -f {fmt} {cid}")).stdout.strip() == "running 0 0"


async def test_a_port_clash_leaves_a_created_container_with_dockers_words(cluster, core1):
    """As compose 1.29.2 on dockerd 20.10 here with port 6250 held: status line ``error``, Docker's message twice,
    exit status 1, the container left ``Created``."""
    cluster.set_port_taken("wa-core-1", 6250)
    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore"))
    assert r.exit_status == 1
    assert "Host is already in use by another container\n" in r.stderr
    assert "Creating biz_wacore_1 ... error\r\n" in r.stderr
    assert re.search(r"ERROR: for biz_wacore_1  Cannot start service wacore: driver failed programming external connectivity "
                     r"on endpoint biz_wacore_1 \([0-9a-f]{64}\): Error starting userland proxy: listen tcp4 0\.0\.0\.0:6250: "
                     r"bind: address already in use", r.stderr)
    assert "ERROR: for wacore  Cannot start service wacore" in r.stderr
    r = await core1.run("docker ps -a --format '{{.Names}} {{.Status}}'")
    assert r.stdout == "biz_wacore_1 Created\n"


async def test_pull_on_a_pty_rewrites_layer_rows_and_the_product_counts_layers(core1):
    """As compose 1.29.2 pulling on a PTY here (tests/fixtures/compose/up_pull.pty): layer rows rewritten in
    place; rendered, each layer says each status once and the progress counts every layer done."""
    from wabiz_tui.domain.text import LineSplitter, PullProgress

    r = await core1.run(compose_cmd("wa-core-1", "up -d wacore"), term_type="xterm", encoding=None)
    assert r.exit_status == 0 and b"\x1b[4A\x1b[2K\r" in r.stdout
    s = LineSplitter()
    lines = [line.rstrip() for line in s.feed(r.stdout) + s.close()]
    layers = [line for line in lines if line.endswith(": Pull complete")]
    assert len(layers) == 4 and lines[-1] == "Creating biz_wacore_1 ... done"
    assert lines[lines.index("Pulling wacore (docker.whatsapp.biz/coreapp:v2.41.2)...") + 1] == "v2.41.2: Pulling from coreapp"
    progress = PullProgress()
    progress.feed(lines)
    assert (progress.done, progress.total) == (4, 4)


async def test_inspect_fills_the_doctors_ports_template_on_a_stopped_container(cluster, core1):
    """``{{json .HostConfig.PortBindings}} {{.State.Error}}`` (doctor's PORTS_FORMAT) prints compact JSON of the
    bindings the container was created with, then dockerd's start error, empty after a normal stop (issue 17 trial:
    the sim printed the template's tail, and doctor said "exited (exit code 0): .HostConfig.PortBindings}}")."""
    from wabiz_tui.workflows.doctor.containers import PORTS_FORMAT

    await core1.run(compose_cmd("wa-core-1", "up -d wacore"))
    await core1.run(compose_cmd("wa-core-1", "stop wacore"))
    c = next(c for c in cluster.brain.on_host("wa-core-1") if c.service == "wacore")
    assert c.state == "exited" and c.ports
    r = await core1.run(f"docker inspect -f '{PORTS_FORMAT}' {c.id}")
    assert r.exit_status == 0 and "{{" not in r.stdout and "}}" not in r.stdout, r.stdout
    raw, sep, error = r.stdout.rstrip("\n").partition(" ")
    assert sep == " " and error == "", r.stdout
    expected = {f"{spec.split(':')[-1]}/tcp": [{"HostIp": "", "HostPort": spec.split(":")[-2]}] for spec in c.ports}
    assert json.loads(raw) == expected and " " not in raw
    r = await core1.run(f"docker inspect -f '{{{{.State.Running}}}} {{{{json .State.Error}}}}' {c.id}")
    assert r.stdout == 'false ""\n'
