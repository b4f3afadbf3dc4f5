"""The version of each node in the monitor (trial M4/S1): always in the detail panel, in the table only while
versions differ, as a narrow column that never pushes gateway_status (nor, where it has a column, the reason) off."""

from __future__ import annotations

import pytest

from wabiz_tui.domain.health import Plan, judge, parse_health
from wabiz_tui.domain.versions import HostImages, VersionRead, with_versions
from wabiz_tui.tui.widgets.health_table import HealthPanel
from wabiz_tui.workflows.monitor import PollResult

from .test_health_table import drawn, visible
from .test_snapshots import make_app

NEW, OLD = "docker.whatsapp.biz/coreapp:v2.53.1", "docker.whatsapp.biz/coreapp:v2.51.0"
HEALTH = {"health": {"wa-host-1:aa11": {"role": "primary_master", "gateway_status": "disconnected"},
                     "wa-host-1:cc11": {"role": "coreapp", "gateway_status": "connected"},
                     "wa-host-2:bb22": {"role": "secondary_master", "gateway_status": "disconnected"},
                     "wa-host-2:cc22": {"role": "coreapp", "gateway_status": "disconnected"}}}


def half_upgraded(differ: bool = True, web: str = "docker.whatsapp.biz/web:v2.53.1"):
    """sample_profile's cluster (WA_API_VERSION 2.53.1): wa-host-2 still on 2.51.0 (unless not ``differ``), wa-host-3
    not read, wa-host-1's Webapp on ``web``."""
    plan = Plan(("wa-host-1", "wa-host-2"), ("wa-host-1", "wa-host-2"), ("wa-host-1", "wa-host-3"), 1, True)
    second = OLD if differ else NEW
    read = VersionRead(1_700_000_000.0, {
        "wa-host-1": HostImages("wa-host-1", (("waweb", web), ("master", NEW),
                                              ("wacore", NEW))),
        "wa-host-2": HostImages("wa-host-2", (("master", second), ("wacore", second))),
        "wa-host-3": HostImages("wa-host-3", error="host key unknown (SHA256:abc)")})
    return with_versions(judge(parse_health(HEALTH), plan), read, "2.53.1", ("wa-host-1", "wa-host-3"),
                         "wabiz-tui upgrade demo --resume --yes")


async def _show(app, pilot, verdict) -> HealthPanel:
    app.screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=verdict))
    app.clear_notifications()
    await pilot.pause()
    await pilot.pause(0.1)
    return app.screen.query_one(HealthPanel)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_differing_node_named_in_table_and_panel(tmp_path, no_polling, size):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        panel = await _show(app, pilot, half_upgraded())
        table = panel.table
        columns = [c.key.value for c in table.ordered_columns]
        assert {"host", "state", "role", "status"} <= visible(table), visible(table)
        assert "version" in columns and columns.index("version") == columns.index("status") + 1
        if size[0] >= 120:
            assert "reason" in columns  # the reason keeps its column
        # problems first: wa-host-2's two nodes, each with its version and what to do
        first = panel.detail
        assert first.row is not None and first.row.host == "wa-host-2" and first.row.level == "warning"
        why = drawn(first.query_one(".node-detail-why"))
        assert "runs v2.51.0" in why
        assert "reason: runs v2.51.0, profile says v2.53.1: finish the upgrade (`wabiz-tui upgrade demo --resume" in why
        # trial s9: its only problem is its version, so the next action is the version's, not "restart it"
        assert "next: finish the upgrade (`wabiz-tui upgrade demo --resume --yes`)" in " ".join(why.split()), why
        assert "restart it (R)" not in why
        cell = str(table.get_cell_at((0, columns.index("version"))))
        assert cell == "v2.51.0"
        # the Webapp that could not be read says why, never a version
        index = next(i for i, r in enumerate(panel.rows) if r.host == "wa-host-3")
        table.move_cursor(row=index, animate=False)
        await pilot.pause()
        assert "version not read: host key unknown (SHA256:abc)" in panel.detail.plain
        assert str(table.get_cell_at((index, columns.index("version")))) == "?"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_one_version_no_column_but_panel_says_it(tmp_path, no_polling, size):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        panel = await _show(app, pilot, half_upgraded(differ=False))
        columns = [c.key.value for c in panel.table.ordered_columns]
        assert "version" not in columns
        assert ("reason" in columns) is (size[0] >= 120)
        row = panel.detail.row
        assert row is not None and row.version == "v2.53.1" and row.level in ("ok", "standby")
        assert "runs v2.53.1" in drawn(panel.detail.query_one(".node-detail-why"))
        assert "versions read at" in panel.detail.plain


def test_a_webapp_row_whose_only_problem_is_its_version_is_told_the_versions_action():
    """Trial s9: wa-web-1's reason said "finish the upgrade", its next action "read its logs; restart it"."""
    from dataclasses import replace

    from wabiz_tui.tui.widgets.health_table import rows_for
    from wabiz_tui.tui.widgets.node_detail import next_action

    verdict = half_upgraded(differ=False, web="docker.whatsapp.biz/web:v2.51.0")
    rows = {r.host: r for r in rows_for(verdict, ("wa-host-1", "wa-host-3"), "wa-host-1") if r.kind == "webapp"}
    assert rows["wa-host-1"].level == "warning"
    assert next_action(rows["wa-host-1"]) == "finish the upgrade (`wabiz-tui upgrade demo --resume --yes`)"
    assert next_action(replace(rows["wa-host-1"], reason="a warning of its own", version_action="")).startswith("read its logs (l)")
