"""The SSH layer against real OpenSSH servers: ~/.ssh/config aliases, jump-host chains with the same
host-key policy on every hop, encrypted keys, a host going silent mid-stream, cancellation that ends
the remote process, and the connection pool (issue "Works on real hosts", items 2, 3 and 5)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import time
import uuid

import pytest

from tests.support import IN_CI
from tests.openssh.conftest import PASSPHRASE, descendants
from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.remote.errors import (
    AuthenticationFailed,
    HostKeyUnknown,
    HostUnreachable,
)
from wabiz_tui.remote.fanout import fan_out
from wabiz_tui.remote.pool import ConnectionPool
from wabiz_tui.remote.run import run_streaming
from wabiz_tui.remote.ssh import SshSettings, connect, trust_host_key


def settings(lab, **kw) -> SshSettings:
    base = {"known_hosts": [lab.known_hosts], "read_user_config": False, "connect_timeout": 5.0,
            "keepalive_interval": 0.5, "keepalive_count_max": 2}
    base.update(kw)
    return SshSettings(**base)


def spec(name: str, **ssh) -> HostSpec:
    return HostSpec(name, SshTarget(**ssh), (Role.COREAPP,))


def direct(lab, name: str, **kw) -> HostSpec:
    h = lab.hosts[name]
    return spec(name, **{"host": "127.0.0.1", "port": h.port, "user": lab.user, "key_file": str(lab.key), "use_agent": False, **kw})


async def output(conn, command: str) -> tuple[int | None, list[str]]:
    lines: list[str] = []
    status = await run_streaming(conn, "t", command, lines.append, timeout=20)
    return status, lines


def fingerprint(lab, name: str) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(lab.base / "hosts" / name / "host_key.pub")], check=True,
                         capture_output=True, text=True).stdout
    return out.split()[1]


def served(lab, name: str) -> int:
    """How many connections the host's sshd is serving now (one process per connection below it)."""
    pid = lab.hosts[name].process.pid
    return len([p for p in descendants(pid) if _parent(p) == pid])


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return -1


def need_bcrypt() -> None:
    try:
        import bcrypt  # noqa: F401 - asyncssh needs it for OpenSSH-format encrypted keys
    except ImportError:
        if IN_CI:
            pytest.fail("bcrypt is required in CI (a project dependency for encrypted keys)")
        pytest.skip("bcrypt is not installed here")


# ---- ~/.ssh/config ------------------------------------------------------------------------------

async def test_ssh_config_alias_from_home(ssh_lab, tmp_path, monkeypatch):
    target = ssh_lab.add("target")
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text(
        f"Host wa-core\n  HostName 127.0.0.1\n  Port {target.port}\n  User {ssh_lab.user}\n  IdentityFile {ssh_lab.key}\n")
    monkeypatch.setenv("HOME", str(home))  # never the real ~/.ssh
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    host = spec("wa-core-1", alias="wa-core", use_agent=False)
    conn = await connect(host, settings(ssh_lab, read_user_config=True))
    try:
        status, lines = await output(conn, "echo alias-ok; echo $SSH_CONNECTION")
    finally:
        conn.close()
    assert status == 0 and lines[0] == "alias-ok"
    assert lines[1].split()[3] == str(target.port)  # the config's Port was used


async def test_unknown_key_of_an_alias_names_the_real_address(ssh_lab, tmp_path):
    target = ssh_lab.add("target", trusted=False)
    cfg = tmp_path / "ssh_config"
    cfg.write_text(f"Host wa-core\n  HostName 127.0.0.1\n  Port {target.port}\n  User {ssh_lab.user}\n  IdentityFile {ssh_lab.key}\n")
    s = settings(ssh_lab, config_file=cfg)
    with pytest.raises(HostKeyUnknown) as info:
        await connect(spec("wa-core-1", alias="wa-core", use_agent=False), s)
    assert (info.value.address, info.value.port) == ("127.0.0.1", target.port)
    assert info.value.fingerprint == fingerprint(ssh_lab, "target")
    trust_host_key(ssh_lab.known_hosts, info.value.address, info.value.port, info.value.public_key)
    conn = await connect(spec("wa-core-1", alias="wa-core", use_agent=False), s)
    conn.close()


# ---- jump hosts ---------------------------------------------------------------------------------

