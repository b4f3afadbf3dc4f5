"""Log collection into debug_output.txt against the simulator: all hosts, one service, redaction,
an unreachable host, the support bundle."""

from __future__ import annotations

import tarfile

from tests.support import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.workflows.events import HostFinished, Progress, StepFinished
from wabiz_tui.workflows.logs import LogCollection, LogRequest


def running(cluster, host: str, service: str):
    return next(c for c in cluster.brain.on_host(host) if c.running and c.service == service)


async def test_collect_all_hosts_redacts_secrets_and_bundles(installed, tmp_path):
    cluster, profile = installed.cluster, installed.profile
    secrets = [profile.db.password, profile.webapp.admin_password, profile.registration.cert]
    # put known secrets into a container's log, as a misconfigured app might
    c = running(cluster, "wa-core-1", "wacore")
    for s in secrets:
        cluster.brain.log(c, f"connecting to db with password={s}")
    events = Recorder()
    wf = LogCollection(profile, emit=events, settings=settings_for(installed, tmp_path))
    try:
        assert await wf.collect(LogRequest(), tmp_path / "out"), events.text()
        assert await wf.bundle(), events.text()
    finally:
        await wf.close()
    files = {h: p for h, p in wf.files.items()}
    assert set(files) == {h.external_hostname for h in profile.hosts}
    assert all(p.name == "debug_output.txt" and p.parent.parent == wf.directory for p in files.values())
    assert wf.directory.name.startswith("demo-")
    core = files["wa-core-1"].read_text()
    assert "connecting to db with password=********" in core
    everything = b"".join(p.read_bytes() for p in wf.directory.rglob("*") if p.is_file())
    with tarfile.open(wf.bundle_path) as tar:
        names = tar.getnames()
        everything += b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    for s in secrets:
        assert s.encode() not in everything
    assert any(n.endswith("health.json") for n in names) and any(n.endswith("support.json") for n in names)
    assert any(n.endswith("wa-web-1/ps.txt") for n in names)
    assert [e for e in events.of(Progress) if e.total is not None]


async def test_one_service_one_host_with_tail(installed, tmp_path):
    events = Recorder()
    wf = LogCollection(installed.profile, emit=events, settings=settings_for(installed, tmp_path))
    try:
        assert await wf.collect(LogRequest(hosts=("wa-master-1",), service="master", tail=2), tmp_path)
    finally:
        await wf.close()
    assert list(wf.files) == ["wa-master-1"]
    lines = wf.files["wa-master-1"].read_text().splitlines()
    # compose v1 (the simulated hosts' default, as 1.29.2 here): "Attaching to …", then "<service>_1  | " prefixes
    assert lines[0] == "Attaching to biz_master_1"
    assert 0 < len(lines[1:]) <= 2 and all(l.startswith("master_1  | ") for l in lines[1:])


async def test_an_unreachable_host_is_reported_while_the_others_finish(installed, tmp_path):
    installed.cluster.set_host_unreachable("wa-core-2", True)
    events = Recorder()
    wf = LogCollection(installed.profile, emit=events, settings=settings_for(installed, tmp_path))
    try:
        assert not await wf.collect(LogRequest(), tmp_path)
    finally:
        await wf.close()
    failed = [e for e in events.of(HostFinished) if not e.ok]
    assert [e.host for e in failed] == ["wa-core-2"]
    assert len(wf.files) == 4
    assert "failed on 1 of 5" in events.of(StepFinished)[-1].summary


async def test_bad_options_are_refused_naming_them(installed, tmp_path):
    events = Recorder()
    wf = LogCollection(installed.profile, emit=events, settings=settings_for(installed, tmp_path))
    try:
        assert not await wf.collect(LogRequest(hosts=("nope",), since="yesterday"), tmp_path)
    finally:
        await wf.close()
    summary = events.of(StepFinished)[-1].summary
    assert "--host: 'nope'" in summary


async def test_since_on_a_v1_host_collects_real_logs_per_container(installed, tmp_path):
    """Issue 13 item 2: docker-compose 1.29 has no ``logs --since`` (it prints its usage, exit 0); on a v1
    host the collection uses ``docker logs --since`` per container, with compose v1's prefixes."""
    for h in installed.profile.hosts:
        installed.cluster.set_compose_flavours(h.external_hostname, v2=False, v1=True)
    events = Recorder()
    wf = LogCollection(installed.profile, emit=events, settings=settings_for(installed, tmp_path))
    try:
        assert await wf.collect(LogRequest(hosts=("wa-core-1",), since="1h"), tmp_path), events.text()
    finally:
        await wf.close()
    text = wf.files["wa-core-1"].read_text()
    assert "Usage:" not in text
    lines = text.splitlines()
    assert lines and all(line.startswith("wacore_1  | ") for line in lines)


