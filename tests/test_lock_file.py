"""The cluster lock file (config/lock.py) on its own: who a refusal names, also in the instant a holder has taken
the lock but not yet written its record (two installs started together, seen in CI)."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time

import pytest

from wabiz_tui.config.lock import ClusterBusy, ClusterLock


def test_a_refusal_names_the_holder_written_just_after_it_took_the_lock(tmp_path):
    lock = ClusterLock(tmp_path, "demo", "demo-key")
    # a stale record of an earlier holder must not be taken for the new one
    lock.path.write_text(json.dumps({"command": "uninstall", "pid": 1, "since": "earlier"}))
    fd = os.open(lock.path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.ftruncate(fd, 0)

    def write_late() -> None:
        time.sleep(0.1)
        os.pwrite(fd, json.dumps({"command": "install", "pid": 4242, "since": "now"}).encode(), 0)

    writer = threading.Thread(target=write_late)
    writer.start()
    try:
        with pytest.raises(ClusterBusy) as refused:
            ClusterLock(tmp_path, "demo", "demo-key").acquire("install")
        assert "install (pid 4242, since now)" in str(refused.value)
        assert ClusterLock(tmp_path, "demo", "demo-key").holder()["pid"] == 4242
    finally:
        writer.join()
        os.close(fd)


def test_a_holder_that_never_writes_is_named_as_another_process_without_hanging(tmp_path):
    lock = ClusterLock(tmp_path, "demo", "demo-key")
    lock.path.touch()
    fd = os.open(lock.path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        started = time.monotonic()
        with pytest.raises(ClusterBusy, match="another wabiz-tui process"):
            ClusterLock(tmp_path, "demo", "demo-key").acquire("install")
        assert time.monotonic() - started < 5
    finally:
        os.close(fd)


def test_a_new_holder_replaces_the_previous_record(tmp_path):
    first = ClusterLock(tmp_path, "demo", "demo-key").acquire("a-much-longer-command-name")
    first.release()
    second = ClusterLock(tmp_path, "demo", "demo-key").acquire("install")
    try:
        assert json.loads(second.path.read_text())["command"] == "install"
    finally:
        second.release()
