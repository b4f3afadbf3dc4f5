"""Batched output (issue 17): the engine's output lines reach the app's inbox one by one, are shown per pane in
batches, a delivery stops after a time budget and the rest follows on later turns of the loop. Whatever the
slicing, every line reaches its pane and the run log, in order, masked, and the step's end is shown only after its
last line. Not a timing test: the budget is forced to zero so that every delivery is cut after one batch."""

from __future__ import annotations

import asyncio

from wabiz_tui.tui import app as app_module
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.messages import RUN_MAX, EventInbox
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.host_log import MAX_LINES, HostLogPane
from wabiz_tui.workflows.events import HostCommand, HostFinished, HostOutput, Message
from wabiz_tui.workflows.ha_install import HaInstall
from wabiz_tui.workflows.settings import RunSettings

from .fake_engine import sample_profile
from .step_end import lines_at_finish, open_step

STEP = 6
PER_HOST = 3 * RUN_MAX + 1700  # several batches per host, more lines than a pane's widget keeps


def expected_lines(host: str, secret: str) -> tuple[list[str], list[str]]:
    """(what the engine emits, what the pane must show) for ``host``: every 97th line carries the DB password."""
    sent = [f"{host} seq={i:05d}" + (f" password={secret}" if i % 97 == 0 else "") for i in range(PER_HOST)]
    return sent, [line.replace(secret, "********") for line in sent]


async def test_every_line_reaches_its_pane_and_the_run_log_in_order_when_deliveries_are_sliced(tmp_path, monkeypatch):
    monkeypatch.setattr(app_module, "DELIVER_BUDGET", 0.0)  # every delivery stops after its first batch
    profile = sample_profile()
    secret = profile.db.password
    hosts = [h.external_hostname for h in profile.hosts]
    log_dir = tmp_path / "run-logs"

    def factory(p, *, emit):
        return HaInstall(p, emit=emit, settings=RunSettings(log_dir=log_dir))

    app = WabizApp(profile, workflow_factory=factory, log_dir=tmp_path / "saved")
    cut = []  # deliveries that left events for a later turn
    original_deliver = EventInbox.deliver

    def deliver(self, budget=None):
        left = original_deliver(self, budget)
        cut.append(left)
        return left

    monkeypatch.setattr(EventInbox, "deliver", deliver)
    at_finish = lines_at_finish(app, monkeypatch)
    sent = {h: expected_lines(h, secret)[0] for h in hosts}
    shown = {h: expected_lines(h, secret)[1] for h in hosts}

    async with app.run_test(size=(140, 45)) as pilot:
        wf = await open_step(app, pilot, STEP)

        async def produce() -> bool:
            for host in hosts:
                wf.emit(HostCommand(host, "docker-compose ps"))
            for start in range(0, PER_HOST, 50):  # the hosts interleaved, 50 lines per read, as three SSH channels
                for host in hosts:
                    for line in sent[host][start:start + 50]:
                        wf.emit(HostOutput(host, line))
                wf.emit(Message(f"read {start}"))  # another kind of event between the runs of lines
                await asyncio.sleep(0)
            for host in hosts:
                wf.emit(HostFinished(host, True, 0, ""))
            return True

        app.start_step(STEP, call=produce)
        for _ in range(600):
            await pilot.pause(0.05)
            if app.state(STEP) is StepState.DONE:
                break
        assert app.state(STEP) is StepState.DONE
        await pilot.pause(0.3)  # the panes' next flush
        screen = app.step_screen(STEP)
        for host in hosts:
            pane = screen.pane_for(host)
            assert pane is not None
            output = [line for line in pane.history if not line.startswith(("$ ", "── "))]
            assert output == shown[host]  # all of them, in order, masked
            assert pane.log_widget.lines[-MAX_LINES:] == list(pane.history)[-MAX_LINES:]  # the widget: the newest
            assert pane.last_line == pane.last_output == shown[host][-1]
            assert at_finish[host] == len(pane.history)  # the step's end came after its last line
        assert sum(cut) >= 10  # deliveries were cut and went on later
        messages = "\n".join(line.text.strip() for line in screen.query_one("#step-messages").lines)
        reads = [int(x.split()[1]) for x in messages.splitlines() if x.startswith("read ")]
        assert reads == sorted(reads) and len(reads) == len(range(0, PER_HOST, 50))
        await app.workers.wait_for_complete()
        await app.workflow.close()

    for host in hosts:  # the run log: every line, in order, masked
        (path,) = log_dir.rglob(f"{host}.log")
        logged = path.read_text().splitlines()
        assert [line for line in logged if not line.startswith("$ ")] == shown[host]