async def test_a_usage_answer_is_never_reported_as_collected_logs(installed, tmp_path, monkeypatch):
    """Whatever makes compose answer with its usage (an option this host's compose lacks), the file is not
    reported as collected logs."""
    from wabiz_tui.domain import commands

    for h in installed.profile.hosts:
        installed.cluster.set_compose_flavours(h.external_hostname, v2=False, v1=True)
    # pretend v1 had --since: compose then answers with its usage text, as the product did before the fix
    monkeypatch.setitem(commands.LOGS_OPTIONS, commands.COMPOSE_V1, commands.LOGS_OPTIONS[commands.COMPOSE_V2])
    events = Recorder()
    wf = LogCollection(installed.profile, emit=events, settings=settings_for(installed, tmp_path))
    try:
        assert not await wf.collect(LogRequest(hosts=("wa-core-1",), since="1h"), tmp_path)
    finally:
        await wf.close()
    assert wf.files == {}
    assert "answered with its usage text, not logs" in events.of(StepFinished)[-1].summary


def test_runs_started_in_the_same_second_get_their_own_log_folders(tmp_path):
    """Issue 13 item 10: an install and its preflight (or two runs) started in the same second never share a folder."""
    from wabiz_tui.workflows.runlog import RunLog, unique_directory

    logs = [RunLog(tmp_path, "demo", "install"), RunLog(tmp_path, "demo", "preflight"), RunLog(tmp_path, "demo", "install")]
    for i, log in enumerate(logs):
        log.write("wa-web-1", f"line of run {i}")
        log.close()
    assert len({log.directory for log in logs}) == 3
    assert logs[0].directory.name.endswith("-install") and logs[2].directory.name.endswith("-install-2")
    for i, log in enumerate(logs):
        assert (log.directory / "wa-web-1.log").read_text() == f"line of run {i}\n"
    assert unique_directory(tmp_path, "x") != unique_directory(tmp_path, "x")


async def test_a_container_log_ended_by_a_signal_is_not_hidden_by_the_next_container(installed, tmp_path):
    """Found by mypy (``int | None`` into an ``int``): on a v1 host with ``--since``, a ``docker logs`` ended by a
    signal (status None) was forgotten when the next container's logs succeeded, and the host reported done."""
    for h in installed.profile.hosts:
        installed.cluster.set_compose_flavours(h.external_hostname, v2=False, v1=True)
    events = Recorder()
    wf = LogCollection(installed.profile, emit=events, settings=settings_for(installed, tmp_path))
    real_run = wf._run
    logs_runs: list[str] = []

    async def run(host, command, on_line=None, **kw):
        seen: list[str] = []

        def tee(line: str) -> None:
            seen.append(line)
            on_line(line)

        status = await real_run(host, command, tee if on_line else None, **kw)
        if "ps -q wacore" in command and seen:
            on_line(seen[-1])  # the container listed twice: two docker logs runs on this host
        if "docker logs" in command:
            logs_runs.append(command)
            if len(logs_runs) == 1:
                return None  # the first one ends on a signal
        return status

    wf._run = run
    try:
        assert not await wf.collect(LogRequest(hosts=("wa-core-1",), since="1h"), tmp_path), events.text()
    finally:
        await wf.close()
    assert len(logs_runs) == 2
    assert "exited with status None" in events.of(StepFinished)[-1].summary


async def test_logs_name_the_real_connection_error(demo, tmp_path):
    """A missing key file: logs says so, as install does, not "docker did not answer the probe"."""
    from pathlib import Path


    for key in {h.ssh.key_file for h in demo.profile.hosts if h.ssh.key_file}:
        Path(key).unlink()
    events = Recorder()
    wf = LogCollection(demo.profile, emit=events, settings=settings_for(demo, tmp_path))
    try:
        assert not await wf.collect(LogRequest(), tmp_path)
    finally:
        await wf.close()
    failed = [e for e in events.of(HostFinished) if not e.ok]
    assert len(failed) == len(demo.profile.hosts), events.text()
    assert all("does not exist" in e.error and "docker did not answer" not in e.error for e in failed), events.text()
