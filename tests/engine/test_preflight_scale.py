"""The preflight at scale (issue 17): work linear in hosts, and a clock offset that a stalled loop cannot fake."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support import SPEED, big_layout, settings_for
from tests.engine.test_ha_install import Recorder
from wabiz_tui.demo import start_demo
from wabiz_tui.domain.preflight import OK, WARNING, judge_clock
from wabiz_tui.sim import programs
from wabiz_tui.workflows.events import CheckDone, HostCommand
from wabiz_tui.workflows.preflight import Preflight, parse_remote_time


async def preflight(session, tmp_path, *, off_loop: bool = False):
    events = Recorder()
    wf = Preflight(session.profile, emit=events, settings=settings_for(session, tmp_path))
    if off_loop:
        ok = await wf.run_off_loop()
    else:
        try:
            ok = await wf.run()
        finally:
            await wf.close()
    return ok, {(c.host, c.name): c for c in wf.results}, events


async def commands_per_host(tmp_path, layout) -> dict[str, int]:
    session = await start_demo(tmp_path, speed=SPEED, hosts=layout, spare_hosts=())
    try:
        ok, results, _ = await preflight(session, tmp_path)
        assert ok, [c for c in results.values() if c.level != OK]
        return {h.external_hostname: session.cluster.commands_run(h.external_hostname) for h in session.profile.hosts}
    finally:
        await session.stop()


@pytest.mark.slow
async def test_commands_per_host_do_not_grow_with_the_cluster(tmp_path):
    small = await commands_per_host(tmp_path / "small", big_layout(8))
    big = await commands_per_host(tmp_path / "big", big_layout(50))
    # each host runs the same few probes whatever the size of the cluster (it was one getent per other host:
    # 50 hosts ran 2,450 of them)
    assert max(big.values()) == max(small.values()), (small, big)
    assert sum(big.values()) <= 50 * max(small.values())


async def test_names_are_resolved_in_one_command_and_the_missing_ones_named(demo, tmp_path):
    demo.cluster.set_unresolvable("wa-master-1", "wa-core-2", "wa-db.demo.internal")
    before = demo.cluster.commands_run("wa-master-1")
    ok, results, events = await preflight(demo, tmp_path)
    assert not ok
    reason = results[("wa-master-1", "names")].reason
    assert "does not resolve wa-core-2, wa-db.demo.internal:" in reason, reason
    assert "wa-core-1," not in reason and results[("wa-core-1", "names")].level == OK
    getents = [e.command for e in events.of(HostCommand) if e.host == "wa-master-1" and e.command.startswith("getent")]
    assert len(getents) == 1 and "wa-core-2" in getents[0] and "wa-web-1" in getents[0], getents
    assert demo.cluster.commands_run("wa-master-1") - before < 15


async def test_a_stalled_loop_does_not_read_as_clock_skew(demo, tmp_path, monkeypatch):
    """The event loop blocks 4.5 s just after one host answered ``date``: the answer is read late, which the old
    measurement (connection included, no uncertainty) reported as the clock 2+ s off."""
    real_date = programs.PROGRAMS["date"]
    stalled: list[str] = []

    async def date_then_stall(p):
        status = await real_date.run(p)
        if not stalled:
            stalled.append(p.shell.host.name)
            asyncio.get_running_loop().call_soon(time.sleep, 4.5)  # a busy loop: nothing else runs meanwhile
        return status

    monkeypatch.setitem(programs.PROGRAMS, "date", programs.Program("date", date_then_stall))
    ok, results, _ = await preflight(demo, tmp_path)
    assert stalled
    clocks = {host: c for (host, name), c in results.items() if name == "clock"}
    assert len(clocks) == len(demo.profile.hosts)
    assert all(c.level == OK for c in clocks.values()), clocks


async def test_a_real_offset_is_still_seen_off_the_loop(demo, tmp_path):
    demo.cluster.set_clock_offset("wa-core-2", 5)
    ok, results, events = await preflight(demo, tmp_path, off_loop=True)
    assert results[("wa-core-2", "clock")].level == WARNING, results[("wa-core-2", "clock")]
    assert results[("wa-core-1", "clock")].level == OK
    # every check came back to this loop as an event, in the order of the results
    assert [(e.host, e.name) for e in events.of(CheckDone)] == list(results)


def test_remote_time_parsing():
    assert parse_remote_time("1764915000123456789\n") == (1764915000.123456789, 0.0)
    assert parse_remote_time("1764915000N") == (1764915000.5, 0.5)
    assert parse_remote_time("1764915000%N") == (1764915000.5, 0.5)
    assert parse_remote_time("1764915000") == (1764915000.5, 0.5)
    assert parse_remote_time("date: invalid") is None and parse_remote_time("") is None


def test_the_clock_judgement_allows_for_the_measurement_uncertainty():
    assert judge_clock(2.2)[0] == WARNING
    assert judge_clock(2.2, uncertainty_s=2.3)[0] == OK
    assert judge_clock(6.0, uncertainty_s=1.0)[0] == WARNING
    assert "measured ± 1.0 s" in judge_clock(6.0, uncertainty_s=1.0)[1]
