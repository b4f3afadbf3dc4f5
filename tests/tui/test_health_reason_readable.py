"""The selected node's reason and next action read whole at 80×24, 120×40 and 200×50 (issue 17 defect 3, s7 trial):
at 80×24 the detail panel was cut to 1–3 lines (wizard step 7: ``reason: as expected before``, the rest cut;
monitor: ``…check 'docker-compose ps' on`` and the host cut), and at 120 columns steps 9/M2/M4 showed a Container
column where the Reason column belonged."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Static

from wabiz_tui.domain.health import ClusterVerdict, Level, NodeVerdict
from wabiz_tui.tui.widgets.health_table import HealthPanel
from wabiz_tui.tui.widgets.node_detail import next_action
from wabiz_tui.workflows.monitor import PollResult

from .screen_text import screen_text
from .test_snapshots import make_app, show_step

SIZES = [(80, 24), (120, 40), (200, 50)]
LONG = ("container exited: check 'docker-compose ps' on wa-core-1 and read its logs; the shard it owned was not "
        "taken over by a standby Coreapp within 30 s")


def long_reason_verdict() -> ClusterVerdict:
    """Five Coreapps, the shard owner gone with a long reason."""
    nodes = [NodeVerdict(f"wa-core-{i}", f"c{i:011d}", "coreapp", "coreapp", "disconnected", "disconnected",
                         Level.STANDBY, "standby coreapp: takes a shard over when its owner stops") for i in range(1, 6)]
    nodes[0] = NodeVerdict("wa-core-1", "", "coreapp", "coreapp", "connected", "missing", Level.FAILURE, LONG)
    return ClusterVerdict(Level.FAILURE, "Shard 1 is not served", "start wacore on wa-core-1", tuple(nodes),
                          shards_served=0, standby=4, primary_master="wa-core-2:c00000000002", registered=True)


def drawn(app, widget) -> str:
    """The words ``widget`` shows on the terminal (its columns of the rows it covers), whitespace collapsed."""
    lines = screen_text(app).splitlines()
    r = widget.region
    return " ".join(" ".join(line[r.x:r.right].split()) for line in lines[r.y:r.bottom])


def squash(text: str) -> str:
    return " ".join(text.split())


def assert_reason_and_next_whole(app) -> None:
    panel = app.screen.query_one(HealthPanel)
    row = panel.selected
    assert row is not None and row.reason == LONG
    why = panel.detail.query_one(".node-detail-why", Static)
    assert why.region.bottom <= app.size.height - 1, "the detail panel must be above the footer"
    shown = drawn(app, why)
    assert squash(f"reason: {LONG}") in shown
    assert squash(f"next: {next_action(row)}") in shown


async def show_long_reason(app, pilot) -> None:
    """Hand the monitor a poll whose shard owner is gone with a long reason (:func:`long_reason_verdict`)."""
    await pilot.pause()
    app.screen.show_result(PollResult(polled_at=time.time(), latency=0.04, verdict=long_reason_verdict()))
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_monitor_shows_the_selected_reason_and_next_action_whole(tmp_path, no_polling, size):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await show_long_reason(app, pilot)
        assert_reason_and_next_whole(app)


@pytest.mark.parametrize("number", [7, 9, 11, 13], ids=["7", "9", "M2", "M4"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_wizard_health_steps_show_the_selected_reason_and_next_action_whole(tmp_path, size, number):
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await show_step(app, pilot, number)
        app.screen.show_health(long_reason_verdict())
        await pilot.pause()
        await pilot.pause()
        assert_reason_and_next_whole(app)


@pytest.mark.parametrize("number", [9, 11, 13], ids=["9", "M2", "M4"])
async def test_reason_column_ranks_above_the_container_at_120_columns(tmp_path, number):
    """Before: the reason had no column at 120 columns beside the step list, but the container had one."""
    keys = await step_health_columns(tmp_path, number, long_reason_verdict())
    assert "reason" in keys
    assert "container" not in keys or keys.index("reason") < keys.index("container")


async def step_health_columns(tmp_path, number: int, verdict: ClusterVerdict) -> list[str]:
    """The health table's column keys on wizard step ``number`` at 120x40 once it shows ``verdict``."""
    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40)) as pilot:
        await show_step(app, pilot, number)
        app.screen.show_health(verdict)
        await pilot.pause()
        await pilot.pause()
        return [c.key.value for c in app.screen.query_one(HealthPanel).table.ordered_columns]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_no_container_column_without_a_reason_column(tmp_path, no_polling, size):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await show_long_reason(app, pilot)
        keys = [c.key.value for c in app.screen.query_one(HealthPanel).table.ordered_columns]
        assert ("reason" in keys) or ("container" not in keys)


def demo_like_verdict() -> ClusterVerdict:
    """The 5-host demo after Multiconnect: a primary and a secondary master, a shard owner and a standby Coreapp."""
    nodes = (NodeVerdict("wa-master-1", "m00000000001", "primary_master or secondary_master", "primary_master",
                         "connected or disconnected", "connected", Level.OK, "as expected"),
             NodeVerdict("wa-master-2", "m00000000002", "primary_master or secondary_master", "secondary_master",
                         "connected or disconnected", "disconnected", Level.OK, "as expected"),
             NodeVerdict("wa-core-1", "c00000000001", "coreapp", "coreapp",
                         "connected (shard owner) or disconnected (standby)", "connected", Level.OK, "as expected: owns a shard"),
             NodeVerdict("wa-core-2", "c00000000002", "coreapp", "coreapp",
                         "connected (shard owner) or disconnected (standby)", "disconnected", Level.STANDBY,
                         "standby coreapp: takes a shard over when its owner stops"))
    return ClusterVerdict(Level.OK, "Multiconnect healthy", "nothing to do", nodes, shards_served=1, standby=1,
                          primary_master="wa-master-1:m00000000001", registered=True)


@pytest.mark.parametrize("number", [9, 13], ids=["9", "M4"])
async def test_a_standby_row_does_not_push_the_reason_column_off_at_120_columns(tmp_path, number):
    """Trial s8 C1: at 120x40 the Reason column vanished once a ``◦ standby`` row widened State (~20 columns free)."""
    keys = await step_health_columns(tmp_path, number, demo_like_verdict())
    assert "reason" in keys, keys


async def test_the_container_id_is_on_screen_at_80_columns(tmp_path, no_polling):
    """Trial s8 C9: at 80x24 the table has no Container column and the panel's short part had no container id."""
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.show_result(PollResult(polled_at=time.time(), latency=0.04, verdict=demo_like_verdict()))
        await pilot.pause()
        await pilot.pause()
        row = app.screen.query_one(HealthPanel).selected
        assert row is not None and row.container not in ("", "—")
        assert row.container in screen_text(app)
        # in the part short screens keep (the rest is dropped there to leave the reason its lines)
        assert row.container in app.screen.query_one(HealthPanel).detail.why_text.plain
