"""An operator's abort (quit, Ctrl-C, SIGTERM) is written to the run log and the journal; an aborted upgrade
resumes (engine and ``upgrade --resume``); every run ends with a report, secrets masked (issue 17, defects 1
and "Reports"). Against the simulated cluster over real SSH."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from tests.engine.test_ha_install import Recorder
from tests.engine.test_ops_cli import cli
from tests.support import settings_for
from wabiz_tui.config.profile import load_profile
from wabiz_tui.workflows.report import record_abort, recorded, write_report
from wabiz_tui.workflows.upgrade import Upgrade, interrupted_upgrade, upgrade_journal

BACKUP_PASSWORD = "Backup-pass-2026"


async def until(predicate, what: str, timeout: float = 30.0) -> None:
    end = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def slow_webapps(session, seconds: float) -> None:
    for h in session.profile.hosts:
        if any(r.value == "webapp" for r in h.roles):
            session.cluster.set_host_latency(h.external_hostname, seconds)


async def test_an_aborted_upgrade_is_recorded_then_resumes(installed, tmp_path):
    journals = tmp_path / "journals"
    events = Recorder()
    settings = settings_for(installed, tmp_path, profile_path=installed.profile_path)
    settings.journal = upgrade_journal(journals, installed.profile, "2.43.1")
    wf = Upgrade(installed.profile, emit=events, settings=settings, target="2.43.1", backups_dir=tmp_path / "backups")
    slow_webapps(installed, 60)  # step 3's up -d hangs on the Webapp hosts
    task = asyncio.create_task(recorded(wf, wf.run(BACKUP_PASSWORD)))
    try:
        await until(lambda: wf.record.running is not None and wf.record.running.number == 3, "step 3 to run")
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("the cancelled run returned")
    finally:
        await wf.close()
        slow_webapps(installed, 0)
    webapps = sorted(h.external_hostname for h in installed.profile.hosts if any(r.value == "webapp" for r in h.roles))
    # the run log: a run.log line and the line in every host file opened
    folder = wf._runlog.directory
    run_log = (folder / "run.log").read_text()
    assert run_log.startswith("ABORTED ") and "upgrade step 3 (Upgrade Webapps)" in run_log, run_log
    assert all(h in run_log for h in webapps) and "interrupted by Ctrl-C or SIGTERM" in run_log
    assert all("ABORTED " in (folder / f"{h}.log").read_text() for h in webapps)
    # the journal
    found = interrupted_upgrade(journals, installed.profile)
    assert found is not None and found.target == "2.43.1" and found.backed_up
    assert found.aborted["step"] == 3 and sorted(found.aborted["hosts"]) == webapps
    assert "aborted during step 3 (Upgrade Webapps)" in found.note
    # the report says aborted, with the running step and no secret
    report = json.loads((folder / "report.json").read_text())
    assert report["outcome"] == "aborted" and report["aborted"].startswith("ABORTED")
    assert [s["number"] for s in report["steps"]] == [1, 3] and report["steps"][1]["ok"] is None
    md = (folder / "report.md").read_text()
    assert "running (aborted)" in md
    for text in (md, json.dumps(report), run_log):
        assert BACKUP_PASSWORD not in text and installed.profile.db.password not in text

    # resumed: the same journal; the backup is kept (no password given), the Webapps done again, then the rest
    events = Recorder()
    settings = settings_for(installed, tmp_path, profile_path=installed.profile_path)
    settings.journal = found.journal
    wf = Upgrade(installed.profile, emit=events, settings=settings, target=found.target, backups_dir=tmp_path / "backups")
    try:
        assert await wf.run(""), events.text()
        path = write_report(wf, "done")
    finally:
        await wf.close()
    assert "settings already backed up in an earlier run" in events.text()
    assert load_profile(installed.profile_path).wa_api_version == "2.43.1"
    assert interrupted_upgrade(journals, installed.profile) is None  # finished: the journal is cleared
    data = json.loads(path.with_suffix(".json").read_text())
    assert data["outcome"] == "done" and [s["number"] for s in data["steps"]] == [1, 3, 4, 5, 6]
    assert data["versions"] == {"wa_api_version": "2.43.1", "source": "2.41.2", "target": "2.43.1"}
    assert all(s["seconds"] is not None for s in data["steps"]) and data["health_after"]["level"] == "ok"


async def test_abort_between_steps_and_without_a_run_log(installed, tmp_path):
    wf = Upgrade(installed.profile, emit=Recorder(), settings=settings_for(installed), target="2.43.1")
    try:
        record = record_abort(wf, "quit from the TUI")
    finally:
        await wf.close()
    assert record["step"] is None and "upgrade between steps: quit from the TUI" in record["line"]
    assert write_report(wf, "aborted") is None  # no run log folder: nothing written, nothing raised


async def interrupted(args: list[str], started: str, signum: int, env: dict | None = None) -> tuple[int, str]:
    """Run ``wabiz-tui args`` until a line starts with ``started``, send ``signum``; (exit status, stdout + stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wabiz_tui", *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=os.environ | (env or {}))
    seen: list[str] = []
    try:
        while not any(line.startswith(started) for line in seen):
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            if not line:  # it ended before the awaited line: show why (its stderr and status)
                err = await asyncio.wait_for(proc.stderr.read(), 30)
                status = await asyncio.wait_for(proc.wait(), 30)
                raise AssertionError(f"ended (status {status}) before {started!r}:\n{''.join(seen)}{err.decode()}")
            seen.append(line.decode())
        proc.send_signal(signum)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
    return proc.returncode, "".join(seen) + out.decode() + err.decode()


async def test_upgrade_resume_command_and_sigterm(installed):
    profile = str(installed.profile_path)
    code, _, err = await cli("upgrade", profile, "--resume", "--yes")
    assert code == 2 and "no unfinished upgrade of cluster 'demo'" in err
    slow_webapps(installed, 60)
    try:
        code, text = await interrupted(["upgrade", profile, "--to", "2.43.1", "--yes"], "upgrade step 3", signal.SIGTERM,
                                       {"WABIZ_BACKUP_PASSWORD": BACKUP_PASSWORD})
    finally:
        slow_webapps(installed, 0)
    assert code == 130, text
    assert "ABORTED" in text and "upgrade step 3 (Upgrade Webapps)" in text and "--resume --yes" in text
    assert "and the report " in text
    # the API answers as for any cluster: `health` adds the stopped upgrade and the command that continues it (trial)
    code, out, err = await cli("health", profile)
    assert "upgrade 2.41.2 → 2.43.1 stopped midway (aborted during step 3 (Upgrade Webapps))" in out, out + err
    assert code == 1 and "--resume --yes" in out, out + err  # degraded: nodes may run two versions
    code, out, err = await cli("health", profile, "--json")
    assert json.loads(out.splitlines()[0])["upgrade_stopped"]["target"] == "2.43.1", out
    code, out, err = await cli("upgrade", profile, "--resume", "--yes")  # no password: the backup is kept
    assert code == 0, out + err
    assert "An upgrade 2.41.2 → 2.43.1 aborted during step 3 (Upgrade Webapps)" in out
    assert "report: " in out and load_profile(installed.profile_path).wa_api_version == "2.43.1"


async def test_install_interrupted_by_ctrl_c_records_the_abort(demo):
    from wabiz_tui.config.paths import app_paths
    from wabiz_tui.workflows.journal import Journal

    for h in demo.profile.hosts:  # the preflight's host checks (before step 1) hang on every host
        demo.cluster.set_host_latency(h.external_hostname, 60)
    try:
        code, text = await interrupted(["install", str(demo.profile_path), "--yes"], "preflight step 2: Host checks",
                                       signal.SIGINT)
    finally:
        for h in demo.profile.hosts:
            demo.cluster.set_host_latency(h.external_hostname, 0)
    assert code == 130, text
    assert "ABORTED" in text and "preflight step 2 (Host checks)" in text and "continue with: wabiz-tui install" in text
    aborted = Journal.for_cluster(app_paths().journals, demo.profile, "install").aborted()
    assert aborted is not None and (aborted["procedure"], aborted["step"]) == ("preflight", 2)
    assert aborted["reason"] == "interrupted by Ctrl-C or SIGTERM" and len(aborted["hosts"]) == len(demo.profile.hosts)
