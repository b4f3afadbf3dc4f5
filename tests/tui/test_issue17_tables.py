"""Issue 17 (a new user's ``demo --hosts 50`` trial), the tables: step 5's preflight counters agree while the checks
run, the health table says how many rows it shows and brings a new failure into view, and steps 7/9 and M2/M4
explain a node's state in the same words."""

from __future__ import annotations

import re

import pytest

from tests.support import SPEED, big_layout
from wabiz_tui.demo import start_demo
from wabiz_tui.domain.health import ClusterVerdict, Level, NodeVerdict
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.health_table import HealthPanel
from wabiz_tui.tui.widgets.preflight_table import PreflightTable
from wabiz_tui.workflows.monitor import PollResult

from .pilot_wait import settle
from .screen_text import screen_text
from .test_preflight_gate import run_headless
from .test_snapshots import make_app, show_step

pytestmark = pytest.mark.slow


async def test_at_120x40_with_50_hosts_the_preflight_title_counts_what_the_status_line_counts(tmp_path):
    """Before: ``Preflight · 50/50 hosts`` in the table's title from each host's first result, while the status
    line said ``0/50 hosts`` until the hosts' checks were all in."""
    session = await start_demo(tmp_path / "demo", speed=SPEED, hosts=big_layout(), spare_hosts=())
    await run_headless(session, range(1, 5), journal=False)
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs")
    app.states.update({n: StepState.DONE for n in range(1, 5)})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.goto_step(5)
        await pilot.pause()
        await pilot.press("ctrl+n")  # the preflight
        table = app.screen.query_one(PreflightTable)
        seen_partial = False
        while app.busy:
            await pilot.pause(0.05)
            found = re.search(r"Preflight · (\d+)/50", str(table.border_title))
            if found is None:
                continue
            finished = len(app.screen.finished_hosts)  # the status line's N/50 hosts and its progress bar
            assert int(found.group(1)) <= finished, (table.border_title, finished)
            seen_partial |= bool(table.checks) and finished < 50
        await settle(app, pilot, 120)
        assert seen_partial, "no frame while the checks ran"
        assert "50/50 checked" in str(table.border_title)
        assert "50/50 hosts" in str(app.screen.query_one("#elapsed").render())


def cluster(coreapps: int, *, failed: str = "", shards: int = 2) -> ClusterVerdict:
    """Two Masters and ``coreapps`` Coreapps (``wa-core-1``..), the first ``shards`` connected, the rest standby;
    ``failed``: that Coreapp's container is gone and its shard not served."""
    nodes = [NodeVerdict("wa-master-1", "aa11", "primary master", "primary_master", "disconnected", "disconnected",
                         Level.OK, "primary master"),
             NodeVerdict("wa-master-2", "aa12", "master", "secondary_master", "disconnected", "disconnected",
                         Level.OK, "secondary master")]
    for i in range(1, coreapps + 1):
        host = f"wa-core-{i}"
        if host == failed:
            nodes.append(NodeVerdict(host, "", "coreapp", "coreapp", "connected", "missing", Level.FAILURE,
                                     "container down or host unreachable"))
        elif i <= shards:
            nodes.append(NodeVerdict(host, f"c{i}", "coreapp", "coreapp", "connected", "connected", Level.OK,
                                     "shard owner"))
        else:
            nodes.append(NodeVerdict(host, f"c{i}", "coreapp", "coreapp", "disconnected", "disconnected", Level.STANDBY,
                                     "standby"))
    level = Level.FAILURE if failed else Level.OK
    return ClusterVerdict(level, "a shard is not served" if failed else "Multiconnect healthy", "nothing to do",
                          tuple(nodes), shards_expected=shards, shards_served=shards - bool(failed),
                          standby=coreapps - shards, primary_master="wa-master-1:aa11", registered=True)


async def test_at_80x24_the_monitor_says_how_many_rows_it_shows_and_brings_a_new_failure_into_view(tmp_path,
                                                                                                   no_polling):
    """Before: 5 of the rows on screen with no count or scroll bar (wa-core-3 appeared only after ↓); after scrolling
    down, the Coreapp killed (F5) came first in the table, above its top edge."""
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=cluster(3)))
        app.clear_notifications()
        await pilot.pause(0.2)
        panel = screen.query_one(HealthPanel)
        table = panel.table
        shown = table.scrollable_content_region.height - table.header_height
        assert 0 < shown < table.row_count
        # no line to spare at 80x24: the count is the Host column's header
        assert f"  1-{shown}/{table.row_count}↓ " in screen_text(app), screen_text(app)
        table.focus()
        for _ in range(table.row_count):  # down to the last row: the table scrolls down
            await pilot.press("down")
        await pilot.pause(0.2)
        assert table.scroll_y > 0
        assert f"-{table.row_count}/{table.row_count}↑ " in screen_text(app), screen_text(app)
        screen.show_result(PollResult(polled_at=5, latency=0.04, verdict=cluster(3, failed="wa-core-1")))
        await pilot.pause(0.2)
        assert panel.rows[0].host == "wa-core-1" and panel.rows[0].level == "failure"
        assert table.scroll_y == 0, "the new failure is above the table's top edge"
        assert "wa-core-1    ✗" in screen_text(app)