def chain_config(lab, tmp_path) -> SshSettings:
    b1, b2, t = lab.hosts["bastion1"], lab.hosts["bastion2"], lab.hosts["target"]
    cfg = tmp_path / "ssh_config"
    cfg.write_text(f"Host bastion1\n  HostName 127.0.0.1\n  Port {b1.port}\n"
                   f"Host bastion2\n  HostName 127.0.0.1\n  Port {b2.port}\n  ProxyJump bastion1\n"
                   f"Host wa-core\n  HostName 127.0.0.1\n  Port {t.port}\n  ProxyJump bastion2\n"
                   f"Host *\n  User {lab.user}\n  IdentityFile {lab.key}\n")
    return settings(lab, config_file=cfg)


async def test_two_hop_proxyjump_chain_from_the_config(ssh_lab, tmp_path):
    for name in ("bastion1", "bastion2", "target"):
        ssh_lab.add(name)
    pool = ConnectionPool(chain_config(ssh_lab, tmp_path))
    conn = await pool.get(spec("wa-core-1", alias="wa-core", use_agent=False))
    status, lines = await output(conn, "echo via-chain")
    assert status == 0 and lines == ["via-chain"]
    # each sshd serves exactly one connection: bastion1 -> bastion2 -> target
    assert [served(ssh_lab, n) for n in ("bastion1", "bastion2", "target")] == [1, 1, 1]
    await pool.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(served(ssh_lab, n) for n in ("bastion1", "bastion2", "target")):
        await asyncio.sleep(0.1)
    assert [served(ssh_lab, n) for n in ("bastion1", "bastion2", "target")] == [0, 0, 0]  # closing closed every hop


async def test_explicit_jump_field_chain(ssh_lab):
    b1, b2 = ssh_lab.add("bastion1"), ssh_lab.add("bastion2")
    ssh_lab.add("target")
    host = direct(ssh_lab, "target", jump=f"{ssh_lab.user}@127.0.0.1:{b1.port},127.0.0.1:{b2.port}")
    conn = await connect(host, settings(ssh_lab))
    try:
        assert (await output(conn, "echo jumped"))[1] == ["jumped"]
        assert [served(ssh_lab, n) for n in ("bastion1", "bastion2", "target")] == [1, 1, 1]
    finally:
        conn.close()
        await conn.wait_closed()


async def test_unknown_key_on_a_jump_host_is_refused_naming_that_hop(ssh_lab, tmp_path):
    ssh_lab.add("bastion1")
    b2 = ssh_lab.add("bastion2", trusted=False)
    ssh_lab.add("target")
    s = chain_config(ssh_lab, tmp_path)
    with pytest.raises(HostKeyUnknown) as info:
        await connect(spec("wa-core-1", alias="wa-core", use_agent=False), s)
    text = str(info.value)
    assert "jump host bastion2 via bastion1" in text and "unknown host key" in text
    assert info.value.hop == "jump host bastion2"
    assert info.value.port == b2.port and info.value.fingerprint == fingerprint(ssh_lab, "bastion2")
    assert served(ssh_lab, "target") == 0
    # the same trust-on-first-use as for any host: record it, then the chain works
    trust_host_key(ssh_lab.known_hosts, info.value.address, info.value.port, info.value.public_key)
    conn = await connect(spec("wa-core-1", alias="wa-core", use_agent=False), s)
    conn.close()


async def test_a_refused_target_behind_a_jump_host_names_the_hop(ssh_lab):
    from tests.openssh.conftest import free_port

    b1 = ssh_lab.add("bastion1")
    closed = free_port()
    host = spec("wa-core-1", host="127.0.0.1", port=closed, user=ssh_lab.user, key_file=str(ssh_lab.key), use_agent=False,
                jump=f"127.0.0.1:{b1.port}")
    t0 = time.monotonic()
    with pytest.raises(HostUnreachable) as info:
        await connect(host, settings(ssh_lab))
    assert time.monotonic() - t0 < 3
    assert f"via 127.0.0.1:{b1.port}: connection refused by 127.0.0.1:{closed}" in str(info.value)


# ---- keys ---------------------------------------------------------------------------------------

