"""Step 1 with 50 hosts (issue 17): a table and one editor instead of 50 rows of inputs. Measured here before:
~820 widgets, 16.7 s to open the step and 7 s per Tab at 120x40; the validation stays per field, with the field's
name in each error. Stand-in engine (the form is what is tested)."""

from __future__ import annotations

import time

import pytest
from textual.widgets import DataTable

from wabiz_tui.domain.model import HostSpec, Role, SshTarget
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.screens.hosts import HostRow
from wabiz_tui.tui.steps import StepState

from .fake_engine import FakeHaInstall, sample_profile
from .pilot_wait import settle

ALL = (Role.WEBAPP, Role.MASTER, Role.COREAPP)


def fifty_hosts_app(tmp_path) -> WabizApp:
    hosts = tuple(HostSpec(f"wa-core-{i}", SshTarget(host=f"10.0.0.{i}", port=22, user="wa"),
                           ALL if i <= 3 else (Role.COREAPP,)) for i in range(1, 51))
    return WabizApp(sample_profile().with_changes(hosts=hosts), log_dir=tmp_path / "logs",
                    workflow_factory=lambda p, emit: FakeHaInstall(p, emit=emit))


def field(app, suffix: str):
    return next(i for i in app.screen.query_one(HostRow).inputs if i.field.endswith(f".{suffix}"))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_fifty_hosts_open_fast_with_one_editor(tmp_path, size):
    app = fifty_hosts_app(tmp_path)
    started = time.perf_counter()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        opened = time.perf_counter() - started
        widgets = len(list(app.screen.query("*")))
        print(f"50 hosts at {size}: step 1 open in {opened:.2f} s, {widgets} widgets")
        assert len(app.screen.query(HostRow)) == 1 and widgets < 250, widgets  # was ~820
        # the time is printed, not asserted (a timing belongs in bench/): the widget count above is what made it slow
        table = app.screen.query_one("#hosts-table", DataTable)
        assert table.row_count == 50
        started = time.perf_counter()
        await pilot.press("tab")
        await pilot.pause()
        print(f"Tab in {time.perf_counter() - started:.2f} s (was 7 s)")
        assert len(list(app.screen.query("*"))) == widgets  # a Tab mounts nothing (it was re-laying out 820 widgets)


async def test_the_editor_follows_the_table_and_keeps_what_was_typed(tmp_path):
    app = fifty_hosts_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#hosts-table", DataTable)
        table.focus()
        for _ in range(16):
            await pilot.press("down")
        await pilot.pause()
        assert app.screen.query_one(HostRow).index == 16 and field(app, "external_hostname").value == "wa-core-17"
        field(app, "ssh.port").value = "22x"  # a port typed wrong on host 17
        field(app, "ssh.user").value = "ops"
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        assert field(app, "external_hostname").value == "wa-core-18"
        assert table.get_row("16")[4] == "ops"  # the table shows what was typed
        # the step refuses to run: the error names the field, the table marks the host, the editor shows it
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.pause()
        assert app.state(1) is StepState.PENDING
        row = app.screen.query_one(HostRow)
        assert row.index == 16 and field(app, "ssh.port").value == "22x" and field(app, "ssh.port").has_class("-error")
        assert "hosts[16].ssh.port" in str(row.query_one(".row-error").render())
        assert "✗ 1" in str(table.get_row("16")[-1])
        assert "#17 wa-core-17" in str(app.screen.query_one("#form-error").render())
        # fixed: the step runs with every host, the edit kept
        field(app, "ssh.port").value = "2222"
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE
        assert len(app.profile.hosts) == 50
        assert (app.profile.hosts[16].ssh.port, app.profile.hosts[16].ssh.user) == (2222, "ops")
        assert app.profile.hosts[17].ssh.user == "wa"


async def test_add_and_remove_a_host_in_the_big_form(tmp_path):
    app = fifty_hosts_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.click("#add-host")
        await pilot.pause()
        table = app.screen.query_one("#hosts-table", DataTable)
        assert table.row_count == 51 and app.screen.query_one(HostRow).index == 50
        field(app, "external_hostname").value = "wa-core-51"
        field(app, "ssh.host").value = "10.0.0.51"
        table.focus()
        await pilot.press("up")
        await pilot.pause()
        await pilot.click(".remove-host")  # removes wa-core-50
        await pilot.pause()
        assert table.row_count == 50
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE, str(app.screen.query_one("#form-error").render())
        names = [h.external_hostname for h in app.profile.hosts]
        assert "wa-core-50" not in names and names[-1] == "wa-core-51" and len(names) == 50
