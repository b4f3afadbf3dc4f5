"""The pane grid's column count holds while the terminal keeps its size (issue 17, s7 trial: at 120 columns the grid
switched between 2 and 3 columns as the step's output and messages appeared: it was refitted on every resize of the
grid, whose height shrinks when the message log grows)."""

from __future__ import annotations

import asyncio

import pytest

from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.widgets.host_log import HostLogGrid, grid_columns
from wabiz_tui.workflows.events import HostCommand, HostOutput, Message, StepStarted

from .fake_engine import FakeHaInstall
from .test_snapshots import FakeMulticonnect, big_profile, show_step

SIZES = [(80, 24), (118, 40), (120, 40), (122, 40), (141, 40), (200, 50)]


class Streams(FakeHaInstall):
    """Step ``number``: every host prints ``docker-compose ps`` lines in rounds, with a step message between
    rounds (the message log grows under the panes); runs until cancelled."""

    async def run_step(self, number: int) -> bool:
        hosts = tuple(h.external_hostname for h in self.profile.hosts)
        self.emit(StepStarted(number, f"step {number}", hosts))
        for host in hosts:
            self.emit(HostCommand(host, "docker-compose -f prod-multiconnect-compose.yml ps"))
        for round_ in range(400):
            for host in hosts:
                self.emit(HostOutput(host, f"biz_wacore_{round_}   /opt/whatsapp/bin/wait_on_mysql.sh   Up   6250/tcp"))
            if round_ % 10 == 0:
                self.emit(Message(f"round {round_}: every host answered"))
            await asyncio.sleep(0.01)
        await asyncio.Event().wait()
        return True


def test_the_count_follows_the_grids_room_and_the_hosts():
    assert grid_columns(60, 16, 5) == 2 and grid_columns(82, 29, 5) == 1 and grid_columns(162, 41, 5) == 2
    assert all(1 <= grid_columns(w, h, n) <= min(n, 3) for w in range(20, 260, 7) for h in range(3, 70, 5)
               for n in range(1, 7))


@pytest.mark.parametrize("n", [5, 6])
async def test_the_column_count_holds_while_output_streams_and_follows_a_resize(tmp_path, n):
    """Before: 5 hosts at 80x24 went from 2 to 3 columns when the messages appeared; 6 at 120x40 from 2 to 1 and
    back to 2."""
    profile = big_profile().with_changes(hosts=big_profile().hosts[:n])
    app = WabizApp(profile, workflow_factory=lambda p, emit: Streams(p, emit=emit),
                   mc_factory=lambda p, emit: FakeMulticonnect(p, emit=emit), log_dir=tmp_path / "logs")
    async with app.run_test(size=SIZES[0]) as pilot:
        await show_step(app, pilot, 6)
        await pilot.press("ctrl+r")
        grid = app.screen.query_one(HostLogGrid)
        counts = {}
        for size in SIZES:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.05)
            seen = {grid.styles.grid_size_columns}
            heights = {grid.size.height}
            for _ in range(12):  # output and messages keep coming: the grid's own height changes meanwhile
                await pilot.pause(0.05)
                seen.add(grid.styles.grid_size_columns)
                heights.add(grid.size.height)
            assert len(seen) == 1, (size, seen, heights)
            counts[size] = seen.pop()
        assert app.screen.query_one("#step-messages").region.height > 0
        assert counts[(80, 24)] == 2 and counts[(200, 50)] == 2 and counts[(120, 40)] == (1 if n == 5 else 2), counts
        await pilot.press("ctrl+x")
