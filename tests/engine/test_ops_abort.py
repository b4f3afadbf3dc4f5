"""Headless ``uninstall``, ``logs`` and ``demo --headless`` interrupted (Ctrl-C, SIGTERM) write the same abort
record as install/upgrade (run log, the journal where the procedure has one, exit 130); ``uninstall`` ends with a
report like install/upgrade (issue 17, trial). Against the simulated cluster over real SSH, the command a real
subprocess."""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

from tests.engine.test_abort_and_resume import interrupted
from tests.engine.test_ops_cli import cli
from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import load_profile
from wabiz_tui.workflows.journal import Journal


def slow_every_host(session, seconds: float) -> None:
    for h in session.profile.hosts:
        session.cluster.set_host_latency(h.external_hostname, seconds)


def run_folder(procedure: str) -> Path:
    """The newest run folder of ``procedure`` in the state directory's logs."""
    found = sorted(app_paths().logs.glob(f"*-{procedure}*"), key=lambda p: p.stat().st_mtime)
    assert found, list(app_paths().logs.iterdir())
    return found[-1]


def assert_private_report(folder: Path, outcome: str, secrets: list[str]) -> dict:
    data = json.loads((folder / "report.json").read_text())
    assert data["outcome"] == outcome, data
    for name in ("report.json", "report.md"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
        text = (folder / name).read_text()
        assert not [s for s in secrets if s and s in text]
    return data


async def test_uninstall_interrupted_records_the_abort_then_resumes(installed):
    profile = str(installed.profile_path)
    slow_every_host(installed, 60)  # the removal's commands hang on every host
    try:
        code, text = await interrupted(["uninstall", profile, "--yes", "--confirm-name", "demo"],
                                       "uninstall step 1", signal.SIGTERM)
    finally:
        slow_every_host(installed, 0)
    assert code == 130, text
    assert "ABORTED" in text and "uninstall step 1 (Remove the containers)" in text, text
    assert "recorded in the run log and the journal and the report" in text
    assert "continue with: wabiz-tui uninstall" in text and "--confirm-name demo" in text
    aborted = Journal.for_cluster(app_paths().journals, installed.profile, "uninstall").aborted()
    assert aborted is not None and aborted["procedure"] == "uninstall" and aborted["step"] == 1
    assert len(aborted["hosts"]) == len(installed.profile.hosts)
    folder = run_folder("uninstall")
    assert (folder / "run.log").read_text().startswith("ABORTED ")
    assert_private_report(folder, "aborted", [installed.profile.db.password])

    code, out, err = await cli("uninstall", profile, "--yes", "--confirm-name", "demo")
    assert code == 0, out + err
    report = next(line.split(": ", 1)[1].split(" (and")[0] for line in out.splitlines() if line.startswith("report: "))
    data = assert_private_report(Path(report).parent, "done", [installed.profile.db.password])
    assert data["procedure"] == "uninstall" and data["volumes"] == "kept" and data["health_before_measured"]
    assert [s["number"] for s in data["steps"]] == [1] and data["steps"][0]["ok"] is True
    assert not load_profile(installed.profile_path).installed


async def test_logs_interrupted_records_the_abort(installed, tmp_path):
    slow_every_host(installed, 60)
    try:
        code, text = await interrupted(["logs", str(installed.profile_path), "--out", str(tmp_path / "out")],
                                       "logs step 1", signal.SIGINT)
    finally:
        slow_every_host(installed, 0)
    assert code == 130, text
    assert "ABORTED" in text and "logs step 1 (Collect logs)" in text and "recorded in the run log" in text, text
    assert "run the same command again to collect the logs" in text
    assert "procedures with a journal resume" not in text  # the generic words do not fit a collection
    assert (run_folder("logs") / "run.log").read_text().startswith("ABORTED ")


async def test_demo_headless_interrupted_records_the_abort(tmp_path):
    code, text = await interrupted(["demo", "--headless", "--workdir", str(tmp_path / "sim")], "step 2", signal.SIGTERM)
    assert code == 130, text
    assert "ABORTED" in text and "interrupted by Ctrl-C or SIGTERM" in text, text
    assert "start again with wabiz-tui demo --headless" in text
    assert (run_folder("install") / "run.log").read_text().startswith("ABORTED ")