async def test_encrypted_key_with_right_wrong_and_no_passphrase(ssh_lab):
    need_bcrypt()
    ssh_lab.add("a")
    ssh_lab.add("b")
    asked: list[str] = []

    async def right(path: str) -> str:
        asked.append(path)
        await asyncio.sleep(0.05)
        return PASSPHRASE

    hosts = [direct(ssh_lab, n, key_file=str(ssh_lab.encrypted_key)) for n in ("a", "b")]
    pool = ConnectionPool(settings(ssh_lab, passphrase=right))
    try:
        conns = await asyncio.gather(*(pool.get(h) for h in hosts))
        assert [(await output(c, "echo unlocked"))[1] for c in conns] == [["unlocked"], ["unlocked"]]
    finally:
        await pool.close()
    assert asked == [str(ssh_lab.encrypted_key)]  # asked once for both hosts

    with pytest.raises(AuthenticationFailed) as wrong:
        await connect(hosts[0], settings(ssh_lab, passphrase=lambda _path: "battery staple"))
    assert "wrong passphrase" in str(wrong.value) and str(ssh_lab.encrypted_key) in str(wrong.value)
    assert "battery" not in str(wrong.value)

    with pytest.raises(AuthenticationFailed) as none:
        await connect(hosts[0], settings(ssh_lab))
    assert "is encrypted" in str(none.value) and str(ssh_lab.encrypted_key) in str(none.value)


async def test_refused_key_and_refused_port_are_reported_at_once(ssh_lab, tmp_path):
    from tests.openssh.conftest import free_port, keygen

    ssh_lab.add("a")
    keygen(tmp_path / "stranger")
    t0 = time.monotonic()
    with pytest.raises(AuthenticationFailed):
        await connect(direct(ssh_lab, "a", key_file=str(tmp_path / "stranger")), settings(ssh_lab))
    with pytest.raises(HostUnreachable) as refused:
        await connect(spec("x", host="127.0.0.1", port=free_port(), user=ssh_lab.user, key_file=str(ssh_lab.key),
                           use_agent=False), settings(ssh_lab))
    assert "connection refused" in str(refused.value)
    assert time.monotonic() - t0 < 3


# ---- the SSH agent -------------------------------------------------------------------------------

@pytest.fixture
def agent(ssh_lab, tmp_path, monkeypatch):
    """A real ``ssh-agent`` holding a key that exists in no file the client would find (the key file is
    deleted once added), authorised on the lab's hosts; HOME is an empty directory (no ~/.ssh)."""
    from tests.support import need_tool
    from tests.openssh.conftest import keygen

    need_tool("ssh-agent")
    need_tool("ssh-add")
    home = tmp_path / "agent-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    sock = tmp_path / "agent.sock"
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        keygen(tmp_path / "agent_only")
        subprocess.run(["ssh-add", "-q", str(tmp_path / "agent_only")], check=True, env={**os.environ, "SSH_AUTH_SOCK": str(sock)},
                       capture_output=True)
        with open(ssh_lab.base / "authorized_keys", "a") as fh:
            fh.write((tmp_path / "agent_only.pub").read_text())
        (tmp_path / "agent_only").unlink()  # from now on only the agent holds it
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        yield sock
    finally:
        proc.terminate()
        proc.wait(timeout=5)


async def test_authenticates_through_the_ssh_agent(ssh_lab, agent):
    ssh_lab.add("a")
    host = spec("a", host="127.0.0.1", port=ssh_lab.hosts["a"].port, user=ssh_lab.user)  # no key file: the agent
    conn = await connect(host, settings(ssh_lab, read_user_config=True))
    try:
        assert (await output(conn, "echo by-agent"))[1] == ["by-agent"]
    finally:
        conn.close()
    # an ~/.ssh/config alias without IdentityFile goes through the agent too
    cfg = ssh_lab.base / "agent_config"
    cfg.write_text(f"Host wa-agent\n  HostName 127.0.0.1\n  Port {ssh_lab.hosts['a'].port}\n  User {ssh_lab.user}\n")
    conn = await connect(spec("a", alias="wa-agent"), settings(ssh_lab, read_user_config=True, config_file=cfg))
    try:
        assert (await output(conn, "echo alias-by-agent"))[1] == ["alias-by-agent"]
    finally:
        conn.close()
    # the profile may forbid the agent: then nothing is offered, and the message says why
    with pytest.raises(AuthenticationFailed) as off:
        await connect(spec("a", host="127.0.0.1", port=ssh_lab.hosts["a"].port, user=ssh_lab.user, use_agent=False),
                      settings(ssh_lab, read_user_config=True))
    assert "no SSH key to offer" in str(off.value) and "ssh.use_agent is false" in str(off.value)


