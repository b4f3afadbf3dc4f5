"""``wabiz-tui logs`` (issue 17.9): the run's folder goes where F4 puts it (the state directory's logs folder)
unless ``--output`` says otherwise, the path is said; a host where the cluster is not installed is reported as
such, with "run install first", not as a docker problem."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from wabiz_tui.config.paths import app_paths
from wabiz_tui.workflows.logs import compose_file_missing

#: this worktree (the subprocess must run its code, not the editable install's)
ROOT = Path(__file__).resolve().parents[2]


async def cli(*args: str, cwd) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", *args, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                cwd=cwd, env=os.environ | {"PYTHONPATH": str(ROOT)})
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


async def test_logs_go_to_the_state_directory_by_default_and_to_output_when_given(installed, tmp_path):
    here = tmp_path / "cwd"
    here.mkdir()
    code, out, err = await cli("logs", str(installed.profile_path), "--service", "wacore", cwd=here)
    assert code == 0, out + err
    logs = app_paths().logs
    assert f"logs go to {logs}" in out
    files = [line.split(": ", 1)[1].split(" (")[0] for line in out.splitlines() if "debug_output.txt (" in line]
    assert len(files) == 5 and all(f.startswith(str(logs) + os.sep) for f in files), files
    assert not any(here.iterdir()), "nothing is written into the current directory"
    chosen = tmp_path / "chosen"
    code, out, err = await cli("logs", str(installed.profile_path), "--service", "wacore", "--output", str(chosen), cwd=here)
    assert code == 0, out + err
    assert f"logs go to {chosen}" in out and len(list(chosen.glob("*/*/debug_output.txt"))) == 5


async def test_logs_on_a_cluster_not_installed_say_so(demo, tmp_path):
    code, out, err = await cli("logs", str(demo.profile_path), "--output", str(tmp_path / "out"), cwd=tmp_path)
    assert code == 1, out + err
    assert "wa-web-1: not installed (" in out and "run install first" in out, out
    # trial s8 N11: the host was named twice, ``wa-web-1: not installed on wa-web-1``
    assert "not installed on wa-" not in out, out
    # s9: the step line says the host once, and no retry is offered after "run install first"
    assert "logs step 1 wa-web-1: FAILED: not installed (" in out and "wa-web-1: wa-web-1" not in out, out
    assert "a retry" not in out, out
    assert "check docker" not in out and "may be partial" not in out
    assert not list((tmp_path / "out").glob("*/*/debug_output.txt")), "no file of compose's error posing as logs"


def test_compose_file_missing_reads_compose_v1_and_v2():
    path = "/home/wa/biz/prod-multiconnect-compose.yml"
    # docker-compose 1.29.2 here, -f a missing file (stderr, exit 1)
    assert compose_file_missing([f".FileNotFoundError: [Errno 2] No such file or directory: '{path}'"], path)
    assert compose_file_missing([f"open {path}: no such file or directory"], path)
    assert not compose_file_missing(["ERROR: Couldn't connect to Docker daemon at http+docker://localhost"], path)
    assert not compose_file_missing(["cat: /etc/x: No such file or directory"], path)


async def test_health_on_a_cluster_not_installed_says_so(demo, tmp_path):
    """Before: ``FAILING: the Webapp ... is unreachable`` (exit 2) on a served demo nobody installed yet."""
    code, out, err = await cli("health", str(demo.profile_path), cwd=tmp_path)
    assert code == 3, out + err
    assert "demo is not installed" in out and f"run wabiz-tui install {demo.profile_path} first" in out, out
    assert "unreachable" not in out


async def test_logs_on_a_cluster_uninstalled_say_so_and_write_nothing(installed, tmp_path):
    """Before (trial s8 M6): ``done on 5 host(s)``, five 0-byte debug_output.txt, exit 0."""
    import time

    from wabiz_tui.config.runstate import write_run_state

    write_run_state(installed.profile, installed=False, uninstalled_at=time.time())
    out_dir = tmp_path / "out"
    code, out, err = await cli("logs", str(installed.profile_path), "--output", str(out_dir), cwd=tmp_path)
    assert code == 1, out + err
    assert "not installed (uninstalled at " in out and "no logs to collect" in out, out
    assert "done on" not in out and not list(out_dir.rglob("*.txt")), "no empty file posing as a log"
