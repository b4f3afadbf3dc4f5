"""Issue 17, big clusters: the monitor on 50 simulated hosts (4 Webapps, 3 Masters, 43 Coreapps), installed
headless on the real simulator. Every problem row and the primary master are on screen without scrolling."""

from __future__ import annotations

import pytest

from tests.support import SPEED, install_headless
from wabiz_tui.demo import start_demo
from wabiz_tui.sim import SimHost
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.widgets.health_table import HealthPanel

from .pilot_wait import until

pytestmark = pytest.mark.slow

BIG = (tuple(SimHost(f"wa-web-{n}", ("webapp",)) for n in range(1, 5))
       + tuple(SimHost(f"wa-master-{n}", ("master",)) for n in range(1, 4))
       + tuple(SimHost(f"wa-core-{n}", ("coreapp",)) for n in range(1, 44)))


@pytest.fixture
async def big_demo(tmp_path):
    session = await start_demo(tmp_path / "demo", speed=SPEED, hosts=BIG, spare_hosts=())
    try:
        yield await install_headless(session)
    finally:
        await session.stop()


def on_screen(app: WabizApp, panel: HealthPanel) -> list[str]:
    """The hosts of the rows drawn inside the table's visible region, which is inside the screen."""
    table = panel.table
    region = table.content_region.intersection(app.screen.region)
    first = int(table.scroll_y)
    shown = max(0, region.height - 1)  # the header line
    return [r.host for r in panel.rows[first:first + shown]]


async def test_fifty_hosts_problems_and_primary_master_on_screen(big_demo, tmp_path):
    session = big_demo
    # two Coreapps go down, one of them far in the natural order
    for host in ("wa-core-17", "wa-core-40"):
        session.cluster.kill_container(host, "wacore")
    for size in ((80, 24), (120, 40), (200, 50)):
        app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=0.1)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            monitor = app.screen
            assert isinstance(monitor, MonitorScreen)
            panel = monitor.query_one(HealthPanel)
            await until(pilot, lambda: len(panel.rows) == 50, "50 rows (3 Masters, 43 Coreapps, 4 Webapps)", 60)
            assert sum(r.kind == "webapp" for r in panel.rows) == 4
            await until(pilot, lambda: {"wa-core-17", "wa-core-40"} <= {r.host for r in panel.rows if r.problem},
                        "the two problem rows", 60)
            await pilot.pause(0.2)
            problems = [r.host for r in panel.rows if r.problem]
            primary = next(r.host for r in panel.rows if r.actual_role == "primary_master")
            shown = on_screen(app, panel)
            assert set(problems) <= set(shown), (size, problems, shown)
            assert primary in shown and shown.index(primary) == len(problems), (size, shown)
            # then Masters, Webapps, Coreapps, each in natural order
            kinds = [r.kind for r in panel.rows if not r.problem]
            assert kinds == ["master"] * 3 + ["webapp"] * 4 + ["coreapp"] * 41
            coreapps = [r.host for r in panel.rows if r.kind == "coreapp" and not r.problem]
            assert coreapps == sorted(coreapps, key=lambda h: int(h.rsplit("-", 1)[1]))
            assert coreapps[:3] == ["wa-core-1", "wa-core-2", "wa-core-3"]
