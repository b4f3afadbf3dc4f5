"""An uninstall stopped midway (issue 17, trial): after Ctrl-C ``health`` said "the Webapp … is unreachable — check
that the waweb container is running"; it now says the uninstall stopped midway and gives the command that continues
it, and that command (the same uninstall again) finishes it. The uninstall's report gives each host's outcome as the
console does. Against the simulated cluster over real SSH/HTTPS, the commands real subprocesses."""

from __future__ import annotations

import shlex
import signal

from tests.engine.test_abort_and_resume import interrupted
from tests.engine.test_ha_install import Recorder
from tests.engine.test_ops_abort import run_folder
from tests.engine.test_ops_cli import cli
from tests.support import settings_for
from wabiz_tui.config.profile import load_profile
from wabiz_tui.workflows.report import write_report
from wabiz_tui.workflows.uninstall import Uninstall


def hosts_table(folder) -> dict[str, str]:
    """host → outcome cell of the report.md's Hosts table."""
    text = (folder / "report.md").read_text()
    rows = text.split("## Hosts", 1)[1].split("##", 1)[0].splitlines()
    assert "| host | roles | outcome |" in rows, text
    return {cells[0]: cells[2] for cells in ([c.strip() for c in r.strip("|").split("|")] for r in rows[4:] if r.startswith("|"))}


async def test_health_after_ctrl_c_in_uninstall_says_how_to_continue_and_that_finishes_it(installed):
    profile, cluster = str(installed.profile_path), installed.cluster
    others = [h.external_hostname for h in installed.profile.hosts if h.external_hostname != "wa-web-1"]
    for name in others:  # their removal hangs: Ctrl-C comes once the Webapp's host is removed
        cluster.set_host_latency(name, 60)
    try:
        code, text = await interrupted(["uninstall", profile, "--yes", "--confirm-name", "demo"],
                                       "  uninstall step 1 wa-web-1: ok", signal.SIGINT)
    finally:
        for name in others:
            cluster.set_host_latency(name, 0)
    assert code == 130, text
    aborted = hosts_table(run_folder("uninstall"))
    assert aborted["wa-web-1"] == "removed, volumes kept" and aborted["wa-core-1"].startswith("not reached"), aborted

    code, out, err = await cli("health", profile)
    assert code == 2, out + err
    assert "FAILING: uninstall stopped midway" in out and "check that the waweb container" not in out, out
    again = f"wabiz-tui uninstall {profile} --yes --confirm-name demo"
    assert f"next: continue it: {again}\n" in out, out

    code, out, err = await cli(*shlex.split(again)[1:])
    assert code == 0, out + err
    assert "wa-web-1: already removed in an earlier run" in out and "wa-core-1: removed, volumes kept" in out, out
    done = hosts_table(run_folder("uninstall"))
    assert done["wa-web-1"].startswith("already removed") and done["wa-master-2"] == "removed, volumes kept", done
    assert not load_profile(installed.profile_path).installed
    code, out, err = await cli("health", profile)
    assert code == 0 and "NOT INSTALLED" in out and "stopped midway" not in out, out + err


async def test_the_report_gives_a_failed_host_its_error_line(installed, tmp_path):
    installed.cluster.set_host_unreachable("wa-master-2", True)
    wf = Uninstall(installed.profile, emit=Recorder(), settings=settings_for(installed, tmp_path))
    try:
        assert not await wf.run("demo")
        report = write_report(wf, "failed")
    finally:
        await wf.close()
    rows = hosts_table(report.parent)
    assert rows["wa-core-1"] == "removed, volumes kept"
    # the row is the host's: its cause says what failed, the host's name is not said again inside it
    assert rows["wa-master-2"].startswith("FAILED: ") and "connection refused" in rows["wa-master-2"], rows
    assert "wa-master-2" not in rows["wa-master-2"] and rows["wa-master-2"].count("127.0.0.1") == 1, rows
    assert rows["wa-master-2"] == wf.outcomes["wa-master-2"].replace("|", "\\|")