@pytest.mark.parametrize("size, step, least", [((120, 40), 7, 18), ((200, 50), 9, 30)], ids=["120x40", "200x50"])
async def test_with_50_nodes_the_health_steps_table_fills_the_room_and_says_of_how_many(tmp_path, size, step, least):
    """Before: 16 of 50 rows at 120x40 with no "of 50", 18 rows over ~12 empty lines at 200x50 (a 35vh cap)."""
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await show_step(app, pilot, step)
        app.screen.show_health(cluster(46))
        panel = app.screen.query_one(HealthPanel)
        table, body = panel.table, app.screen.query_one("#body")
        for _ in range(50):  # the fit and the hint follow the layouts after the verdict (a few frames)
            await pilot.pause(0.1)
            shown = table.scrollable_content_region.height - table.header_height
            if shown >= least and f"nodes 1-{shown} of {table.row_count} shown" in screen_text(app):
                break
        assert shown >= least, shown
        assert f"nodes 1-{shown} of {table.row_count} shown" in screen_text(app)
        assert body.region.contains_region(panel.detail.region), "the selected node's detail is on screen"
        empty = body.region.bottom - max(w.region.bottom for w in body.children if w.display)
        assert empty <= 2, f"{empty} empty lines under the panel"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_steps_7_and_9_say_a_nodes_state_in_the_same_words_and_detail(tmp_path, size):
    """Before: at 80x24 step 9 (its report line and messages squeezing the body) showed ``◦`` alone with no detail
    panel while step 7 had one; at 120 step 9 showed ``◦`` where step 7 said ``◦ standby``."""
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    seen = {}
    async with app.run_test(size=size) as pilot:
        for step in (7, 9):
            await show_step(app, pilot, step)
            screen = app.screen
            if step == 9:  # as after the real step 9: the install's report line and a message under the body
                screen.show_report("install", tmp_path / "logs" / "demo-20261206-050329-install" / "report.md")
                screen.add_message("Step 9 done: exactly one Coreapp connected per shard")
            screen.show_health(cluster(4))
            await pilot.pause(0.3)
            panel = screen.query_one(HealthPanel)
            table = panel.table
            table.focus()
            table.move_cursor(row=[r.host for r in panel.rows].index("wa-core-4"))  # a standby Coreapp
            await pilot.pause(0.2)
            screen.query_one("#body").scroll_to_widget(panel.detail, animate=False)
            await pilot.pause(0.2)
            text = screen_text(app)
            assert "◦ standby" in text, text  # in the State column, or in the legend under the table
            assert panel.detail.region.height and "▸ wa-core-4 coreapp c4 · ◦ standby" in text, text
            seen[step] = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert seen[7] == seen[9]
        if size[0] >= 120:
            assert "◦ standby" in seen[9]


async def test_the_upgrade_screens_health_table_keeps_the_height_of_its_panel(tmp_path):
    """s11 review: the table fitted to the room its scrolled body leaves was 3 nodes tall on the upgrade screen (its
    panel is 16 lines beside the form and the host panes there: the room came out negative)."""
    from .test_operations import until

    app = make_app(installed=True, log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
        app.screen.show_health(cluster(4))  # as a run's health answer does
        panel = app.screen.query_one("#up-health", HealthPanel)
        await pilot.pause(0.3)
        table = panel.table
        shown = table.scrollable_content_region.height - table.header_height
        assert shown >= min(table.row_count, 6), (shown, table.row_count)


async def test_at_80x24_a_mouse_scroll_updates_the_row_count_in_the_header(tmp_path, no_polling):
    """s11 review: a scroll that does not move the cursor (the mouse wheel, the scroll bar) left the old count in the
    Host header (Textual's drawn lines kept the old label)."""
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=cluster(3)))
        app.clear_notifications()
        await pilot.pause(0.2)
        table = app.screen.query_one(HealthPanel).table
        shown = table.scrollable_content_region.height - table.header_height
        assert f"  1-{shown}/{table.row_count}↓ " in screen_text(app), screen_text(app)
        table.scroll_to(y=table.max_scroll_y, animate=False)  # as the wheel does: the cursor stays on row 1
        await pilot.pause(0.2)
        assert table.cursor_row == 0
        first = int(table.scroll_y) + 1
        assert f"  {first}-{table.row_count}/{table.row_count}↑ " in screen_text(app), screen_text(app)
