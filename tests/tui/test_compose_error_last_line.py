"""docker-compose's own ``ERROR:`` lines are a failed host's last output (issue 17, s7 trial): they share the prefix
of the engine's own error note and were filtered out with it, so the host table and the failure summary showed the
engine's ``exited with status 1`` instead of compose's cause. The engine's notes are told apart by their type
(``EngineNote``), not their text."""

from __future__ import annotations

import asyncio

import pytest

from wabiz_tui.tui.widgets.host_log import HostLogPane
from wabiz_tui.tui.widgets.host_table import HostTable
from wabiz_tui.workflows.events import EngineNote, HostCommand, HostFinished, HostOutput, StepFinished, StepStarted

from .fake_engine import FakeHaInstall
from .step_end import failed_step
from .test_snapshots import big_app, run_big_step

#: docker-compose 1.29.2's last two lines when a container cannot start (observed here, and on the simulator).
COMPOSE_CAUSE = ("ERROR: for wacore  Cannot start service wacore: driver failed programming external connectivity: "
                 "Bind for 0.0.0.0:6250 failed: port is already allocated")
COMPOSE_LAST = "ERROR: Encountered errors while bringing up the project."


def fail_as_the_engine_does(emit, host: str) -> None:
    """What ``workflows.base`` emits for a host whose ``docker-compose up -d`` exits 1: compose's own lines, then the
    engine's error and next action as notes, then the host's end."""
    error = f"{host}: docker-compose up -d exited with status 1"
    emit(HostCommand(host, "cd /home/wa/biz && docker-compose -f prod-multiconnect-compose.yml up -d"))
    emit(HostOutput(host, COMPOSE_CAUSE))
    emit(HostOutput(host, COMPOSE_LAST))
    emit(EngineNote(host, f"ERROR: {error}"))
    emit(EngineNote(host, "next: free the port or stop what holds it, then retry"))
    emit(HostFinished(host, False, 1, error))


class UpFailsOnOne(FakeHaInstall):
    """Step 6 fails on the last of the sample's hosts with compose's error."""

    async def run_step(self, number: int) -> bool:
        if number != 6:
            return await super().run_step(number)
        hosts = tuple(h.external_hostname for h in self.profile.hosts)
        self.emit(StepStarted(number, "step 6", hosts))
        for host in hosts[:-1]:
            self.emit(HostCommand(host, "docker-compose up -d"))
            self.emit(HostOutput(host, "Creating biz_wacore_1 ... done"))
            self.emit(HostFinished(host, True, 0, ""))
        fail_as_the_engine_does(self.emit, hosts[-1])
        self.emit(StepFinished(number, False, f"starting failed on 1 of {len(hosts)} host(s)", "retry"))
        return False


class UpFailsOnThreeOf50(FakeHaInstall):
    """Step 6 on 50 hosts: three Coreapps fail with compose's error, the others succeed."""

    FAILING = ("wa-core-7", "wa-core-19", "wa-core-30")

    async def run_step(self, number: int) -> bool:
        hosts = tuple(h.external_hostname for h in self.profile.hosts)
        self.emit(StepStarted(number, f"step {number}", hosts))
        for host in hosts:
            if host in self.FAILING:
                fail_as_the_engine_does(self.emit, host)
            else:
                self.emit(HostCommand(host, "docker-compose up -d"))
                self.emit(HostOutput(host, "Creating biz_wacore_1 ... done"))
                self.emit(HostFinished(host, True, 0, ""))
        await asyncio.Event().wait()
        return True


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_failure_summary_carries_composes_error_not_the_engines(tmp_path, size):
    async with failed_step(UpFailsOnOne, tmp_path, size) as (app, _):
        bad = app.profile.hosts[-1].external_hostname
        pane = app.screen.pane_for(bad)
        assert pane.last_output == COMPOSE_LAST
        assert pane.last_line == COMPOSE_LAST  # the engine's notes are in the pane, not the host's last line
        assert app.screen.describe_failure(bad).startswith(f"{bad}: `") and f"({COMPOSE_LAST} (" in \
            app.screen.describe_failure(bad)
        assert any(line.startswith("next: ") for line in pane.history)  # still shown in the pane


async def test_the_host_table_and_the_failure_lines_show_composes_error(tmp_path):
    app = big_app(tmp_path, UpFailsOnThreeOf50)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_big_step(app, pilot)
        table = app.screen.query_one(HostTable)
        for host in UpFailsOnThreeOf50.FAILING:
            pane = app.screen.pane_for(host)
            assert isinstance(pane, HostLogPane)
            assert table._cells[host][2] == COMPOSE_LAST, table._cells[host]
        from wabiz_tui.tui.widgets.host_table import failure_lines

        lines = failure_lines(app.screen.host_results, app.screen._last_output)
        assert lines and all(COMPOSE_LAST in line for line in lines), lines
        await pilot.press("ctrl+x")


def test_a_pane_keeps_the_engines_error_as_last_line_when_the_command_printed_nothing():
    """Connection refused before any output: the host table's last line is the engine's error, not ``$ command``."""
    pane = HostLogPane("wa-core-1", "coreapp")
    pane.write("$ docker-compose up -d")
    pane.write("ERROR: wa-core-1: connection refused", note=True)
    pane.write("next: check sshd", note=True)
    assert pane.last_line == "ERROR: wa-core-1: connection refused"
    assert pane.last_output == ""
