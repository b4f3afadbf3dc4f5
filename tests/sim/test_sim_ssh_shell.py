"""SSH endpoints, SFTP/SCP into the sandbox, and the small shell — over real SSH on loopback."""

from __future__ import annotations

import asyncio
import stat

import asyncssh
import pytest

from sim_helpers import compose_cmd, connect, upload

pytestmark = pytest.mark.asyncio


async def test_host_keys_differ_and_known_hosts_lines(cluster):
    lines = cluster.known_hosts_path.read_text().splitlines()
    assert len(lines) == 5
    keys = {ln.split()[2] for ln in lines}
    assert len(keys) == 5
    for ln in lines:
        name, algo, _ = ln.split()
        assert algo == "ssh-ed25519"
        assert name.startswith("[127.0.0.1]:")
    ports = {cluster.ssh_port(h.external_hostname) for h in cluster.hosts}
    assert len(ports) == 5
    assert stat.S_IMODE(cluster.client_key_path.stat().st_mode) == 0o600


async def test_wrong_known_hosts_is_refused(cluster, tmp_path):
    lines = cluster.known_hosts_path.read_text().splitlines()
    port1 = cluster.ssh_port("wa-web-1")
    # claim host 2's key for host 1's port
    other_key = lines[1].split(None, 1)[1]
    bad = tmp_path / "bad_known_hosts"
    bad.write_text(f"[127.0.0.1]:{port1} {other_key}\n")
    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        await connect(cluster, "wa-web-1", known_hosts=str(bad))


async def test_wrong_user_is_refused(cluster):
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(cluster, "wa-web-1", username="root")


async def test_sftp_upload_lands_in_sandbox_with_mode(cluster):
    async with await connect(cluster, "wa-core-1") as conn:
        assert (await conn.run("mkdir -p /home/wa/biz")).exit_status == 0
        async with conn.start_sftp_client() as sftp:
            async with sftp.open("/home/wa/biz/db.env", "w") as fh:
                await fh.write("WA_DB_PASSWORD=testpass\n")
            await sftp.chmod("/home/wa/biz/db.env", 0o600)
            attrs = await sftp.stat("/home/wa/biz/db.env")
            assert stat.S_IMODE(attrs.permissions) == 0o600
            # chroot: cannot climb out of the sandbox
            assert "hosts" not in await sftp.listdir("/../..")
        r = await conn.run("stat -c '%a' /home/wa/biz/db.env")
        assert (r.exit_status, r.stdout) == (0, "600\n")
    real = cluster.host_root("wa-core-1") / "home/wa/biz/db.env"
    assert real.read_text() == "WA_DB_PASSWORD=testpass\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    # the other host does not see it
    assert not (cluster.host_root("wa-core-2") / "home/wa/biz/db.env").exists()


async def test_scp_upload(cluster, tmp_path):
    src = tmp_path / "x.txt"
    src.write_text("hello\n")
    async with await connect(cluster, "wa-web-1") as conn:
        await asyncssh.scp(str(src), (conn, "/home/wa/x.txt"))
    assert (cluster.host_root("wa-web-1") / "home/wa/x.txt").read_text() == "hello\n"


@pytest.mark.parametrize("cmd,status,out,err", [
    ("pwd", 0, "/home/wa\n", ""),
    ("hostname", 0, "wa-master-1\n", ""),
    ("id -u", 0, "1000\n", ""),
    ("command -v docker", 0, "/usr/bin/docker\n", ""),
    ("command -v docker-compose", 0, "/usr/bin/docker-compose\n", ""),
    ("command -v podman", 1, "", ""),
    ("frobnicate --now", 127, "", "bash: frobnicate: command not found\n"),
    ("true && echo yes || echo no", 0, "yes\n", ""),
    ("false && echo yes || echo no", 0, "no\n", ""),
    ("false; echo $?", 0, "1\n", ""),
    ("echo 'a  b' \"c $HOME\"", 0, "a  b c /home/wa\n", ""),
    ("X=1 Y='two words' sh -c 'echo $Y'", 0, "two words\n", ""),
    ("mkdir /a/b/c", 1, "", "mkdir: cannot create directory ‘/a/b/c’: No such file or directory\n"),
    ("mkdir -p /mnt/wamedia/incoming && chmod 755 /mnt/wamedia && stat -c '%a' /mnt/wamedia", 0, "755\n", ""),
    ("test -d /home/wa", 0, "", ""),
    ("test -d /nope", 1, "", ""),
    ("[ -f /home/wa ]", 1, "", ""),
    ("cd /tmp && pwd", 0, "/tmp\n", ""),
    ("cd /nope", 1, "", "bash: cd: /nope: No such file or directory\n"),
    ("cd ../../../.. && pwd", 0, "/\n", ""),
    ("echo hi > /tmp/f && cat /tmp/f && rm -f /tmp/f && test -e /tmp/f", 1, "hi\n", ""),
    ("stat -c '%a' /missing", 1, "", "stat: cannot statx '/missing': No such file or directory\n"),
    ("printf x 2>/dev/null || echo fallback", 0, "fallback\n", ""),
    ("echo a; echo b | grep b", 0, "a\nb\n", ""),
    ("echo 'unterminated", 2, "", None),
])
async def test_shell(cluster, cmd, status, out, err):
    async with await connect(cluster, "wa-master-1") as conn:
        r = await conn.run(cmd)
    assert r.exit_status == status, (r.stdout, r.stderr)
    assert r.stdout == out
    if err is not None:
        assert r.stderr == err


