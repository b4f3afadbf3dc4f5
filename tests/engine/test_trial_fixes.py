"""A fresh-user trial on the simulator: install after an uninstall that kept the volumes (the number stays
registered), a wrong DB password refused before db.env is overwritten, health inside the grace after a
start, logs naming the real connection error."""

from __future__ import annotations

from tests.engine.conftest import settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.workflows.events import Message, StepFinished
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.uninstall import Uninstall


async def _uninstall(session, tmp_path) -> None:
    wf = Uninstall(session.profile, emit=Recorder(), settings=settings_for(session, tmp_path, profile_path=session.profile_path))
    try:
        assert await wf.run("demo")
    finally:
        await wf.close()
    session.profile = session.profile.with_changes(installed=False)


async def test_install_after_uninstall_with_volumes_kept_skips_registration(installed, tmp_path):
    await _uninstall(installed, tmp_path)
    sent = len(installed.cluster.sms_outbox)
    events = Recorder()
    wf = HaInstall(installed.profile, emit=events, settings=settings_for(installed, tmp_path, profile_path=installed.profile_path))

    async def code(_req):
        raise AssertionError("no code may be asked: the number is registered on the kept DB")
    try:
        assert await wf.run_all(code), events.text()
    finally:
        await wf.close()
    finished = {e.number: e for e in events.of(StepFinished)}
    assert finished[7].ok and "registered" in finished[7].summary.lower(), finished[7]
    assert finished[8].ok and "already registered" in finished[8].summary, finished[8]
    assert finished[9].ok and "healthy" in finished[9].summary
    assert len(installed.cluster.sms_outbox) == sent


async def test_step_7_is_never_silent_while_it_waits(demo, tmp_path, monkeypatch):
    from wabiz_tui.workflows import base

    monkeypatch.setattr(base, "PROGRESS_EVERY", 0.3)
    events = Recorder()
    # nothing installed: the Webapp does not answer, step 7 waits until its timeout
    wf = HaInstall(demo.profile, emit=events, settings=settings_for(demo, tmp_path, health_timeout=1.5))
    try:
        assert not await wf.step_health()
    finally:
        await wf.close()
    waiting = [e.text for e in events.of(Message) if e.text.startswith("step 7: still waiting")]
    assert len(waiting) >= 2 and " s of 2 s: " in waiting[0], events.text()


async def test_a_wrong_db_password_is_refused_before_db_env_is_overwritten(installed):
    import dataclasses

    from wabiz_tui.config.profile import save_profile
    from wabiz_tui.domain.render import DB_ENV_FILE

    from .test_install_resume import finish, start

    files = {}
    for h in installed.profile.hosts:
        path = installed.cluster.host_root(h.external_hostname) / h.remote_dir.lstrip("/") / DB_ENV_FILE
        files[path] = path.read_bytes()
    profile = installed.profile.with_changes(db=dataclasses.replace(installed.profile.db, password="not-the-password"))
    save_profile(profile, installed.profile_path)
    code, out, err = await finish(await start("install", str(installed.profile_path), "--yes", "-v"))
    assert code == 1, out + err
    assert "DB login refused" in out and "db.password" in out, out
    assert "uploaded db.env" not in out and "uploading db.env" not in out, out
    assert all(path.read_bytes() == before for path, before in files.items())
    assert "not-the-password" not in out + err


async def test_health_just_after_the_start_says_starting_within_the_grace(demo, tmp_path, capsys):
    import json

    from wabiz_tui.config.runstate import read_run_state
    from wabiz_tui.cli.health import run_health

    demo.cluster.speed = 1.0  # nodes answer 1011 for the simulator's whole start delay
    wf = HaInstall(demo.profile, emit=Recorder(), settings=settings_for(demo, tmp_path))
    try:
        for number in range(1, 6):
            assert await wf.run_step(number)
    finally:
        await wf.close()
    assert isinstance((read_run_state(demo.profile) or {}).get("started_at"), float)
    # first install (unregistered), and a registered cluster started again: both inside the grace
    for profile in (demo.profile, demo.profile.with_changes(installed=True)):
        capsys.readouterr()
        await run_health(profile, as_json=True, watch=False, interval=1.0)
        result = json.loads(capsys.readouterr().out.splitlines()[0])
        nodes = result["verdict"]["nodes"]
        assert nodes and all(n["reason"] == "starting: Service not ready (1011)" and n["level"] == "waiting" for n in nodes), nodes
        assert result["verdict"]["level"] == "waiting", result["verdict"]


async def test_logs_name_the_real_connection_error(demo, tmp_path):
    """A missing key file: logs says so, as install does, not "docker did not answer the probe"."""
    from pathlib import Path

    from wabiz_tui.workflows.events import HostFinished
    from wabiz_tui.workflows.logs import LogCollection, LogRequest

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


async def test_cli_uninstall_then_install_ends_healthy_without_registering(installed):
    from .test_install_resume import finish, start

    profile = str(installed.profile_path)
    code, out, err = await finish(await start("uninstall", profile, "--yes", "--confirm-name", "demo"))
    assert code == 0, out + err
    sent = len(installed.cluster.sms_outbox)
    code, out, err = await finish(await start("install", profile, "--yes"))
    assert code == 0, out + err
    assert "step 8 skipped" in out and "Not ready for registration" not in out, out
    assert out.strip().splitlines()[-1].startswith("verdict: HA healthy"), out
    assert len(installed.cluster.sms_outbox) == sent
