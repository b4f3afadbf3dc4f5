"""Issue 17, defect 3 and big clusters: the health table's columns at 80, 120 and 200 columns, its order, the
detail panel of the selected row, and the Webapps in the table."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import DataTable

from wabiz_tui.domain.health import Level, NodeVerdict
from wabiz_tui.tui.screens.monitor import MonitorScreen
from wabiz_tui.tui.widgets.health_table import COLUMNS, HealthPanel, NodeRow, natural_key, sort_rows
from wabiz_tui.workflows.monitor import PollResult

from .test_snapshots import failing_verdict, make_app

SIZES = [(80, 24), (120, 40), (200, 50)]


def row(host: str, kind: str, level: str, actual_role: str = "") -> NodeRow:
    return NodeRow(host, "c0ffee", kind, kind, actual_role or kind, "disconnected", "disconnected", level, "why")


def test_natural_sort_problems_then_primary_masters_webapps_coreapps():
    rows = [row("wa-core-19", "coreapp", "standby"), row("wa-core-1", "coreapp", "ok"),
            row("wa-core-20", "coreapp", "standby"), row("wa-core-2", "coreapp", "standby"),
            row("wa-web-2", "webapp", "ok"), row("wa-web-1", "webapp", "ok"),
            row("wa-master-2", "master", "ok", "secondary_master"), row("wa-master-3", "master", "ok", "primary_master"),
            row("wa-core-10", "coreapp", "failure"), row("wa-core-7", "coreapp", "waiting"),
            row("wa-master-1", "master", "warning", "secondary_master")]
    assert [r.host for r in sort_rows(rows)] == [
        "wa-core-10", "wa-master-1", "wa-core-7",  # problems, the worst first
        "wa-master-3",  # the primary master
        "wa-master-2", "wa-web-1", "wa-web-2",
        "wa-core-1", "wa-core-2", "wa-core-19", "wa-core-20"]
    assert natural_key("wa-core-2") < natural_key("wa-core-10")


def column_spans(table: DataTable) -> dict[str, tuple[int, int]]:
    """Each column's [start, end) in the table's virtual width."""
    spans, x = {}, 0
    for key, column in table.columns.items():
        width = column.get_render_width(table)
        spans[key.value] = (x, x + width)
        x += width
    return spans


def visible(table: DataTable) -> set[str]:
    left, width = int(table.scroll_x), table.scrollable_content_region.width
    return {k for k, (a, b) in column_spans(table).items() if a >= left and b <= left + width}


def drawn(widget) -> str:
    """The text of the lines ``widget`` draws in its region (wrapped lines joined with spaces)."""
    region = widget.content_region
    strips = widget.render_lines(region.reset_offset)
    return " ".join("".join(seg.text for seg in strip).strip() for strip in strips)


async def show_failing(app, pilot) -> tuple[MonitorScreen, HealthPanel]:
    screen = app.screen
    assert isinstance(screen, MonitorScreen)
    screen.show_result(PollResult(polled_at=0, latency=0.04, verdict=failing_verdict()))
    app.clear_notifications()
    await pilot.pause()
    await pilot.pause(0.1)
    return screen, screen.query_one(HealthPanel)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_column_is_readable(tmp_path, no_polling, size):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        _screen, panel = await show_failing(app, pilot)
        table = panel.table
        assert app.focused is table
        # the columns an operator reads first are on screen at every width, whole
        assert {"host", "state", "role", "status"} <= visible(table), visible(table)
        # one "expected → actual" cell each for role and gateway_status, short words
        columns = [c.key.value for c in table.ordered_columns]
        # at 80 columns the reason has no column (a few characters of it told nothing), nor the container that ranks
        # below it: the detail panel has both
        # (the version column only while versions differ: tests/tui/test_health_versions.py)
        assert columns == [k for k, _ in COLUMNS if k != "version" and (size[0] >= 120 or k not in ("reason", "container"))], columns
        first = [str(table.get_cell_at((0, i))) for i in range(len(columns))]
        assert first[0] == "wa-host-1" and "FAIL" in first[1]
        assert first[2] == "coreapp → coreapp" and first[3] == "conn → missing", first
        # what does not fit is reached with the right arrow
        seen = set(visible(table))
        for _ in range(200):
            if seen >= set(columns):
                break
            await pilot.press("right")
            seen |= visible(table)
        assert seen >= set(columns), f"never on screen: {set(columns) - seen}"
        if size[0] >= 200:
            assert visible(table) >= {k for k, _ in COLUMNS} - {"version"}  # all of it at once
        # the selected row in full, with its reason and the next action, under the table
        detail = panel.detail
        assert detail.region.bottom <= app.screen.region.bottom
        # what is on screen, not only in the widget: the reason and next action part (a short screen drops the rest)
        shown = drawn(detail.query_one(".node-detail-why"))
        assert "reason: container down or host unreachable" in shown
        assert "next: start it again: docker-compose up -d" in shown
        assert "expected connected → actual missing" in detail.plain
        await pilot.press("down")
        await pilot.pause()
        assert detail.row is not None and detail.row.host == "wa-host-1" and detail.row.kind == "master"


async def test_the_webapps_have_rows(tmp_path, no_polling):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        _screen, panel = await show_failing(app, pilot)
        webapps = [r for r in panel.rows if r.kind == "webapp"]
        # the sample profile: Webapps on wa-host-1 and wa-host-3; the API URL names neither host's address
        assert sorted(r.host for r in webapps) == ["wa-host-1", "wa-host-3"]
        assert all(r.actual_status in ("answered", "not polled") for r in webapps)
        # Webapps the poll proves nothing about come last (trial s8 M5: at 80x24 they hid every Coreapp)
        assert [r.kind for r in panel.rows] == ["coreapp", "master", "webapp", "coreapp", "webapp"]


def test_a_node_row_keeps_its_key_when_its_container_changes():
    before = NodeVerdict("h", "aa", "coreapp", "coreapp", "x", "connected", Level.OK, "")
    from wabiz_tui.tui.widgets.health_table import rows_for

    class V:
        nodes = (before,)

    after = NodeVerdict("h", "bb", "coreapp", "coreapp", "x", "connected", Level.OK, "")

    class W:
        nodes = (after,)

    assert rows_for(V())[0].key == rows_for(W())[0].key


async def test_the_standalone_monitor_does_not_send_back_to_a_wizard_never_shown(tmp_path, no_polling):
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)  # as `wabiz-tui monitor` opens
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        title = lambda: str(app.screen.query_one("#monitor-title").render())  # noqa: E731
        assert "back to the wizard" not in title() and "F2 opens the wizard" in title()
        assert f"WA_API_VERSION {app.profile.wa_api_version}" in title()
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen.name != "monitor"
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen.name == "monitor" and "F2 back to the wizard" in title()


@pytest.mark.parametrize("present", [False, True], ids=["without-doctor", "with-doctor"])
async def test_d_runs_doctor_on_the_selected_host_or_says_it_is_not_there(tmp_path, monkeypatch, present):
    from wabiz_tui.tui.app import WabizApp
    from wabiz_tui.tui.screens.node_actions import NO_DOCTOR

    async def no_polling(_screen) -> None:
        return None

    asked: list[str] = []
    monkeypatch.setattr(MonitorScreen, "_poll_loop", no_polling)
    if present:
        monkeypatch.setattr(WabizApp, "action_doctor", lambda self, host: asked.append(host), raising=False)
    elif hasattr(WabizApp, "action_doctor"):
        monkeypatch.delattr(WabizApp, "action_doctor")
    app = make_app(installed=True, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        _screen, panel = await show_failing(app, pilot)
        await pilot.press("down", "d")
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
        if present:
            assert asked == [panel.selected.host] and NO_DOCTOR not in notes
        else:
            assert NO_DOCTOR in notes


def test_webapps_sharing_the_api_urls_address_answered_and_unpolled_ones_come_last():
    """Trial s8 M5: the 50-host demo (every host on 127.0.0.1) showed every Webapp ``not polled`` though the API
    answered, and at 80x24 those rows hid every Coreapp."""
    from types import SimpleNamespace

    from tests.domain.test_validation import good_profile
    from wabiz_tui.domain.model import HostSpec, Role, SshTarget
    from wabiz_tui.tui.widgets.health_table import HealthPanel, rows_for, sort_rows

    loop = tuple(HostSpec(f"wa-web-{i}", SshTarget("127.0.0.1", 2200 + i, "wa"), (Role.WEBAPP,)) for i in (1, 2))
    base = good_profile()
    profile = replace(base, hosts=loop + base.hosts[1:], webapp=replace(base.webapp, url="https://127.0.0.1:45705"))
    webapps, polled, url = HealthPanel._webapps(SimpleNamespace(app=SimpleNamespace(profile=profile)))
    assert webapps == ("wa-web-1", "wa-web-2") and polled == webapps
    core = NodeVerdict("wa-core-1", "aa", "coreapp", "coreapp", "x", "connected", Level.OK, "")

    class V:
        nodes = (core,)

    rows = rows_for(V(), webapps, polled, url)
    assert [r.actual_status for r in rows if r.kind == "webapp"] == ["answered", "answered"]
    assert "https://127.0.0.1:45705" in rows[-1].reason
    # by name first: one Webapp named in the URL is the one that answered
    named = replace(profile, webapp=replace(base.webapp, url="https://wa-web-2:443"))
    assert HealthPanel._webapps(SimpleNamespace(app=SimpleNamespace(profile=named)))[1] == ("wa-web-2",)
    unpolled = sort_rows(rows_for(V(), webapps, ()))
    assert [r.kind for r in unpolled] == ["coreapp", "webapp", "webapp"]
