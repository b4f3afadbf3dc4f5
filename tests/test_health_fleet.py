"""``wabiz-tui health --all`` / ``health P1 P2...`` on two installed simulated clusters (one with a killed
standby Coreapp), a Webapp that accepts and never answers, and a closed port: one line or JSON object per
cluster, the worst exit code, and the dead cluster bounded by ``--timeout``."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from asyncio.subprocess import PIPE

import pytest

from tests.exporter.helpers import SilentServer, free_port, installed_profile
from tests.support import SPEED, install_headless
from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import save_profile
from wabiz_tui.demo import start_demo
from wabiz_tui.domain.exitcodes import HealthExit, worst_health as worst


async def cli(capsys, *argv: str) -> tuple[int, str, str, float]:
    """Run ``wabiz-tui ARGV`` as a process (the simulator answers from this test's event loop meanwhile);
    ``took`` is the command's wall time in seconds, start-up included."""
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui.cli", *argv, stdout=PIPE, stderr=PIPE)
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode(), time.monotonic() - start


@pytest.fixture
async def two_clusters(tmp_path):
    """``milano`` and ``roma``: two demo clusters installed, saved in the app's profiles directory."""
    saved = app_paths().profiles
    sessions = []
    try:
        for name in ("milano", "roma"):
            session = await start_demo(tmp_path / name, speed=SPEED, name=name, profile_dir=saved)
            sessions.append(session)
            await install_headless(session, tmp_path / name)
        yield sessions
    finally:
        for s in sessions:
            await s.stop()


def test_the_worst_code_is_failing_then_degraded_then_unknown():
    assert worst([0, 3, 1]) == HealthExit.WARNING
    assert worst([3, 2, 1]) == HealthExit.CRITICAL
    assert worst([0, 3]) == HealthExit.UNKNOWN
    assert worst([0, 0]) == worst([]) == HealthExit.OK


async def test_health_all_one_line_per_cluster_worst_code_and_a_dead_cluster_bounded(two_clusters, capsys):
    milano, roma = two_clusters
    code, out, err, _ = await cli(capsys, "health", "--all")
    lines = out.splitlines()
    assert code == HealthExit.OK, (out, err)
    assert lines[0].split() == ["CLUSTER", "VERDICT", "SHARDS", "STANDBY", "TOLERATED", "VERSION", "ANSWER"]
    assert [line.split()[:6] for line in lines[1:]] == [["milano", "healthy", "1/1", "1", "1/1", "2.41.2"],
                                                      ["roma", "healthy", "1/1", "1", "1/1", "2.41.2"]]

    # roma loses its standby Coreapp: served, but no failure tolerated any more -> degraded, exit 1
    roma.cluster.kill_container("wa-core-2", "wacore")
    code, out, err, _ = await cli(capsys, "health", "milano", "roma")
    assert code == HealthExit.WARNING, out
    assert out.splitlines()[2].split()[:5] == ["roma", "degraded", "1/1", "0", "0/1"]

    # a Webapp that accepts and never answers, and a closed port: failing, each bounded by --timeout
    async with SilentServer() as port:
        save_profile(installed_profile("silent", url=f"https://127.0.0.1:{port}"), app_paths().profiles / "silent.yaml")
        save_profile(installed_profile("closed", url=f"https://127.0.0.1:{free_port()}"),
                     app_paths().profiles / "closed.yaml")
        code, out, err, took = await cli(capsys, "health", "--all", "--json", "--timeout", "1.5")
    data = json.loads(out)
    by_name = {c["cluster"]: c for c in data["clusters"]}
    assert code == data["exit_code"] == HealthExit.CRITICAL
    assert list(by_name) == ["closed", "milano", "roma", "silent"]  # the saved profiles, sorted by file name
    # bounded inside the command (its own poll time: no interpreter start-up, which took 2+ s on a loaded machine)
    assert by_name["silent"]["latency_ms"] < (1.5 + 1.0) * 1000, by_name["silent"]
    assert took < 1.5 + 8.0, f"the silent Webapp held the command {took:.1f} s"  # and a hang is far beyond
    assert by_name["silent"]["verdict"] == "failing" and by_name["silent"]["error"]["kind"] == "timeout"
    assert by_name["closed"]["verdict"] == "failing" and by_name["closed"]["error"]["kind"] == "unreachable"
    assert by_name["closed"]["shards_served"] is None
    assert by_name["milano"] | {"answered_at": None, "latency_ms": None, "profile": None} == {
        "cluster": "milano", "profile": None, "verdict": "healthy", "exit_code": 0, "version": "2.41.2",
        "shards_served": 1, "shards_expected": 1, "standby_coreapps": 1, "failures_tolerated": 1,
        "failures_planned": 1, "answered_at": None, "latency_ms": None, "error": None, "findings": []}
    assert by_name["roma"]["exit_code"] == 1 and by_name["roma"]["failures_tolerated"] == 0
    assert "Demo-" not in out  # no password of the demo profiles


async def test_health_many_refuses_watch_and_reports_a_broken_profile_as_unknown(capsys, tmp_path):
    code, out, err, _ = await cli(capsys, "health", "--all")
    assert code == HealthExit.UNKNOWN and "no saved profile" in err
    (app_paths().profiles).mkdir(parents=True, exist_ok=True)
    (app_paths().profiles / "broken.yaml").write_text("name: [unclosed\n")
    code, out, err, _ = await cli(capsys, "health", "--all")
    assert code == HealthExit.UNKNOWN and out.splitlines()[1].split()[:2] == ["broken", "unknown"]
    code, out, err, _ = await cli(capsys, "health", "--all", "--watch")
    assert code == HealthExit.UNKNOWN and "wabiz-tui fleet" in err
    code, out, err, _ = await cli(capsys, "health", "--all", "broken")
    assert code == HealthExit.UNKNOWN and "not both" in err
    code, out, err, _ = await cli(capsys, "health")
    assert code == HealthExit.UNKNOWN and "--all" in err


async def test_demo_name_is_checked_and_goes_with_serve(capsys):
    code, out, err, _ = await cli(capsys, "demo", "--serve", "--name", "bad name")
    assert code == 2 and "--name: 'bad name' is not a cluster name" in err
    code, out, err, _ = await cli(capsys, "demo", "--name", "milano")
    assert code == 2 and "--name goes with --serve" in err


async def test_fleet_refuses_bad_flags_and_an_empty_fleet(capsys):
    code, out, err, _ = await cli(capsys, "fleet", "--timeout", "0")
    assert code == 2 and "--timeout must be greater than 0" in err
    code, out, err, _ = await cli(capsys, "fleet")
    assert code == 2 and "no saved profile" in err


async def test_poll_fleet_polls_in_parallel_each_bounded_by_its_timeout():
    """Three Webapps that never answer and one that does: the call lasts one timeout, not three."""
    from pathlib import Path

    from tests.exporter.helpers import FakeWebapp
    from wabiz_tui.workflows.fleet import FleetMember, poll_fleet
    from wabiz_tui.workflows.monitor import HealthMonitor

    async with SilentServer() as port:
        silent = [installed_profile(f"silent{i}", url=f"https://127.0.0.1:{port}") for i in range(3)]
        good = installed_profile("good")
        members = [FleetMember(p.name, Path(f"{p.name}.yaml"), p) for p in (*silent, good)]
        members.append(FleetMember("broken", None, None, "broken: no such profile file"))
        monitors = [HealthMonitor(p) for p in silent] + [FakeWebapp().monitor(good), None]
        start = time.monotonic()
        observations = await poll_fleet(members, timeout=1.0, monitors=monitors)
        took = time.monotonic() - start
    print(f"\nfleet figures: 3 silent Webapps + 1 answering polled in {took:.2f} s (timeout 1 s each)")
    assert took < 1.8, took
    assert [o.error_kind for o in observations[:3]] == ["timeout"] * 3
    assert observations[3].verdict is not None and observations[3].verdict.healthy
    assert observations[4] is None


async def test_the_watch_goes_on_when_one_cluster_poll_raises():
    from pathlib import Path

    from tests.exporter.helpers import FakeWebapp
    from wabiz_tui.workflows.fleet import FleetMember, FleetWatch

    good, buggy = installed_profile("good"), installed_profile("buggy")
    members = [FleetMember(p.name, Path(f"{p.name}.yaml"), p) for p in (buggy, good)]
    monitors = [FakeWebapp().monitor(buggy), FakeWebapp().monitor(good)]

    async def boom():
        raise ZeroDivisionError("a bug")

    monitors[0].poll_once = boom
    watch = FleetWatch(members, interval=0.05, timeout=1.0, monitors=monitors)
    seen: list[int] = []
    stop = asyncio.Event()
    task = asyncio.create_task(watch.run(lambda i, _obs: seen.append(i), stop))
    while seen.count(1) < 3:
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert watch.latest[0].error_kind == "internal" and "ZeroDivisionError: a bug" in watch.latest[0].message
    assert seen.count(0) >= 2 and watch.latest[1].verdict is not None


def test_an_uninstalled_or_never_installed_cluster_is_said_so_and_never_crashes_the_fleet():
    """Review of the merge: ``health --all`` looked the word ``not_installed`` (a cluster wabiz-tui uninstalled,
    added by the monitor-words change) up in its exit-code table and failed with a KeyError; and a profile never
    installed whose Webapp does not answer read "failing: unreachable" in the fleet while ``health PROFILE`` says
    "not installed: run install first" (fresh-user trial)."""
    from dataclasses import replace as dc_replace

    from wabiz_tui.cli.fleet import EXIT_OF, fleet_dict
    from wabiz_tui.workflows.fleet import FleetMember, answer_text, fleet_row
    from wabiz_tui.workflows.observe import Observation

    installed = installed_profile()
    gone = Observation(time.time(), 0.0, None, "", not_installed=True)
    member = FleetMember("prod", None, installed)
    assert fleet_row(member, gone).verdict == "not_installed" and EXIT_OF["not_installed"] == HealthExit.OK
    assert fleet_dict(member, gone)["exit_code"] == 0 and "uninstalled" in answer_text(member, gone)
    fresh = FleetMember("new", None, dc_replace(installed, installed=False))
    silent = Observation(time.time(), 0.1, None, "unreachable", message="the Webapp is unreachable")
    assert fleet_row(fresh, silent).verdict == "unknown"
    assert answer_text(fresh, silent).startswith("not installed: run wabiz-tui install")
    assert fleet_row(member, silent).verdict == "failing"  # installed and silent: an outage
