"""The TUI takes the cluster's lock before its first change and refuses while another process holds it
(issue 14.2): the same lock file as the headless commands, so a CLI ``install`` and the wizard exclude
each other."""

from __future__ import annotations

import functools

from wabiz_tui.config.lock import ClusterBusy, ClusterLock
from wabiz_tui.config.paths import app_paths
from wabiz_tui.tui.steps import StepState

from . import pilot_wait
from .fake_engine import sample_profile
from .test_wizard_steps import SIZE, make_app

settle = functools.partial(pilot_wait.settle, timeout=10.0)


async def test_wizard_step_refused_while_another_process_holds_the_cluster(tmp_path):
    engines: list = []
    app = make_app(tmp_path, engines)
    other = ClusterLock.for_profile(app_paths().locks, sample_profile()).acquire("install")  # another process's lock
    notes: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        original = app.notify
        app.notify = lambda message, **kw: (notes.append(str(message)), original(message, **kw))[1]
        await pilot.pause()
        await pilot.press("ctrl+n")  # would run step 1
        await settle(app, pilot)
        assert app.state(1) is not StepState.DONE and not engines
        assert any("Refused: cluster" in n and "install (pid" in n for n in notes), notes
        other.release()
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE
        # now the app holds the cluster: a headless command is refused, naming the wizard
        try:
            ClusterLock.for_profile(app_paths().locks, sample_profile()).acquire("install")
        except ClusterBusy as exc:
            assert "wizard (step)" in str(exc)
        else:
            raise AssertionError("the wizard does not hold the cluster's lock")
    ClusterLock.for_profile(app_paths().locks, sample_profile()).acquire("install").release()  # freed at exit


