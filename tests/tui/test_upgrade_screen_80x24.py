"""The upgrade screen at 80x24 (the s8 trial's M7 and C4, issue 17): once the upgrade runs its form folds away
so the hosts' panes are on screen; "Restore this backup" is offered only once a backup exists.
Pilot against the simulated cluster over real SSH."""

from __future__ import annotations

import pytest

from tests.tui.test_operations import until
from tests.tui.test_quit_during_operation import slow, webapps
from tests.tui.test_quit_holds_the_run import start_upgrade
from wabiz_tui.tui.app import WabizApp

pytestmark = pytest.mark.slow


async def test_the_form_folds_while_the_upgrade_runs_and_restore_is_offered_once_a_backup_exists(installed_demo,
                                                                                                  tmp_path):
    session = installed_demo
    web = webapps(session)
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
        assert not app.screen.query_one("#up-restore").display  # no backup yet: nothing to restore
        screen = await start_upgrade(pilot, app, session, 60)
        await pilot.pause()
        assert not screen.query_one("#up-form").display
        panes = screen.query_one("#op-panes").region
        assert panes.height > 0 and panes.y < app.size.height - 4, panes  # the panes are on screen, not below it
        slow(session, web, 0)
        await until(pilot, lambda: screen.outcome is not None, "the upgrade to end", 90)
        assert screen.query_one("#up-form").display  # the form is back for the next run
        assert screen.query_one("#up-restore").display  # the backup of step 1 exists now
