"""The HA install through real OpenSSH servers, real bash and real SFTP (issue: works on real hosts)."""

from __future__ import annotations

import os
import stat

from tests.engine.test_ha_install import Recorder
from wabiz_tui.domain.health import Level
from wabiz_tui.remote.ssh import SshSettings
from wabiz_tui.workflows.events import HostFinished, HostOutput
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.settings import RunSettings


async def test_ha_install_over_real_openssh(openssh_cluster, tmp_path):
    session, profile, known, _ = openssh_cluster
    events = Recorder()
    # no preflight here: its name checks need the demo host names in this machine's DNS (tests/engine covers it)
    settings = RunSettings(ssh=SshSettings(known_hosts=[known], read_user_config=False), poll_interval=0.1, state_window=0.3,
                           health_timeout=30, grace=2.0, preflight=False)
    wf = HaInstall(profile, emit=events, settings=settings)
    try:
        async def code(_req):
            return session.cluster.sms_outbox[-1][1]
        assert await wf.run_all(code), events.text()
    finally:
        await wf.close()
    assert wf.last_verdict.level is Level.OK and wf.last_verdict.shards_served == 1
    # db.env was written by OpenSSH's SFTP server with mode 600
    for h in profile.hosts:
        env = os.path.join(h.remote_dir, "db.env")
        assert stat.S_IMODE(os.stat(env).st_mode) == 0o600
    # compose ran on each host through bash with the variables on the command line
    assert any(e.host == "wa-core-1" and "Creating biz_wacore_1" in e.line for e in events.of(HostOutput))
    assert all(e.ok for e in events.of(HostFinished))


async def test_openssh_drops_client_environment_so_variables_go_on_the_command_line(openssh_cluster):
    import asyncssh

    _, profile, known, hosts = openssh_cluster
    h = profile.hosts[0]
    async with asyncssh.connect("127.0.0.1", h.ssh.port, username=h.ssh.user, client_keys=[h.ssh.key_file],
                                known_hosts=str(known), config=None, agent_path=None) as conn:
        sent = await conn.run("echo ${WA_API_VERSION:-unset}", env={"WA_API_VERSION": "2.41.2"}, check=True)
        inline = await conn.run("WA_API_VERSION=2.41.2 sh -c 'echo $WA_API_VERSION'", check=True)
    assert sent.stdout.strip() == "unset"
    assert inline.stdout.strip() == "2.41.2"


async def test_log_collection_over_real_openssh(openssh_cluster, tmp_path):
    from wabiz_tui.workflows.logs import LogCollection, LogRequest

    session, profile, known, _ = openssh_cluster
    settings = RunSettings(ssh=SshSettings(known_hosts=[known], read_user_config=False), poll_interval=0.1, state_window=0.3,
                           health_timeout=30, grace=2.0, preflight=False)
    wf = HaInstall(profile, emit=Recorder(), settings=settings)
    try:
        assert await wf.run_all(lambda _r: _code(session))
    finally:
        await wf.close()
    events = Recorder()
    logs = LogCollection(profile, emit=events, settings=settings)
    try:
        assert await logs.collect(LogRequest(), tmp_path / "out"), events.text()
    finally:
        await logs.close()
    assert set(logs.files) == {h.external_hostname for h in profile.hosts}
    core = logs.files["wa-core-1"].read_text()
    assert "Starting Coreapp node wa-core-1" in core
    assert profile.db.password not in "".join(p.read_text() for p in logs.files.values())


async def _code(session):
    return session.cluster.sms_outbox[-1][1]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


async def test_cancelled_log_collection_leaves_no_remote_process(openssh_cluster, tmp_path):
    """The tests log in as root, for whom OpenSSH refuses SSH signal requests: only the PTY that long
    commands get (closed on cancel: SIGHUP) ends the remote ``docker-compose logs`` here. The remote
    process is silent (the simulated host behind the shim is slow), so nothing else would end it."""
    import asyncio
    import time

    from tests.openssh.conftest import descendants
    from wabiz_tui.workflows.logs import LogCollection, LogRequest

    session, profile, known, hosts = openssh_cluster
    host = next(o for o in hosts if o.name == "wa-core-1")
    settings = RunSettings(ssh=SshSettings(known_hosts=[known], read_user_config=False), preflight=False, state_window=0.3)
    logs = LogCollection(profile, emit=Recorder(), settings=settings)
    request = LogRequest(hosts=("wa-core-1",), tail=1)
    try:
        await logs.collect(request, tmp_path / "first")  # connects and probes docker once, quickly

        def remote_logs() -> list[int]:
            return [p for p in descendants(host.process.pid) if "logs --no-color" in _cmdline(p)]

        session.cluster.set_host_latency("wa-core-1", 30)
        before = set(asyncio.all_tasks())
        task = asyncio.create_task(logs.collect(request, tmp_path / "second"))
        deadline = time.monotonic() + 10
        while not remote_logs() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert remote_logs(), "the remote docker-compose logs did not start"
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        deadline = time.monotonic() + 3
        while remote_logs() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not remote_logs(), [_cmdline(p) for p in remote_logs()]
        assert not [t for t in asyncio.all_tasks() - before if not t.done()]
    finally:
        session.cluster.set_host_latency("wa-core-1", 0)
        await logs.close()