async def test_no_agent_and_no_key_says_what_to_fix(ssh_lab, tmp_path, monkeypatch):
    ssh_lab.add("a")
    (tmp_path / "empty-home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    host = spec("a", host="127.0.0.1", port=ssh_lab.hosts["a"].port, user=ssh_lab.user)
    with pytest.raises(AuthenticationFailed) as info:
        await connect(host, settings(ssh_lab, read_user_config=True))
    text = str(info.value)
    assert "no SSH key to offer" in text and "no default key in ~/.ssh" in text and "SSH_AUTH_SOCK is not set" in text, text
    assert "ssh.key_file" in info.value.next_action and "ssh-add" in info.value.next_action
    # a stale agent socket is named as such
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "gone.sock"))
    with pytest.raises(AuthenticationFailed) as stale:
        await connect(host, settings(ssh_lab, read_user_config=True))
    assert "gone.sock does not exist" in str(stale.value)


# ---- faults mid-step ----------------------------------------------------------------------------

async def test_a_host_going_silent_mid_stream_is_unreachable_within_the_keepalive_bound(ssh_lab):
    ssh_lab.add("silent")
    ssh_lab.add("steady")
    pool = ConnectionPool(settings(ssh_lab))  # keepalive 0.5 s x 2
    got: dict[str, list[str]] = {"silent": [], "steady": []}
    first_line = asyncio.Event()
    stopped_at: list[float] = []

    async def action(host: HostSpec) -> int | None:
        conn = await pool.get(host)

        def line(text: str) -> None:
            got[host.external_hostname].append(text)
            if host.external_hostname == "silent":
                first_line.set()
        return await run_streaming(conn, host.external_hostname, "for i in $(seq 1 30); do echo $i; sleep 0.1; done", line)

    async def freeze() -> None:
        await first_line.wait()
        for pid in descendants(ssh_lab.hosts["silent"].process.pid):
            signal_quietly(pid, signal.SIGSTOP)  # the host stops answering: no RST, no FIN, just silence
        stopped_at.append(time.monotonic())

    freezer = asyncio.create_task(freeze())
    try:
        results = await fan_out([direct(ssh_lab, "silent"), direct(ssh_lab, "steady")], action)
        ended = time.monotonic()
    finally:
        freezer.cancel()
        await pool.close(timeout=0.5)
    assert results["steady"].ok and results["steady"].value == 0
    assert got["steady"] == [str(i) for i in range(1, 31)]
    assert not results["silent"].ok and "connection lost" in results["silent"].error
    assert ended - stopped_at[0] < 3.5  # steady's 3 s stream ends too; silent was cut after ~1-1.5 s
    assert len(got["silent"]) < 30


async def test_keepalive_cut_comes_before_a_longer_stream_ends(ssh_lab):
    ssh_lab.add("silent")
    conn = await connect(direct(ssh_lab, "silent"), settings(ssh_lab))
    seen = asyncio.Event()
    task = asyncio.create_task(run_streaming(conn, "silent", "echo go; sleep 20", lambda _l: seen.set()))
    await seen.wait()
    for pid in descendants(ssh_lab.hosts["silent"].process.pid):
        signal_quietly(pid, signal.SIGSTOP)
    t0 = time.monotonic()
    with pytest.raises(HostUnreachable) as info:
        await task
    assert time.monotonic() - t0 < 2.5  # 0.5 s x 2 keepalives, plus scheduling
    assert "silent" in str(info.value) and "connection lost" in str(info.value)
    assert conn.is_closed()


@pytest.mark.parametrize("pty", [True, False], ids=["pty", "signal"])
@pytest.mark.parametrize("shape", ["simple", "compound"])
async def test_cancelling_the_caller_ends_the_remote_command(ssh_lab, shape, pty):
    if not pty and os.geteuid() == 0:
        # sshd skips post-auth privilege separation for root logins and then refuses "signal" requests
        # ("session signalling requires privilege separation"): only the PTY hang-up ends the command
        pytest.skip("OpenSSH refuses SSH signal requests for root logins; the PTY variant covers root")
    ssh_lab.add("a")
    marker = f"3{uuid.uuid4().int % 1000}.{uuid.uuid4().int % 1000 + 1}"  # a sleep no one else runs
    command = f"sleep {marker}" if shape == "simple" else f"echo started; sleep {marker}; echo never"
    pool = ConnectionPool(settings(ssh_lab))
    conn = await pool.get(direct(ssh_lab, "a"))
    before = set(asyncio.all_tasks())
    lines: list[str] = []
    task = asyncio.create_task(run_streaming(conn, "a", command, lines.append, pty=pty))

    def remote_sleeps() -> list[str]:
        return subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True, check=False).stdout.split()

    deadline = time.monotonic() + 5
    while not remote_sleeps() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert remote_sleeps(), "the remote command did not start"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadline = time.monotonic() + 3
    while remote_sleeps() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not remote_sleeps(), "the remote process outlived the cancelled caller"
    assert set(asyncio.all_tasks()) <= before  # no task left running
    assert "never" not in lines
    # the connection is still usable for the next command
    assert (await output(conn, "echo still-here"))[1] == ["still-here"]
    await pool.close()


