"""One walk through the wizard (fake engine, fast): field errors of the hosts form, one finding per key and
host, saved panes, a wrong registration code then a new one, the operation keys and palette entries."""

from __future__ import annotations

import functools

from textual.widgets import Input

from wabiz_tui.config.paths import app_paths
from wabiz_tui.tui.app import WabizApp
from wabiz_tui.tui.run import exit_note
from wabiz_tui.tui.steps import StepState
from wabiz_tui.tui.widgets.findings import FindingsList
from wabiz_tui.workflows.events import Finding

from .fake_engine import FakeHaInstall, sample_profile
from . import pilot_wait

#: the fake engine finishes at once: a hang shows within 10 s
settle = functools.partial(pilot_wait.settle, timeout=10.0)

SIZE = (140, 45)



class FindingEngine(FakeHaInstall):
    """The fake engine, plus the same finding twice in step 1 and a count of code requests."""

    requests = 0

    async def run_step(self, number: int) -> bool:
        if number == 1:
            for _ in range(2):
                self.emit(Finding("SSH_DISK_FULL", "error", "No space left on the device", "free space in /var/lib/docker",
                                  "wa-host-2", "write /var/lib/docker/x: no space left on device"))
        return await super().run_step(number)

    async def request_code(self):
        FindingEngine.requests += 1
        return await super().request_code()


async def test_forms_findings_saved_logs_code_retry_and_operation_keys(tmp_path):
    FindingEngine.requests = 0
    app = WabizApp(sample_profile(), workflow_factory=lambda p, emit: FindingEngine(p, emit=emit))
    assert app.log_dir == app_paths().logs  # ctrl+s never writes into a temporary demo folder
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = app.screen.query("HostRow").first()
        port = row.query(Input)[2]
        # SSH port 0, empty or not a number: the same error as 70000, never the old port
        for typed, shown in (("0", "0 is not a port"), ("", "'' is not a port"), ("x1", "'x1' is not a port"),
                             ("70000", "70000 is not a port")):
            port.value = typed
            await pilot.press("ctrl+r")
            await pilot.pause()
            error = str(row.query_one(".row-error").render())
            assert "hosts[0].ssh.port" in error and shown in error and "1 to 65535" in error, (typed, error)
            assert app.state(1) is StepState.PENDING
        port.value = "2201"
        # the cluster name is checked by the domain's rule
        name = app.screen.query_one("#f-name Input", Input)
        name.value = "bad name!"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "is not a cluster name" in str(app.screen.query_one("#f-name .field-error").render())
        name.value = "demo"
        # findings: one short entry per key and host, with the evidence and the next action
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(1) is StepState.DONE
        findings = app.screen.query_one(FindingsList)
        assert len(findings.items) == 1
        shown = findings.plain
        assert "ERROR No space left on the device · wa-host-2" in shown
        assert "no space left on device" in shown and "next: free space in /var/lib/docker" in shown
        # ctrl+s saves under the state directory and says where
        await pilot.press("ctrl+s")
        assert app.saved_logs and all(p.parent == app_paths().logs for p in app.saved_logs)
        assert str(app_paths().logs) in exit_note(app)
        # step 8: a wrong code, then "Request a new code" (ctrl+g); the message log wraps long errors
        app.states.update({n: StepState.DONE for n in range(1, 8)})
        app.goto_step(8)
        await pilot.pause()
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert FindingEngine.requests == 1 and app.screen.code_requested
        await pilot.press(*"111111")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.state(8) is StepState.FAILED
        assert "ctrl+g" in str(app.screen.query_one("#status").render())
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        assert FindingEngine.requests == 2 and app.screen.code_requested
        assert app.screen.query_one("#code-input", Input).value == ""
        messages = app.screen.query_one("#step-messages")
        app.screen.add_message("registration refused: " + "a very long explanation " * 20)
        await pilot.pause(0.2)
        assert messages.wrap and len(messages.lines) >= 3
        # the operations are one key away and in the palette
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Upgrade the cluster", "Uninstall the cluster", "Collect logs (debug_output.txt)", "Quit"} <= set(titles)
        for key, name in (("f3", "upgrade"), ("f4", "logs"), ("f9", "uninstall")):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.name == name
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.name == "step8"
