"""Cancel a step from the UI, and quit mid-stream (issue "Works on real hosts", item 5), with the real
app driven by Pilot against the simulated cluster over real SSH.

"No task left" is checked on the tasks created after the step started whose coroutine is ours or
asyncssh's (Textual's own message pumps and timers are not the step's)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.tui.test_operations import until
from wabiz_tui.demo import start_demo
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane

pytestmark = pytest.mark.slow

SIZE = (140, 45)


def stray(before: set[asyncio.Task]) -> list[str]:
    """Tasks created since ``before`` that are not done and run our code or asyncssh's."""
    out = []
    for task in asyncio.all_tasks() - before:
        if task.done() or task is asyncio.current_task():
            continue
        code = getattr(task.get_coro(), "cr_code", None)
        where = getattr(code, "co_filename", "")
        if "wabiz_tui" in where or "asyncssh" in where:
            out.append(f"{task.get_name()}: {getattr(code, 'co_qualname', where)}")
    return out


def running(session) -> dict[str, list[str]]:
    """The commands still running on each simulated host."""
    return {h.external_hostname: session.cluster.running_commands(h.external_hostname) for h in session.profile.hosts}


async def test_cancel_a_running_step_stops_its_remote_commands(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=0.05)
    try:
        for h in session.profile.hosts:  # every remote command of the step stays running for 60 s
            session.cluster.set_host_latency(h.external_hostname, 60)
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.screen.name == "step1"
            assert app.check_action("cancel_step", ()) is False  # nothing runs: the key is not offered
            before = set(asyncio.all_tasks())
            await pilot.press("ctrl+n")  # runs step 1 on the 5 hosts
            await until(pilot, lambda: all(running(session).values()), "a remote command on every host", 20)
            assert app.busy and app.state(1) is StepState.RUNNING
            assert app.check_action("cancel_step", ()) is True
            t0 = time.monotonic()
            await pilot.press("ctrl+x")
            await until(pilot, lambda: not app.busy, "the step to end", 10)
            await until(pilot, lambda: not any(running(session).values()), "the remote commands to stop", 5)
            assert time.monotonic() - t0 < 5
            assert app.state(1) is StepState.CANCELLED
            status = str(app.screen.query_one("#status").render())
            assert "cancelled" in status and "ctrl+r" in status, status
            await pilot.pause(0.2)
            assert not stray(before), stray(before)
            # the step can be run again once the hosts answer
            for h in session.profile.hosts:
                session.cluster.set_host_latency(h.external_hostname, 0)
            await pilot.press("ctrl+r")
            await until(pilot, lambda: app.state(1) is StepState.DONE, "step 1 to run again", 30)
    finally:
        await session.stop()


async def test_quit_while_five_panes_stream_exits_within_two_seconds(installed_demo, tmp_path):
    session = installed_demo
    for h in session.profile.hosts:  # `logs` streams about 400 MB per host: far longer than the test
        session.cluster.set_log_volume(h.external_hostname, 400_000_000)
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
    names = [h.external_hostname for h in session.profile.hosts]
    before = set(asyncio.all_tasks())
    quit_at = None
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await until(pilot, lambda: app.screen.name == "logs", "the logs screen")
        screen = app.screen
        await pilot.press("ctrl+r")
        await until(pilot, lambda: all(screen.progress.get(n, (0, False))[0] > 1_000_000 for n in names),
                    "a megabyte streamed from every host", 30)
        panes = {p.host for p in screen.query(HostLogPane) if p.history}
        assert panes == set(names), panes
        assert all(running(session).values())
        await pilot.press("ctrl+q")  # logs run: the question first (issue 17, defect 1)
        await until(pilot, lambda: app.screen.has_class("quit-confirm"), "the quit question", 5)
        assert "nothing on the cluster changes" in str(app.screen.query_one("#confirm-details").render())
        quit_at = time.monotonic()
        await pilot.press("y")
    took = time.monotonic() - quit_at
    assert app.return_code == 130
    assert took < 2.0, f"the app took {took:.2f} s to exit after ctrl+q"
    await asyncio.sleep(0.2)
    assert not stray(before), stray(before)
    await until_stopped(session)


async def until_stopped(session, timeout: float = 3.0) -> None:
    """The simulated hosts saw their channels close: no command keeps running there."""
    end = time.monotonic() + timeout
    while any(running(session).values()):
        assert time.monotonic() < end, running(session)
        await asyncio.sleep(0.05)