async def test_dotdot_never_escapes(cluster):
    async with await connect(cluster, "wa-master-1") as conn:
        r = await conn.run("mkdir -p ../../../../../escape && ls /")
    assert r.exit_status == 0
    assert "escape" in r.stdout.split()
    assert (cluster.host_root("wa-master-1") / "escape").is_dir()


async def test_output_streams_live(cluster, compose_text, db_env_text):
    await upload(cluster, "wa-core-1", compose_text, db_env_text)
    async with await connect(cluster, "wa-core-1") as conn:
        proc = await conn.create_process(compose_cmd("wa-core-1", "up -d wacore"), stderr=asyncssh.STDOUT)
        first = await proc.stdout.readline()
        assert first == 'Creating network "biz_default" with the default driver\n'
        assert proc.exit_status is None  # still running while the first line arrived
        rest = await proc.stdout.read()
        await proc.wait()
        assert proc.exit_status == 0
        assert "Creating biz_wacore_1 ... done" in rest


async def test_openssh_scp_client_uploads_and_exits_0(cluster, tmp_path):
    """OpenSSH 9's scp speaks SFTP and needs the subsystem's exit status (a real client against the sim)."""
    import shutil
    import subprocess

    from tests.support import need_tool

    need_tool("scp")
    src = tmp_path / "f.txt"
    src.write_text("hello\n")
    port = cluster.ssh_port("wa-web-1")
    proc = await asyncio.create_subprocess_exec(
        shutil.which("scp"), "-q", "-P", str(port), "-i", str(cluster.client_key_path),
        "-o", f"UserKnownHostsFile={cluster.known_hosts_path}", "-o", "BatchMode=yes", "-F", "/dev/null",
        str(src), "wa@127.0.0.1:/home/wa/f.txt", stderr=subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err
    assert (cluster.host_root("wa-web-1") / "home/wa/f.txt").read_text() == "hello\n"


async def test_running_commands_are_listed_and_end_when_the_client_closes_the_channel(cluster):
    cluster.set_host_latency("wa-core-1", 30)  # the command stays silent and running
    conn = await connect(cluster, "wa-core-1")
    try:
        proc = await conn.create_process("docker ps -q")
        for _ in range(100):
            if cluster.running_commands("wa-core-1"):
                break
            await asyncio.sleep(0.02)
        assert cluster.running_commands("wa-core-1") == ["docker ps -q"]
        assert cluster.running_commands("wa-core-2") == []
        proc.close()
        for _ in range(100):
            if not cluster.running_commands("wa-core-1"):
                break
            await asyncio.sleep(0.02)
        assert cluster.running_commands("wa-core-1") == []
    finally:
        conn.close()
        cluster.set_host_latency("wa-core-1", 0)


async def test_sudo_modes_and_root_on_a_denied_socket(cluster):
    cluster.set_docker_fault("wa-core-1", "socket_denied")
    conn = await connect(cluster, "wa-core-1")
    try:
        denied = await conn.run("docker ps -q")
        assert denied.exit_status == 1 and "permission denied while trying to connect" in denied.stderr
        assert (await conn.run("sudo -n docker ps -q")).exit_status == 0
        env = await conn.run("sudo -n WA_API_VERSION=2.41.2 sh -c 'echo $WA_API_VERSION'")
        assert env.stdout.strip() == "2.41.2"
        cluster.set_sudo("wa-core-1", "password")
        refused = await conn.run("sudo -n docker ps -q")
        assert refused.exit_status == 1 and refused.stderr.strip() == "sudo: a password is required"
        cluster.set_sudo("wa-core-1", "absent")
        assert (await conn.run("sudo -n true")).exit_status == 127
    finally:
        conn.close()


async def test_tr_makes_a_binary_greeting_one_printable_line(cluster):
    """The preflight pipes the MySQL greeting through ``tr -c '[:print:]' '.'``: a CR or ESC in the
    random salt must not reach the line splitter (it kept only the text after a CR, losing the version)."""
    greeting = "J\x00\x00\x00\n8.0.33\x00\x07\x00\x00\x00ab\rcd\x1b[2Jz\x00mysql_native_password\x00"
    (cluster.host_root("wa-web-1") / "home/wa/greeting").write_text(greeting, encoding="latin-1")
    async with await connect(cluster, "wa-web-1") as conn:
        r = await conn.run("cat /home/wa/greeting | tr -c '[:print:]' '.'")
        assert r.exit_status == 0
        assert r.stdout == "J....8.0.33.....ab.cd.[2Jz.mysql_native_password."
        r = await conn.run("echo abc | tr ab xy")
        assert r.stdout == "xyc\n"
