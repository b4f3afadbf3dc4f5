"""Step 5's preflight gate, against the simulated cluster (demo)."""

from __future__ import annotations


import pytest
from textual.widgets import DataTable

from wabiz_tui.config.paths import app_paths
from wabiz_tui.demo import start_demo
from wabiz_tui.remote.ssh import SshSettings
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import HostLogPane
from wabiz_tui.tui.widgets.preflight_table import PreflightTable
from wabiz_tui.workflows.events import discard
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.journal import Journal
from wabiz_tui.workflows.settings import RunSettings
from .pilot_wait import settle

pytestmark = pytest.mark.slow

SIZE = (140, 45)
SPEED = 0.05



async def run_headless(session, steps: range, *, journal: bool = True) -> None:
    """Run ``steps`` of the install headless, with the profile's install journal (as the wizard does)."""
    settings = RunSettings(ssh=SshSettings(known_hosts=[session.profile.known_hosts], read_user_config=False),
                           poll_interval=0.1, health_timeout=30.0, grace=2.0, profile_path=session.profile_path, state_window=0.3)
    if journal:
        settings.journal = Journal.for_cluster(app_paths().journals, session.profile, "install")
    install = HaInstall(session.profile, emit=discard, settings=settings)
    try:
        for number in steps:
            assert await install.run_step(number), f"step {number} failed headless"
    finally:
        await install.close()


def status(app: WabizApp) -> str:
    return str(app.screen.query_one("#status").render())


def wizard_at_step(session, tmp_path, number: int = 5) -> WabizApp:
    """The wizard on the demo ``session`` with the steps before ``number`` marked done (5: its preflight gate is
    next)."""
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
    app.states.update({n: StepState.DONE for n in range(1, number)})
    return app


async def open_step(pilot, app: WabizApp, number: int = 5) -> None:
    """Show step ``number`` (not run yet)."""
    await pilot.pause()
    app.goto_step(number)
    await pilot.pause()


def pane_lines(app: WabizApp) -> list[str]:
    lines = []
    for pane in app.screen.query(HostLogPane):
        pane.flush()
        lines += list(pane.history)
    return lines


async def test_a_quiet_preflight_lets_step_5_start(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        await run_headless(session, range(1, 5), journal=False)
        app = wizard_at_step(session, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_step(pilot, app)
            assert "preflight" in status(app)
            await pilot.press("ctrl+n")  # the first run of step 5 is the preflight
            await settle(app, pilot)
            table = app.screen.query_one(PreflightTable)
            assert table.display and not table.failures(), table.failures()
            hosts = [h.external_hostname for h in session.profile.hosts]
            assert table.hosts == hosts and app.screen.query_one(DataTable).row_count == len(hosts)
            assert "Preflight passed" in status(app), status(app)
            assert app.state(5) is StepState.PENDING
            assert not any("up -d" in line for line in pane_lines(app))  # nothing started yet
            await pilot.press("ctrl+n")  # now step 5 itself
            await settle(app, pilot)
            assert app.state(5) is StepState.DONE, status(app)
            assert any("up -d" in line for line in pane_lines(app))
    finally:
        await session.stop()


@pytest.mark.parametrize("fault", ["port", "docker"])
async def test_a_preflight_failure_blocks_step_5_until_fixed(tmp_path, fault):
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        if fault == "port":
            session.cluster.set_port_taken("wa-core-1", 6250)
        else:
            session.cluster.set_docker_fault("wa-core-1", "daemon_down")
        app = wizard_at_step(session, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_step(pilot, app)
            await pilot.press("ctrl+n")
            await settle(app, pilot)
            assert app.state(5) is StepState.BLOCKED
            assert "blocked" in str(app.screen.query_one("#step-item-5").render())
            table = app.screen.query_one(PreflightTable)
            failures = table.failures()
            assert failures and all(f.startswith("wa-core-1 ") for f in failures), failures
            check = "ports" if fault == "port" else "docker"
            assert table.checks[("wa-core-1", check)][0] == "failure"
            grid = app.screen.query_one(DataTable)
            row = grid.get_row("wa-core-1")
            cell = row[1 + table.names.index(check)]
            assert "FAIL" in cell.plain and "red" in str(cell.style)  # a red cell in the host's row
            assert "wa-core-1" in status(app) and "block step 5" in status(app), status(app)
            # Next again re-runs the checks (still failing): step 5 itself never starts
            await pilot.press("ctrl+n")
            await settle(app, pilot)
            assert app.state(5) is StepState.BLOCKED
            assert not any("up -d" in line for line in pane_lines(app))
            # fixed on the host: ctrl+r re-runs the checks, which pass
            if fault == "port":
                session.cluster.set_port_taken("wa-core-1")
            else:
                session.cluster.set_docker_fault("wa-core-1", None)
            await pilot.press("ctrl+r")
            await settle(app, pilot)
            assert not table.failures() and app.state(5) is StepState.PENDING, status(app)
            assert "Preflight passed" in status(app)
    finally:
        await session.stop()


async def test_a_preflight_process_that_dies_is_said_in_words_with_the_next_action(tmp_path, monkeypatch):
    from wabiz_tui.workflows import offprocess

    # the child process of the preflight ends at once with status 3 (as when it is killed or cannot start Python)
    monkeypatch.setattr(offprocess, "_BOOT", "import sys\nsys.stderr.write('MemoryError: out of memory\\n')\nsys.exit(3)\n")
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        app = wizard_at_step(session, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_step(pilot, app)
            await pilot.press("ctrl+n")
            await settle(app, pilot)
            text = status(app)
            assert "the preflight process ended with status 3 before its answer: MemoryError: out of memory" in text, text
            assert f"`wabiz-tui preflight {app.profile_ref()}` runs the same checks" in text, text
            assert app.profile_ref() in (session.profile.name, str(session.profile_path)) and "Traceback" not in text
            assert app.state(5) is not StepState.DONE
    finally:
        await session.stop()
