"""A failed step names the host once and carries the host's last error line (s7 trial: ``✗ wa-core-17: wa-core-17:
docker-compose ps exited with status 1``, the cause ``FileNotFoundError … '/home/wa/biz/p…`` only in the pane, cut
at 120 columns)."""

from __future__ import annotations

import pytest
from textual.widgets import RichLog

from wabiz_tui.tui.steps import StepState
from wabiz_tui.workflows.events import EngineNote, HostCommand, HostFinished, HostOutput, StepFinished, StepStarted

from .fake_engine import FakeHaInstall
from .step_end import failed_step
from .test_operations import until
from .test_snapshots import make_app, show_step

CAUSE = "FileNotFoundError: [Errno 2] No such file or directory: '/home/wa/biz/prod-multiconnect-compose.yml'"


class PsFails(FakeHaInstall):
    """Step 6 fails on the last host as the real engine reports it: the command's own error line in the output,
    then the engine's ``ERROR:`` and ``next:`` notes, then a ``RemoteError`` text that starts with the host."""

    async def run_step(self, number: int) -> bool:
        if number != 6:
            return await super().run_step(number)
        hosts = tuple(h.external_hostname for h in self.profile.hosts)
        bad = hosts[-1]
        self.emit(StepStarted(number, "step 6", hosts))
        for host in hosts:
            self.emit(HostCommand(host, "docker-compose -f prod-multiconnect-compose.yml ps"))
            if host == bad:
                error = f"{host}: docker-compose ps exited with status 1"
                self.emit(HostOutput(host, "Traceback (most recent call last):"))
                self.emit(HostOutput(host, CAUSE))
                self.emit(EngineNote(host, f"ERROR: {error}"))
                self.emit(EngineNote(host, "next: check that docker runs and the compose file is in place"))
                self.emit(HostFinished(host, False, None, error))
            else:
                self.emit(HostOutput(host, "Name  State  Ports"))
                self.emit(HostFinished(host, True, 0, ""))
        self.emit(StepFinished(number, False, f"checking the containers failed on 1 of {len(hosts)} host(s): "
                                              f"{bad}: docker-compose ps exited with status 1",
                               "check that docker runs and the compose file is in place"))
        return False


def messages(app) -> str:
    log = app.screen.query_one("#step-messages", RichLog)
    return "\n".join("".join(seg.text for seg in line) for line in log.lines)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_failure_names_the_host_once_and_carries_its_last_error_line(tmp_path, size):
    async with failed_step(PsFails, tmp_path, size) as (app, _):
        bad = app.profile.hosts[-1].external_hostname
        status = str(app.screen.query_one("#status").render()).replace("\n", "")
        shown = status + "\n" + str(app.screen.query_one("#results").render()).replace("\n", "")
        assert f"{bad}: {bad}" not in shown, shown
        assert CAUSE in status, status


def toast_titles(app) -> list[str]:
    return [n.title for n in app._notifications]


async def test_no_step_failed_toast_over_the_failed_step_own_screen(tmp_path):
    """Before: the "Step failed" toast (top right) covered the failed rows' State column; the status line says it."""
    async with failed_step(PsFails, tmp_path, (120, 40), notifications=True) as (app, _):
        assert "Step failed" not in toast_titles(app), toast_titles(app)


class Reported(FakeHaInstall):
    """An engine with a run record, so that the end of step 9 writes the install's report."""

    record: dict = {}


async def test_the_install_report_goes_to_the_messages_not_a_toast_over_the_headline(tmp_path, monkeypatch):
    """Before: the "Report of the install" toast covered step 9's health headline."""
    report = tmp_path / "report.md"
    monkeypatch.setattr("wabiz_tui.workflows.report.write_report", lambda engine, outcome: report)
    app = make_app(engine=Reported, installed=False, log_dir=tmp_path / "logs")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await show_step(app, pilot, 9)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.state(9) is StepState.DONE and not app.busy, "step 9")
        await pilot.pause()
        assert not [t for t in toast_titles(app) if t.startswith("Report of the")], toast_titles(app)
        line = "".join(str(app.screen.query_one("#step-report").render()).split())
        assert app.screen.query_one("#step-report").display
        assert "".join(f"Report of the install: {report} (and report.json beside it)".split()) in line, line


def test_failure_lines_name_the_host_once_with_the_cause_first():
    """The messages of a step on more than six hosts (one line per failed host)."""
    from types import SimpleNamespace

    from wabiz_tui.tui.widgets.host_table import failure_lines

    results = {"wa-core-17": SimpleNamespace(ok=False, error="wa-core-17: docker-compose ps exited with status 1"),
               "wa-core-2": SimpleNamespace(ok=False, error="wa-core-2: docker-compose ps exited with status 1"),
               "wa-core-3": SimpleNamespace(ok=True, error="")}
    last = {"wa-core-17": CAUSE, "wa-core-2": ""}
    assert failure_lines(results, last.__getitem__, width=400) == [
        "✗ wa-core-2: docker-compose ps exited with status 1",
        f"✗ wa-core-17: {CAUSE} (docker-compose ps exited with status 1)"]
