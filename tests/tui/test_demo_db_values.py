"""Step 3 in the demo: a changed DB password can be put back (s11 new-user trial: the demo's password was found only
in the source, and a changed one blocked step 5 until the demo was restarted)."""

from __future__ import annotations

import pytest

from tests.tui.test_operations import type_into
from wabiz_tui.demo import DEMO_DB_PASSWORD, start_demo

from .test_preflight_gate import SPEED, open_step, wizard_at_step

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_demo_values_button_puts_the_demo_database_back(tmp_path, size):
    session = await start_demo(tmp_path / "demo", speed=SPEED)
    try:
        app = wizard_at_step(session, tmp_path, 3)
        async with app.run_test(size=size) as pilot:
            await open_step(pilot, app, 3)
            await type_into(pilot, app, "#db-password", "Another-pass-99")
            await type_into(pilot, app, "#f-db-username Input", "someone")
            assert not app.screen.collect() and app.profile.db.password == "Another-pass-99"
            button = app.screen.query_one("#db-demo-values")
            button.scroll_visible(animate=False)
            await pilot.pause()
            assert button.region.bottom <= size[1] and button.region.width > 0
            await pilot.click("#db-demo-values")
            await pilot.pause()
            assert not app.screen.collect()
            assert app.profile.db.password == DEMO_DB_PASSWORD and app.profile.db == session.profile.db
            assert DEMO_DB_PASSWORD not in app.export_screenshot()
    finally:
        await session.stop()


async def test_outside_the_demo_there_is_no_demo_values_button(tmp_path):
    from tests.tui.test_snapshots import make_app, show_step

    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await show_step(app, pilot, 3)
        assert not app.screen.query("#db-demo-values")
