"""Ctrl+Q while an operation runs asks first, and a confirmed quit records the abort and exits 130; the
upgrade screen then offers to resume (issue 17, defect 1), with the focus on its first field (defect 7).
The real app driven by Pilot against the simulated cluster over real SSH."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Button, Input

from tests.tui.test_operations import BACKUP_PASSWORD, SIZE, status, type_into, until
from wabiz_tui.config.paths import app_paths
from wabiz_tui.config.profile import load_profile
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.quitting import DEMO_END, QUIT_REASON
from wabiz_tui.tui.run import exit_note
from wabiz_tui.tui.screens.confirm import ConfirmScreen
from wabiz_tui.tui.steps import StepState
from wabiz_tui.workflows.upgrade import interrupted_upgrade

pytestmark = pytest.mark.slow


def webapps(session) -> list[str]:
    return sorted(h.external_hostname for h in session.profile.hosts if any(r.value == "webapp" for r in h.roles))


def slow(session, hosts: list[str], seconds: float) -> None:
    for host in hosts:
        session.cluster.set_host_latency(host, seconds)


def dialog_text(app: WabizApp) -> str:
    return " ".join(str(app.screen.query_one(sel).render()) for sel in ("#confirm-question", "#confirm-details"))


async def test_quit_during_an_upgrade_asks_records_the_abort_and_the_upgrade_resumes(installed_demo, tmp_path):
    session = installed_demo
    web = webapps(session)
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
        screen = app.screen
        assert app.focused is screen.query_one("#up-target", Input)  # the first field has the focus
        assert not screen.query_one("#up-resume").display  # nothing to resume yet
        await type_into(pilot, app, "#up-target", "2.43.1")
        await type_into(pilot, app, "#up-password", BACKUP_PASSWORD)
        slow(session, web, 60)  # step 3's up -d hangs on the Webapp hosts
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the downtime confirmation")
        await pilot.press("y")
        await until(pilot, lambda: screen.step_states.get(3) is not None and screen.step_states[3].value == "running",
                    "step 3 to run", 30)
        # ctrl+q asks: what runs, where, what quitting leaves, how to continue
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question")
        text = dialog_text(app)
        assert "Upgrade step 3 of 6 (Upgrade Webapps) is running" in text, text
        assert all(h in text for h in web) and "half upgraded" in text and "130" in text
        # the demo's cluster ends with it: no resume command, however often it asks (s9 fresh-user trial)
        assert DEMO_END in text and "--resume" not in text and "F3, Resume" not in text, text
        # what quitting does to step 3's `up -d` in flight, not one sentence for every operation (s7 trial)
        # ... and which command it hangs up, on which host (s8 trial, M1)
        assert "Quitting hangs up `" in text and f"` on {', '.join(web)} (run on a terminal" in text, text
        assert "stops its remote commands" not in text
        assert app.focused is app.screen.query_one("#confirm-no", Button)  # a stray Enter keeps it running
        await pilot.press("ctrl+q")  # a second ctrl+q does not quit behind the question's back
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and screen.running and app.screen is screen
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question again")
        text = dialog_text(app)
        assert DEMO_END in text and "--resume" not in text, text
        await pilot.press("y")
    slow(session, web, 0)
    assert app.return_code == 130
    note = exit_note(app)
    assert "ABORTED" in note and "upgrade step 3 (Upgrade Webapps)" in note and DEMO_END in note, note
    assert "--resume" not in note, note
    found = interrupted_upgrade(app_paths().journals, session.profile)
    assert found is not None and found.target == "2.43.1" and found.backed_up
    assert found.aborted["reason"] == QUIT_REASON and found.aborted["step"] == 3  # not overwritten by the cancel
    # the next demo's words come from the journal: the upgrade was aborted at step 3, not "after 13 of 13 steps"
    from wabiz_tui.tui.resume import earlier_demo_note
    said = earlier_demo_note()
    assert said and "its upgrade to 2.43.1 was aborted during step 3 (Upgrade Webapps)" in said, said
    folder = next((tmp_path / "wabiz-home").rglob("run.log")).parent
    assert QUIT_REASON in (folder / "run.log").read_text()
    report = json.loads((folder / "report.json").read_text())
    assert report["outcome"] == "aborted" and BACKUP_PASSWORD not in json.dumps(report)

    # reopened: the upgrade screen offers to resume it; no password is needed (the backup is kept)
    app = WabizApp(load_profile(session.profile_path), demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
        screen = app.screen
        offer = str(screen.query_one("#up-resume").render())
        assert screen.query_one("#up-resume").display and "aborted during step 3 (Upgrade Webapps)" in offer, offer
        assert screen.query_one("#up-target", Input).value == "2.43.1"
        assert "Resume upgrade" in str(screen.query_one("#op-run", Button).label)
        # the status line names that button, and the steps the journal records done show done (s8 trial M8)
        assert "ctrl+r (Resume upgrade)" in status(app), status(app)
        assert screen.step_states[1] is StepState.DONE and screen.step_states[3] is StepState.PENDING
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert "Resume the upgrade" in dialog_text(app)
        await pilot.press("y")
        await until(pilot, lambda: screen.outcome is not None, "the resumed upgrade to end", 90)
        assert screen.outcome is True, status(app)
        assert "Report: " in str(screen.query_one("#op-result").render())
        assert not screen.query_one("#up-resume").display  # finished: nothing left to resume
        check = str(screen.query_one("#up-check").render())  # not "✗ the cluster already runs 2.43.1"
        assert "✗" not in check and "runs 2.43.1 now" in check, check
    assert load_profile(session.profile_path).wa_api_version == "2.43.1"
    assert interrupted_upgrade(app_paths().journals, session.profile) is None


async def test_quit_with_nothing_running_leaves_at_once_with_status_0(installed_demo, tmp_path):
    app = WabizApp(installed_demo.profile, demo=installed_demo, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
    assert app.return_code == 0 and not app.quit_note


async def test_a_new_demo_says_it_does_not_continue_the_earlier_one(tmp_path):
    from wabiz_tui.demo import start_demo
    from wabiz_tui.tui.steps import StepState

    notes = []
    for run in range(2):
        session = await start_demo(tmp_path / f"demo-{run}")
        try:
            app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                notes.append([n.message for n in app._notifications])
                app.wizard.mark_done(range(1, 4))  # as if steps 1-3 ran
                assert app.state(3) is StepState.DONE
                await pilot.press("ctrl+q")
        finally:
            await session.stop()
    assert not any("earlier demo" in n for n in notes[0])  # the first demo has nothing to say
    said = [n for n in notes[1] if "earlier demo" in n]
    assert said and "had finished 3 of 13 steps" in said[0] and "cannot be continued" in said[0] and "step 1" in said[0]


async def test_quit_during_an_install_step_is_recorded_and_the_wizard_says_so_when_reopened(tmp_path):
    from wabiz_tui.demo import start_demo
    from wabiz_tui.tui.engine import install_journal

    from .test_preflight_gate import SPEED

    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        hosts = [h.external_hostname for h in session.profile.hosts]
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.screen.name == "step1"
            slow(session, hosts, 60)
            await pilot.press("ctrl+n")  # step 1 runs and hangs on every host
            await until(pilot, lambda: app.ensure_workflow().record.running is not None, "step 1 to run", 20)
            await pilot.press("ctrl+q")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question")
            text = dialog_text(app)
            assert "Install step 1 of 9 (Working directory)" in text and "half done at step 1" in text, text
            assert DEMO_END in text and "reopening" not in text  # the demo's cluster ends with it (defect 10)
            await pilot.press("y")
        slow(session, hosts, 0)
        assert app.return_code == 130
        aborted = install_journal(session.profile).aborted()
        assert aborted["step"] == 1 and sorted(aborted["hosts"]) == sorted(hosts) and aborted["reason"] == QUIT_REASON
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.screen.name == "step1"
            notes = [n.message for n in app._notifications]
            assert any("was aborted during install step 1 (quit from the TUI" in n and "before any step finished" in n
                       for n in notes), notes
    finally:
        await session.stop()


def test_the_quit_text_between_two_commands_reads_as_a_sentence():
    """Trial: "Upgrade runs no host is being changed right now: ..." (ctrl+q while the upgrade waited between steps)."""
    from wabiz_tui.tui.quitting import RunningWork
    from wabiz_tui.tui.quitting import quit_effect
    text = RunningWork("Upgrade", (), "the upgrade stops between two steps; resume it.",
                       effect=quit_effect("upgrade", None)).details
    assert text.startswith("Upgrade is between two remote commands (no host is being changed this moment): the upgrade")
    assert "Quitting stops the upgrade before its next step (no remote command is in flight now)" in text, text
    # held between two commands (s11 trial): what runs now and what starts are said once, by the effect
    held = RunningWork("Upgrade step 4 of 6 (Upgrade Masters)", ("wa-master-1",), "half upgraded.",
                       effect=quit_effect("upgrade", "up", ()), commands=(), held=True).details
    assert "no remote command runs now and none starts while this question is open" in held, held
    assert "No remote command runs this moment" not in held and "Nothing new starts" not in held, held
    with_hosts = RunningWork("Upgrade step 4 of 6 (Upgrade Masters)", ("wa-master-1",), "half upgraded.").details
    assert with_hosts.startswith("Upgrade step 4 of 6 (Upgrade Masters) runs on wa-master-1: half upgraded.")


def test_what_quitting_does_is_derived_from_the_step_in_flight():
    """The s7 trial read "Quitting stops its remote commands" during an upgrade that stops between steps: each
    kind of work says what a dropped connection does to it."""
    from wabiz_tui.tui.quitting import quit_effect
    dbupgrade = quit_effect("upgrade", "dbupgrade")
    assert "dbupgrade container" in dbupgrade and "runs detached" in dbupgrade
    assert "may still apply the registration" in quit_effect("install", "register")
    assert "no host command runs" in quit_effect("upgrade", "health") and "may still" not in quit_effect(
        "upgrade", "health")
    assert "half written" in quit_effect("install", "db_env")
    assert "nothing on the hosts changes" in quit_effect("logs", "collect")
    removed = quit_effect("uninstall", "down")
    assert "hangs up the remote commands in flight" in removed and "dockerd" in removed
    assert len({quit_effect(p, k) for p, k in [("upgrade", None), ("upgrade", "dbupgrade"),
                ("install", "register"), ("install", "start"), ("logs", "collect"), ("install", "files")]}) == 6


def preflight_children() -> list[int]:
    """Pids of this process's children that run ``workflows.offprocess``'s child (the TUI's preflight)."""
    import os
    from pathlib import Path

    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"offprocess import child_main" in cmdline:
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(not __import__("os").path.isdir("/proc"), reason="reads /proc")
async def test_quit_during_the_preflight_leaves_no_process_behind(tmp_path):
    import time

    from wabiz_tui.demo import start_demo
    from wabiz_tui.tui.engine import install_journal
    from wabiz_tui.workflows.offprocess import CANCEL_GRACE

    from .test_preflight_gate import SPEED, open_step, wizard_at_step

    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        hosts = [h.external_hostname for h in session.profile.hosts]
        app = wizard_at_step(session, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_step(pilot, app)
            slow(session, hosts, 60)  # every check hangs on every host
            await pilot.press("ctrl+n")  # the preflight
            await until(pilot, lambda: bool(preflight_children()), "the preflight's process", 30)
            await pilot.press("ctrl+q")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question")
            text = dialog_text(app)
            # the preflight's own words, not the idle install engine's ("between two remote commands", "stops the
            # install before its next step") nor an install abort written to the journal
            assert text.startswith("The preflight before step 5 is running. Quit anyway? The preflight before step 5 "
                                   f"runs on {len(hosts)} hosts"), text
            assert "Quitting hangs up the read-only commands in flight; nothing on the hosts changes" in text, text
            assert "the preflight only reads the hosts" in text and "Nothing is recorded" in text, text
            assert "install" not in text and "journal" not in text, text
            await pilot.press("y")
            quit_at = time.monotonic()
        took = time.monotonic() - quit_at
        assert app.return_code == 130
        assert install_journal(session.profile).aborted() is None
        assert "The preflight before step 5 was aborted" in exit_note(app), exit_note(app)
        assert not preflight_children()
        assert took < CANCEL_GRACE, took  # it ended when asked (its connections closed), not killed after the grace
    finally:
        slow(session, [h.external_hostname for h in session.profile.hosts], 0)
        await session.stop()
