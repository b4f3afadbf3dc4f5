"""The state directories' write check is remembered with the state it checked (issue 17): a directory that passed is
not written and fsynced again on the next run's key, and a read-only remount, a chmod or a replaced directory is
probed again and refused. The read-only case mounts a real tmpfs (root; skipped locally without it, a failure in CI)."""

from __future__ import annotations

import subprocess
import sys

from wabiz_tui.config.write_check import WriteCheck

from .test_local_problems import small_fs  # noqa: F401 - the fixture


def test_a_passed_directory_is_not_probed_again_until_it_changes(tmp_path):
    check = WriteCheck()
    dirs = [tmp_path / "a", tmp_path / "b"]
    assert check.problems(dirs) == [] and check.probes == 2
    assert check.problems(dirs) == [] and check.probes == 2  # unchanged: no file written
    (tmp_path / "a").chmod(0o500)
    check.problems(dirs)
    assert check.probes == 3  # the changed one only
    (tmp_path / "a").chmod(0o700)


def test_a_failure_is_never_remembered(tmp_path):
    check = WriteCheck()
    blocker = tmp_path / "file"
    blocker.write_text("")
    for _ in range(2):
        problems = check.problems([blocker / "state"])
        assert len(problems) == 1 and "Not a directory" in problems[0]
    assert check.probes == 2


def test_a_remount_read_only_after_a_pass_is_refused(small_fs):  # noqa: F811
    state = small_fs / "state"
    check = WriteCheck()
    assert check.problems([state]) == []
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    problems = check.problems([state])
    assert len(problems) == 1 and "Read-only file system" in problems[0] and "remount it read-write" in problems[0]


def test_warm_up_imports_the_preflight_and_primes_the_check(tmp_path):
    # in a child: the modules must not be imported yet (removing them here would leave two copies in this process)
    code = f"""
import sys
import wabiz_tui.tui.app
from wabiz_tui.tui.warm_up import PREFLIGHT_MODULES, warm_up
from wabiz_tui.config.write_check import WriteCheck
assert not any(name in sys.modules for name in PREFLIGHT_MODULES[:2]), "imported before the warm-up"
class Runner:
    write_check = WriteCheck()
warm_up(Runner, [{str(tmp_path / "state")!r}])
assert all(name in sys.modules for name in PREFLIGHT_MODULES)
assert Runner.write_check.probes == 1 and Runner.write_check.problems([{str(tmp_path / "state")!r}]) == []
assert Runner.write_check.probes == 1
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