def signal_quietly(pid: int, sig: int) -> None:
    """Signal a process that may have ended since it was listed (a short-lived child of sshd)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


# ---- the pool -----------------------------------------------------------------------------------

async def test_pool_reuses_reconnects_and_closes(ssh_lab):
    ssh_lab.add("a")
    host = direct(ssh_lab, "a")
    pool = ConnectionPool(settings(ssh_lab))
    c1 = await pool.get(host)
    assert await pool.get(host) is c1 and served(ssh_lab, "a") == 1
    for pid in descendants(ssh_lab.hosts["a"].process.pid):  # the connection dies (sshd child killed)
        signal_quietly(pid, signal.SIGKILL)
    deadline = time.monotonic() + 3
    while not c1.is_closed() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    c2 = await pool.get(host)
    assert c2 is not c1 and (await output(c2, "echo again"))[1] == ["again"]
    await pool.close()
    assert c2.is_closed()
    deadline = time.monotonic() + 3
    while served(ssh_lab, "a") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert served(ssh_lab, "a") == 0


async def test_a_host_faster_than_its_consumer_is_held_back_by_the_channel_window(ssh_lab):
    """A slow consumer (as when the client is busy) must not let the output pile up in the client: the
    data held stays within about three SSH channel windows (remote.run.WINDOW: asyncssh's buffered pieces and their join,
    and what the resumed channel receives meanwhile), whatever the output's size (issue 8, log collection memory).
    Real sshd in its own process sends as fast as the window allows. Measured under load: 6.0-6.6 MB (4 windows
    held, 7.4-8.0 MB, before the reader let go of its window before the next read); asserted with most of a window
    to spare for the process's other allocations (tests/remote/test_receive_memory.py checks the release itself)."""
    import tracemalloc

    from wabiz_tui.remote.run import WINDOW

    ssh_lab.add("target")
    conn = await connect(direct(ssh_lab, "target"), settings(ssh_lab))
    total = 0

    def slow(batch: list[str]) -> None:
        nonlocal total
        total += sum(len(line) + 1 for line in batch)
        time.sleep(0.002)  # the consumer is slower than the loopback link

    tracemalloc.start()
    try:
        status = await run_streaming(conn, "t", "yes 0123456789012345678901234567890123456789 | head -n 1000000", None,
                                     on_lines=slow, timeout=120)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        conn.close()
    assert status == 0 and total == 41_000_000
    assert peak < 4 * WINDOW, f"{peak / 2**20:.1f} MB buffered at the peak"


async def test_a_stderr_line_written_in_pieces_stays_whole_beside_stdout(ssh_lab):
    """stdout and stderr are two streams of the channel: a stderr line written in pieces with a stdout line between
    them comes back whole (merged byte by byte it came back as ``cur000 0.1`` / ``l: (6) ...``, which hid curl's
    error line from doctor); and curl's own failure, through real bash, keeps its ``curl: (N)`` line."""
    ssh_lab.add("a")
    conn = await connect(direct(ssh_lab, "a"), settings(ssh_lab))
    try:
        status, lines = await output(conn, "printf cur >&2; sleep 0.3; echo '000 0.1'; sleep 0.3; "
                                           "echo 'l: (6) Could not resolve host: x.invalid' >&2; exit 6")
        assert status == 6
        assert sorted(lines) == ["000 0.1", "curl: (6) Could not resolve host: x.invalid"]
        if shutil.which("curl"):
            for _ in range(5):
                status, lines = await output(conn, "curl -sS -o /dev/null -w '%{http_code} %{time_total}\\n' "
                                                   "--max-time 3 https://127.0.0.1:1/")
                assert status == 7 and any(l.startswith("curl: (7) Failed to connect") for l in lines), lines
                assert any(re.fullmatch(r"000 [0-9.]+", l) for l in lines), lines
    finally:
        conn.close()
