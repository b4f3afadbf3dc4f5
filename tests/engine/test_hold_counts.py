"""The run's hold (``workflows.hold``, issue 17, the s8 review items 2-4 and 6): counted, so one holder's release
leaves another's hold in place; the time held is not counted against deadlines nor as DB latency; the preflight's
DB login and port probes and the steps that only call the Webapp's API wait at it too. The workflow methods run
here with stand-ins for their remote work (each stand-in waits at the hold as ``HostSession.run`` does); the
API-only step runs on the simulated cluster's profile."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

from tests.engine.test_ha_install import Recorder
from tests.support import settings_for
from wabiz_tui.remote.dblogin import PortProbe
from wabiz_tui.remote.errors import RemoteError
from wabiz_tui.workflows import preflight_db
from wabiz_tui.workflows.events import StepStarted
from wabiz_tui.workflows.hold import Hold
from wabiz_tui.workflows.preflight import Preflight
from wabiz_tui.workflows.preflight_db import PreflightDb
from wabiz_tui.workflows.upgrade import Upgrade

#: How long the tests keep the run held (s): longer than the deadlines and latencies they check.
HELD = 0.6


async def released_after(hold: Hold, seconds: float) -> None:
    await asyncio.sleep(seconds)
    hold.release()


def test_two_holders_hold_until_both_released_and_an_extra_release_does_nothing():
    hold = Hold()
    hold.hold()
    hold.hold()
    hold.release()
    assert hold.held and hold.holders == 1  # the other holder's hold stays
    hold.release()
    hold.release()  # a second release of the same holder: nothing to give back
    assert not hold.held and hold.holders == 0
    hold.hold()
    assert hold.held  # not sent below zero by the extra release


async def test_the_stopwatch_leaves_out_the_time_held():
    hold = Hold()
    elapsed = hold.stopwatch()
    hold.hold()
    await asyncio.sleep(HELD)
    hold.release()
    assert elapsed() < HELD / 3, elapsed()
    assert hold.held_seconds() >= HELD * 0.9


def fake_engine(hold: Hold, **attrs) -> SimpleNamespace:
    return SimpleNamespace(session=SimpleNamespace(hold=hold), emit=lambda _event: None, **attrs)


async def test_the_dbupgrade_log_watch_does_not_count_the_time_held():
    """A quit question open longer than the watch's deadline, then "Keep running": the watch goes on and sees
    the end of the upgrade (it failed with "no end of the database upgrade in its log in time")."""
    hold = Hold()
    polls: list[int] = []

    async def run(_host, _command, on_line, **_kw):
        async with hold.command("wa-db-1", "logs dbupgrade"):
            polls.append(1)
            if len(polls) == 1:  # the operator asks to quit during the first poll
                hold.hold()
                asyncio.get_running_loop().create_task(released_after(hold, HELD))
            # the second poll waited at the hold; the third one sees the end
            on_line("Upgrade finished successfully" if len(polls) == 3 else "upgrading schema")
        return 0

    engine = fake_engine(hold, settings=SimpleNamespace(health_timeout=HELD / 3, poll_interval=0.01), _run=run)
    inv = SimpleNamespace(logs=lambda *_a, **_kw: "docker-compose logs --tail 50 dbupgrade")
    host = SimpleNamespace(external_hostname="wa-db-1")
    try:
        assert await Upgrade._watch_dbupgrade_log(engine, host, inv) == "succeeded"
    except RemoteError as exc:
        raise AssertionError(f"the time held counted against the deadline: {exc}") from None
    assert len(polls) == 3


async def test_the_preflight_db_latency_does_not_count_the_time_held():
    hold = Hold()
    said: list[float] = []

    async def probe(_host, command, *, pty=False):
        async with hold.command("wa-web-1", command):
            if command == "true":  # the question opens between the baseline and the probe
                hold.hold()
                asyncio.get_running_loop().create_task(released_after(hold, HELD))
        return 0, ""

    engine = fake_engine(hold, profile=SimpleNamespace(db=SimpleNamespace(hostname="db", port=3306)), _probe=probe,
                         _db_reachable=lambda _host, _greeting, latency, _through: said.append(latency))
    await PreflightDb._database_by_shell(engine, SimpleNamespace(external_hostname="wa-web-1"))
    assert said and said[0] < HELD * 1000 / 3, said  # was about HELD s read as DB latency


async def test_the_preflight_db_port_probe_waits_at_the_hold_and_is_counted_in_flight(monkeypatch):
    hold = Hold()
    seen: list[list] = []

    async def probe_port(_conn, _host, _port, *, read_first):
        seen.append(hold.in_flight())
        return PortProbe(True, 0.01)

    async def get(_host):
        return object()

    monkeypatch.setattr(preflight_db, "probe_port", probe_port)
    engine = fake_engine(hold, profile=SimpleNamespace(db=SimpleNamespace(hostname="db", port=3306,
                                                                          engine=SimpleNamespace(value="MYSQL"))),
                         _pool=SimpleNamespace(get=get), _db_reachable=lambda *_a: None)

    async def ssh_hop(_host):
        return 0.0

    engine._ssh_hop = ssh_hop
    hold.hold()
    task = asyncio.create_task(PreflightDb._database(engine, SimpleNamespace(external_hostname="wa-web-1")))
    await asyncio.sleep(0.2)
    assert not seen, "the probe started while the run was held"
    hold.release()
    await asyncio.wait_for(task, 5)
    assert seen == [[("a connection to the DB port 3306", ("wa-web-1",))]]


async def test_an_api_only_step_does_not_start_while_held(demo, tmp_path):
    """The upgrade's backup (step 1) calls only the Webapp's API: it starts once the hold is released."""
    events = Recorder()
    wf = Upgrade(demo.profile, emit=events, settings=settings_for(demo, tmp_path), target="2.43.1",
                 backups_dir=tmp_path / "backups")
    try:
        wf.session.hold.hold()
        task = asyncio.create_task(wf.backup("short"))  # refused at once for its length, once started
        await asyncio.sleep(0.2)
        assert not events.of(StepStarted), events.text()
        wf.session.hold.release()
        assert await asyncio.wait_for(task, 5) is False
        assert [e.number for e in events.of(StepStarted)] == [1]
    finally:
        await wf.close()


async def test_the_preflight_clock_check_does_not_count_the_time_held():
    """The question opens as the host's connection is made: ``date`` waits at the hold; its round trip (the
    measurement's uncertainty, "± N s") and the seconds the check reports leave that wait out."""
    hold = Hold()
    checks: list = []

    async def connect(_host):
        hold.hold()
        asyncio.get_running_loop().create_task(released_after(hold, HELD))

    async def probe(_host, command, *, pty=False):
        async with hold.command("wa-web-1", command):
            return 0, str(time.time_ns())

    engine = fake_engine(hold, _probe=probe, _record=checks.append)
    engine.session.connect = connect
    took = await Preflight._clock(engine, SimpleNamespace(external_hostname="wa-web-1"))
    assert took < HELD / 3, took
    [check] = checks
    assert check.level == "ok" and "±" not in check.reason, check
