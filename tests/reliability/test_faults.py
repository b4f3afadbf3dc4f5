"""Faults injected mid-step leave no lost or stale state (issue 14, "Done means").

Each scenario drives the headless CLI against the simulated cluster over real SSH, injects one fault
(kill -9 mid-step, a host lost mid-step, a second process on the same cluster, the profile edited between
runs or during an upgrade), recovers as a user would, and checks the hosts against what the profile
renders now (``helpers.stale``). Disk full / read-only: ``tests/engine/test_local_problems.py``.
One line of figures per scenario is printed."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
import time

from wabiz_tui.config.profile import load_profile, save_profile
from wabiz_tui.domain.exitcodes import Exit

from .figures import report
from .helpers import cli, stale



def figure(line: str) -> None:
    report(f"fault: {line}")


async def finish_install(demo) -> tuple[int, str]:
    code, out, err = await cli("install", str(demo.profile_path), "--yes")
    text = out + err
    if code == Exit.NEEDS_INPUT:
        code, out, err = await cli("install", str(demo.profile_path), "--yes", "--code", demo.cluster.sms_outbox[-1][1])
        text += out + err
    return code, text


async def install_until(demo, seen) -> asyncio.subprocess.Process:
    """Start ``install`` with one slow host (wa-core-2) and return once an output line satisfies ``seen``."""
    demo.cluster.set_host_latency("wa-core-2", 1.0)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", "install", str(demo.profile_path), "--yes",
                                                "--skip-preflight", stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if seen((await asyncio.wait_for(proc.stdout.readline(), 60)).decode()):
            return proc
    raise AssertionError("the install never reached the point of the fault")


async def test_kill_9_mid_step(demo):
    proc = await install_until(demo, lambda line: line.startswith("  step 5 ") and line.rstrip().endswith(": ok"))
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    demo.cluster.set_host_latency("wa-core-2", 0)
    await asyncio.sleep(0.5)
    code, text = await finish_install(demo)
    assert code == Exit.OK, text
    assert not stale(demo), stale(demo)
    assert load_profile(demo.profile_path).installed
    figure("kill -9 during step 5 -> resumed, installed, 0 stale items, lock freed by the kernel")


async def test_host_lost_mid_step(demo):
    proc = await install_until(demo, lambda line: line.startswith("step 3"))
    demo.cluster.set_host_unreachable("wa-core-2", True)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == Exit.FAILED, out.decode() + err.decode()
    demo.cluster.set_host_unreachable("wa-core-2", False)
    demo.cluster.set_host_latency("wa-core-2", 0)
    await demo.cluster.wait_reachable("wa-core-2")
    code, text = await finish_install(demo)
    assert code == Exit.OK, text
    assert not stale(demo), stale(demo)
    figure("host wa-core-2 lost during step 3 -> exit 1, then resumed: installed, 0 stale items")


async def test_lock_contention(demo):
    args = ("install", str(demo.profile_path), "--yes", "--skip-preflight")
    (c1, o1, e1), (c2, o2, e2) = await asyncio.gather(cli(*args), cli(*args))
    codes = sorted([c1, c2])
    assert codes == [Exit.REFUSED, Exit.NEEDS_INPUT], (o1 + e1, o2 + e2)
    refused = e1 if c1 == Exit.REFUSED else e2
    assert "install (pid" in refused and "one process at a time" in refused
    code, text = await finish_install(demo)
    assert code == Exit.OK, text
    assert not stale(demo), stale(demo)  # exactly one container per planned service
    figure("two installs started together -> one refused (exit 4, holder named), one ran; 1 container per service")


async def test_profile_edited_between_runs_and_during_an_upgrade(demo, monkeypatch):
    right = demo.profile
    save_profile(right.with_changes(db=dataclasses.replace(right.db, password="Wrong-pass-4321")), demo.profile_path)
    code, out, err = await cli("install", str(demo.profile_path), "--yes", "--skip-preflight")
    assert code == Exit.FAILED, out + err
    save_profile(right, demo.profile_path)
    code, text = await finish_install(demo)
    assert code == Exit.OK and "step 3 re-runs: db.env changed" in text, text
    assert not stale(demo), stale(demo)
    # an edit made while an upgrade runs is kept: the upgrade does not overwrite the file
    monkeypatch.setenv("WABIZ_BACKUP_PASSWORD", "Backup-pass-123")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", "upgrade", str(demo.profile_path), "--to",
                                                "2.43.1", "--yes", stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    first = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()  # printed once the profile was read
    assert first.startswith("upgrade of cluster"), first
    with open(demo.profile_path, "a") as fh:
        fh.write("# edited while the upgrade ran\n")
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    text = first + out.decode() + err.decode()
    assert proc.returncode == Exit.REFUSED and "edited meanwhile" in text and "wa_api_version: 2.43.1" in text, text
    assert demo.profile_path.read_text().endswith("# edited while the upgrade ran\n")
    figure("profile edited between runs -> db.env re-uploaded (step 3 re-runs); edited during upgrade -> kept, exit 4")