async def test_hosts_edited_in_the_wizard_move_the_lock_to_the_new_hosts(tmp_path):
    """Review of the merge: the app re-keyed its lock on a new name only, so after the hosts were edited (same
    name) it kept the old hosts' lock and a headless run on the new hosts was not refused."""
    import dataclasses

    app = make_app(tmp_path, [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.hold_cluster_lock("step")
        first = app.profile.hosts[0]
        moved = dataclasses.replace(first, ssh=dataclasses.replace(first.ssh, host="10.9.9.9"))
        app.profile = app.profile.with_changes(hosts=(moved, *app.profile.hosts[1:]))
        assert app.hold_cluster_lock("step")
        try:
            ClusterLock.for_profile(app_paths().locks, app.profile).acquire("install")
        except ClusterBusy:
            pass
        else:
            raise AssertionError("the wizard does not hold the lock of the hosts it now works on")
        ClusterLock.for_profile(app_paths().locks, sample_profile()).acquire("install").release()  # the old one is free


async def lock_while_running(tmp_path, run) -> tuple[dict, dict, dict]:
    """The window's lock record (``ClusterLock.holder()``) before ``run`` (a ``tui.runner.Run``), while its body
    runs, and after it ended."""
    import asyncio

    seen: list = []
    app = make_app(tmp_path, [])
    reader = ClusterLock.for_profile(app_paths().locks, sample_profile())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.hold_cluster_lock("step")
        before = reader.holder()

        async def body():
            seen.append(reader.holder())
            await asyncio.sleep(0)

        app.runner.start(run, body)
        await settle(app, pilot)
        assert seen, "the body did not run"
        return before, seen[0], reader.holder()


async def test_the_window_notes_in_its_lock_what_it_runs_and_clears_it_after(tmp_path):
    """Review of the merge: the exporter and other windows read whether an operation runs from the lock; the
    TUI's lock said ``wizard (step)`` whether a step ran or not. While a step runs the lock says ``install``;
    after it, nothing."""
    from wabiz_tui.domain.transitions import operation_from_lock
    from wabiz_tui.tui.runner import Run

    before, during, after = await lock_while_running(tmp_path, Run("step 1", lambda outcome: None, step=1))
    assert operation_from_lock(before) is None  # open, running nothing
    op = operation_from_lock(during)
    assert op is not None and op.command == "install", during
    assert operation_from_lock(after) is None  # ended: nothing runs


async def test_a_run_cancelled_before_it_began_ends_and_clears_the_lock_note(tmp_path):
    """Review: a run whose worker was cancelled before its body began never ran the body's ``finally``: the
    runner kept it active (nothing else could start) and the lock kept saying "install"."""
    from wabiz_tui.domain.transitions import operation_from_lock
    from wabiz_tui.tui.runner import Run

    outcomes: list = []
    app = make_app(tmp_path, [])
    reader = ClusterLock.for_profile(app_paths().locks, sample_profile())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.hold_cluster_lock("step")

        async def body():
            raise AssertionError("the body must not run")

        app.runner.start(Run("step 1", outcomes.append, step=1), body)
        assert operation_from_lock(reader.holder()) is not None
        app.runner.cancel()  # before the worker got to run its body
        await pilot.pause()
        await pilot.pause()
        assert app.runner.active is None
        assert outcomes and outcomes[0].cancelled
        assert operation_from_lock(reader.holder()) is None


async def test_a_node_restart_from_the_monitor_is_recorded_as_what_it_is(tmp_path):
    """s7 trial: the lock recorded ``drill`` for a node restarted from the monitor, so the exporter and
    ``health --watch`` (readers of the lock, not this window) said "failover drill running". The lock now says
    ``node-action`` and what it does; its readers say it so."""
    from wabiz_tui.domain.transitions import lock_command, operation_from_lock, paused_words
    from wabiz_tui.exporter.metrics import ClusterState
    from wabiz_tui.tui.runner import Run

    _before, holder, after = await lock_while_running(tmp_path, Run(
        "restart wa-core-1", lambda outcome: None, heading="restart wa-core-1", doing="restart of wacore on wa-core-1"))
    assert holder["operation"] == "node-action" and holder["operation_doing"] == "restart of wacore on wa-core-1"
    assert after["operation"] == "" and after["operation_doing"] == ""
    op = operation_from_lock(holder)
    assert op is not None and op.command == "node-action"
    words = paused_words(op)
    assert words.startswith("alerts paused: restart of wacore on wa-core-1 running") and "drill" not in words
    state = ClusterState("prod", 5.0, 30.0)
    state.set_operation(lock_command(holder)[0])
    assert state.operation == "node-action"  # the exporter's wabiz_planned_operation_info{command=...}


async def test_the_app_leaves_only_once_its_cancelled_run_has_ended_and_then_frees_the_lock(tmp_path):
    """CI under load (stop 24's rerun): quitting during the preflight left its child process behind for a moment,
    because Textual cancels the workers as the app leaves but does not wait for them. A run whose cancellation takes
    a while (a preflight ending its child, remote commands stopping) has ended before the app is gone, and the
    cluster's lock is given back only after it."""
    import asyncio
    import time

    from wabiz_tui.tui.runner import Run

    app = make_app(tmp_path, [])
    reader = ClusterLock.for_profile(app_paths().locks, sample_profile())
    seen: dict[str, object] = {}

    async def body():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.sleep(1.0))  # the run's own ending, after the cancel
            seen["lock at the end"] = reader.holder()
            seen["ended"] = True
            raise

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.hold_cluster_lock("step")
        app.runner.start(Run("step 1", lambda outcome: None, step=1), body)
        await pilot.pause()
        app.exit(return_code=130)
        left_at = time.monotonic()
    took = time.monotonic() - left_at
    assert seen.get("ended"), "the app was gone before its run ended"
    assert took < 3.0, f"the app waited {took:.1f} s: not for the run's end but for its time limit"
    assert seen["lock at the end"], "the lock was given back before the run ended"
    try:
        ClusterLock.for_profile(app_paths().locks, sample_profile()).acquire("install").release()
    except ClusterBusy:
        raise AssertionError("the lock is still held after the app left") from None
