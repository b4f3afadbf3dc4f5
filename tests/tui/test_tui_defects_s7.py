"""Defects found after issue 17's list (session 7): each a Pilot test against the real simulator or a stand-in."""

from __future__ import annotations

import pytest

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.widgets.host_log import HostLogPane
from . import pilot_wait
from .test_operations import SIZE, result, type_into

pytestmark = pytest.mark.slow


async def test_uninstall_again_after_a_stop_says_already_removed_not_failed(installed_demo, tmp_path):
    """A host whose containers the stopped uninstall already removed reads "already removed", not a failure;
    the stopped run says which hosts it did not reach."""
    session = installed_demo
    others = [h.external_hostname for h in session.profile.hosts if h.external_hostname != "wa-web-1"]
    app = WabizApp(session.profile, demo=session, log_dir=tmp_path / "logs", monitor_interval=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f9")
        await pilot_wait.until(pilot, lambda: app.screen.name == "uninstall", "the uninstall screen")
        screen = app.screen
        for name in others:
            session.cluster.set_host_latency(name, 60)
        try:
            await type_into(pilot, app, "#un-name", session.profile.name)
            await pilot.press("ctrl+r")
            web = next(p for p in screen.query(HostLogPane) if p.host == "wa-web-1")
            await pilot_wait.until(pilot, lambda: web.status == "ok", "wa-web-1 removed", 60)
            assert app.runner.cancel()
            await pilot_wait.until(pilot, lambda: screen.outcome is not None, "the cancelled uninstall", 60)
        finally:
            for name in others:
                session.cluster.set_host_latency(name, 0)
        stopped = result(app)
        assert "wa-web-1: removed, volumes kept" in stopped, stopped
        assert all(f"{h}: not reached" in stopped for h in others), stopped
        assert "FAILED" not in stopped and "✗" not in stopped, stopped

        await type_into(pilot, app, "#un-name", session.profile.name)
        await pilot.press("ctrl+r")
        await pilot_wait.until(pilot, lambda: screen.outcome is not None and not app.runner.operation,
                               "the second uninstall", 60)
        assert screen.outcome is True
        again = result(app)
        assert "✔ wa-web-1: already removed in an earlier run" in again, again
        assert all(f"✔ {h}: removed, volumes kept" in again for h in others), again
        assert "FAILED" not in again and "✗" not in again, again


async def test_the_timeline_rewraps_when_the_findings_panel_takes_half_its_width():
    """Entries written while the timeline had the whole width are wrapped again at its new width when the findings
    panel appears beside it (monitor at 80×24), and again when the terminal is resized: no line is cut."""
    from textual.app import App
    from textual.containers import Horizontal
    from textual.widgets import Static

    from wabiz_tui.tui.widgets.timeline import Timeline

    class Side(App):
        def compose(self):
            with Horizontal():
                yield Static("findings", id="side")
                yield Timeline(id="timeline")

    app = Side()
    async with app.run_test(size=(80, 24)) as pilot:
        side, timeline = app.query_one("#side"), app.query_one(Timeline)
        side.display = False
        await pilot.pause()
        words = "wa-core-2 took over shard 2 after 3.1 s; wa-core-1 gateway_status disconnected (container exited 137)"
        timeline.add(0.0, words, "alert")
        await pilot.pause()

        def fits() -> bool:
            width = timeline.scrollable_content_region.width
            shown = " ".join(strip.text.strip() for strip in timeline.lines)
            return all(strip.cell_length <= width for strip in timeline.lines) and words in shown.replace("  ", " ")

        assert fits() and len(timeline.lines) == 2
        side.styles.width = "1fr"
        side.display = True
        await pilot.pause()
        await pilot.pause()
        assert timeline.scrollable_content_region.width < 40
        assert fits(), [s.text for s in timeline.lines]
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        await pilot.pause()
        assert fits() and len(timeline.lines) == 3, [s.text for s in timeline.lines]


def demo_verdict(registered: bool):
    """The 5-host demo's verdict as ``domain.health`` words it, before registration or with a standby Coreapp."""
    from wabiz_tui.domain.health import ClusterVerdict, Level, NodeVerdict

    masters = "primary_master or secondary_master"
    if not registered:
        status, level = "unregistered (error 1011 while starting)", Level.OK
        nodes = (NodeVerdict("wa-master-1", "aa11", masters, "primary_master", status, "unregistered", level, "ok"),
                 NodeVerdict("wa-master-2", "bb22", masters, "secondary_master", status, "unregistered", level, "ok"),
                 NodeVerdict("wa-core-1", "cc33", "coreapp", "coreapp", status, "unregistered", level, "ok"),
                 NodeVerdict("wa-core-2", "dd44", "coreapp", "coreapp", status, "unregistered", level, "ok"))
        return ClusterVerdict(Level.OK, "As expected before registration", "register (step 8)", nodes,
                              primary_master="wa-master-1:aa11")
    either = "connected (shard owner) or disconnected (standby)"
    nodes = (NodeVerdict("wa-master-1", "aa11", masters, "primary_master", "connected or disconnected", "disconnected",
                         Level.OK, "ok"),
             NodeVerdict("wa-master-2", "bb22", masters, "secondary_master", "connected or disconnected",
                         "disconnected", Level.OK, "ok"),
             NodeVerdict("wa-core-1", "cc33", "coreapp", "coreapp", either, "connected", Level.OK, "ok"),
             NodeVerdict("wa-core-2", "dd44", "coreapp", "coreapp", either, "disconnected", Level.STANDBY, "standby"),
             NodeVerdict("wa-core-3", "", "coreapp", "coreapp", either, "missing", Level.FAILURE, "container down"))
    return ClusterVerdict(Level.WARNING, "HA degraded", "start wacore on wa-core-3", nodes, shards_served=1, standby=1,
                          primary_master="wa-master-1:aa11", registered=True)


@pytest.mark.parametrize("step, registered", [(7, False), (9, True)])
async def test_at_80x24_beside_the_step_list_expected_and_actual_gateway_status_are_whole(tmp_path, step, registered):
    """Before: the wizard's health steps at 80×24 cut the gateway_status column (``unreg → unregistere``; → showed
    it): short status words and a short label now fit the four first columns whole beside the step list."""
    from wabiz_tui.tui.widgets.health_table import HealthPanel

    from .test_health_table import visible
    from .test_snapshots import make_app, show_step

    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_step(app, pilot, step)
        app.screen.show_health(demo_verdict(registered))
        await pilot.pause()
        await pilot.pause(0.1)
        table = app.screen.query_one(HealthPanel).table
        assert {"host", "state", "role", "status"} <= visible(table), visible(table)
        # arrows without their spaces when that makes the four columns fit (compact cells)
        status = {str(table.get_cell_at((i, 0))): str(table.get_cell_at((i, 3))).replace(" → ", "→")
                  for i in range(table.row_count)}
        if registered:
            assert status["wa-core-2"] == "conn|disc→disc" and status["wa-core-3"] == "conn|disc→missing", status
        else:
            assert status["wa-master-1"] == "unreg→unreg" and status["wa-core-2"] == "unreg→unreg", status
        width = table.ordered_columns[3].get_render_width(table) - 2
        assert all(len(text) <= width for text in status.values()), (width, status)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_status_sentence_keeps_a_gap_before_the_progress_bar_and_the_elapsed_time(tmp_path, size):
    """Before: the status line's text ran on into the bar (120) or into "5/5 hosts · 00:00" (80) with no gap."""
    from textual.widgets import ProgressBar

    from .test_snapshots import make_app

    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        status = screen.query_one("#status")
        after = [w for w in (screen.query_one(ProgressBar), screen.query_one("#elapsed")) if w.display]
        nearest = min(after, key=lambda w: w.region.x)
        assert status.region.right + 2 <= nearest.region.x, (status.region, nearest.region)
        assert screen.query_one("#elapsed").styles.border_left[0] != ""


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_hosts_form_and_register_form_texts_are_whole(tmp_path, size):
    """Before: at 120 columns the jump host placeholder read ``[user@]host[:po`` and the PIN label ``Two-step PIN
    (optional, hid…``; at 80×24 the remote dir ``/home/wa`` (of /home/wa/biz)."""
    from textual.widgets import Label

    from wabiz_tui.tui.screens.hosts import PLACEHOLDERS, FieldInput
    from .test_snapshots import make_app, show_step

    app = make_app(log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        inputs = {i.field.split(".", 1)[1]: i for i in app.screen.query(FieldInput) if i.field.startswith("hosts[0]")}
        assert inputs["remote_dir"].content_region.width > len(inputs["remote_dir"].value), inputs["remote_dir"].region
        assert inputs["external_hostname"].content_region.width >= len("wa-master-1")
        if size[0] >= 120:
            assert inputs["ssh.jump"].content_region.width >= len(PLACEHOLDERS["ssh.jump"]), inputs["ssh.jump"].region
        await show_step(app, pilot, 8)
        await pilot.pause()
        for box in ("#f-cert", "#f-pin"):
            label = app.screen.query_one(f"{box} Label", Label)
            assert label.region.width >= len(str(label.render())), (box, label.region, str(label.render()))


@pytest.mark.parametrize("size", [(120, 40), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_50_row_health_step_keeps_the_selected_nodes_detail_on_screen(tmp_path, size):
    """Trial with ``demo --hosts 50``: at step 7 the node table took 60% of the screen inside the scrolled body, so
    the selected node's reason and next action were below the fold, under the step's status."""
    from rich.text import Text

    from wabiz_tui.tui.widgets.health_table import HealthPanel
    from .test_health_keys_and_layout import big_verdict
    from .test_snapshots import make_app, show_step

    app = make_app(installed=True, start_on="wizard", log_dir=tmp_path / "logs")
    async with app.run_test(size=size) as pilot:
        await show_step(app, pilot, 7)
        app.screen.show_health(big_verdict())
        app.screen.set_status(Text("✔ Step 7 done. As expected before registration: primary master wa-master-1 is "
                                   "unregistered, no node is a failure  Press ctrl+n for the next step."))
        await pilot.pause()
        await pilot.pause(0.2)
        detail = app.screen.query_one(HealthPanel).detail
        body = app.screen.query_one("#body")
        assert detail.row is not None and detail.row.host == "wa-core-6"
        visible = detail.region.intersection(body.region)
        assert visible.height >= 3 and visible == detail.region, (detail.region, body.region)


async def test_the_upgrade_forms_long_labels_wrap_at_80_columns(tmp_path):
    """Before: "Settings backup password (… never s" and "MySQL dbupgrade service … exit cod" were cut at 80×24."""
    from textual.widgets import Label

    from .test_snapshots import make_app

    app = make_app(installed=True, log_dir=tmp_path / "logs")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot_wait.until(pilot, lambda: app.screen.name == "upgrade", "the upgrade screen")
        await pilot.pause()
        for label in app.screen.query(".field-label").results(Label):
            text = str(label.render())
            if "backup password" in text or "dbupgrade service" in text:
                region = label.region
                assert region.right <= label.parent.content_region.right, (text, region, label.parent.content_region)
                assert region.width * region.height >= len(text), (text, region)


async def test_the_50_host_form_shows_the_roles_at_120_columns(tmp_path):
    """Trial with ``demo --hosts 50`` at 120×40: the host table's Roles column was cut to ``Ro``/``we`` after an empty
    Jump host(s) column; the roles now come before the jump host."""
    from textual.widgets import DataTable

    from .test_health_table import column_spans
    from .test_hosts_form_big import fifty_hosts_app
    from wabiz_tui.tui.screens.hosts_big import TABLE_COLUMNS  # after the app (the screens import each other)

    app = fifty_hosts_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause(0.2)
        table = app.screen.query_one("#hosts-table", DataTable)
        assert TABLE_COLUMNS.index("Roles") < TABLE_COLUMNS.index("Jump host(s)")
        spans = column_spans(table)
        start, _end = spans["Roles"]
        # a one-role host's roles (as the demo's: webapp, master, coreapp) whole on screen
        assert start + len(" coreapp") <= table.scrollable_content_region.width, (spans, table.size)
