"""Local problems are named as local and checked before anything remote starts (issue 14.8).

A real full and a real read-only file system (tmpfs mounted here) hold the app's state directory; the
install on the simulated cluster is refused with exit 3 naming the path, the system's words and the fix,
and no host received a command. Needs root to mount: skipped locally without it, a failure in CI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support import IN_CI
from wabiz_tui.domain.exitcodes import Exit

from .test_install_resume import finish, start


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=700", "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        if IN_CI:
            pytest.fail(f"mounting a tmpfs is needed in CI (root): {res.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here (needs root): {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def prepare(home) -> None:
    from wabiz_tui.config.paths import AppPaths

    AppPaths(home / "config", home / "data", home / "state").ensure()


async def refused(demo, monkeypatch, home) -> str:
    monkeypatch.setenv("WABIZ_TUI_HOME", str(home))
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes"))
    assert code == Exit.CANNOT_CHECK, out + err
    assert "local problem, nothing was started on the hosts" in err and str(home / "state") in err, err
    assert "Traceback" not in err and "host(s)" not in out + err
    for host in demo.profile.hosts:  # no host was touched: not even the working directory exists
        assert not (demo.cluster.host_root(host.external_hostname) / host.remote_dir.lstrip("/")).exists()
    return err


async def test_full_state_directory(demo, small_fs, monkeypatch):
    home = small_fs / "home"
    prepare(home)
    with open(small_fs / "filler", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    err = await refused(demo, monkeypatch, home)
    assert "No space left on device" in err and "free space on that disk" in err, err


async def test_read_only_state_directory(demo, small_fs, monkeypatch):
    home = small_fs / "home"
    prepare(home)
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    err = await refused(demo, monkeypatch, home)
    assert "Read-only file system" in err and "remount it read-write" in err, err


def test_local_problems_names_each_path(tmp_path):
    from wabiz_tui.config.paths import local_problems

    blocker = tmp_path / "file"
    blocker.write_text("")
    problems = local_problems([tmp_path / "ok", blocker / "state"])
    assert len(problems) == 1 and str(blocker / "state") in problems[0] and "Not a directory" in problems[0]
    assert "a file stands where a directory is needed" in problems[0]
