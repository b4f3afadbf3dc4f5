"""The doctor screen: the causes ``workflows.doctor`` found, ranked, and the evidence of the selected one.

Opened by ``App.action_doctor(host)`` (the palette's "Doctor", the monitor's node actions with a host). The probes
run in a worker; ``r`` runs them again, ``escape`` goes back.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option
from ..widgets.key_footer import KeyFooter


class DoctorScreen(Screen[None]):
    """Causes on the left, the selected cause's evidence, next action and source on the right."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("r", "rerun", "Run again")]
    DEFAULT_CSS = """
    DoctorScreen #doctor-body { height: 1fr; }
    DoctorScreen #doctor-causes { width: 45%; }
    DoctorScreen #doctor-evidence { width: 1fr; padding: 0 1; overflow-y: auto; }
    DoctorScreen #doctor-status { height: auto; padding: 0 1; }
    """

    def __init__(self, host: str = "") -> None:
        super().__init__()
        self.host = host
        self.report: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="doctor-status")
        with Horizontal(id="doctor-body"):
            yield OptionList(id="doctor-causes")
            yield Static("", id="doctor-evidence")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_rerun()

    def action_rerun(self) -> None:
        """Probe again (the previous report stays on screen until the new one is ready)."""
        where = self.host or "every host"
        self.query_one("#doctor-status", Static).update(f"doctor: probing {where} (read-only, each probe time-limited)…")
        # a failure of doctor is said on this screen; it never ends the app (an install may be running)
        self.run_worker(self._probe(), exclusive=True, name="doctor", exit_on_error=False)

    async def _probe(self) -> None:
        from ...workflows.doctor import Doctor

        app: Any = self.app
        try:
            wf = Doctor(app.profile, emit=lambda _event: None, settings=app.operation_settings(),
                        hosts=(self.host,) if self.host else ())
            try:
                report = await wf.run()
            finally:
                await wf.close()
        except Exception as exc:  # noqa: BLE001 - shown, never raised out of the app
            self.query_one("#doctor-status", Static).update(Text(
                app.mask(f"doctor could not finish: {exc}; press r to try again, or run `wabiz-tui doctor` from a "
                         f"terminal"), style="bold red"))
            return
        self.show(report)

    def show(self, report: Any) -> None:
        """Display ``report`` (a :class:`~wabiz_tui.domain.doctor.Report`)."""
        self.report = report
        app: Any = self.app
        causes = self.query_one("#doctor-causes", OptionList)
        causes.clear_options()
        for n, cause in enumerate(report.causes):
            causes.add_option(Option(Text(app.mask(f"[{cause.confidence}] {cause.title}")), id=str(n)))
        hosts = len({f.host for f in report.facts if f.host})
        folded = f"; {len(report.ruled_out)} ruled out" + (f", {len(report.unknown)} not probed" if report.unknown else "")
        self.query_one("#doctor-status", Static).update(Text(
            f"doctor: {len(report.causes) or 'no'} cause(s) from {len(report.facts)} facts on {hosts} host(s){folded}"))
        if report.causes:
            causes.highlighted = 0
            self._evidence(0)
        else:
            lines = ["Nothing wrong found. Ruled out:"] + [f"  {r.key}: {r.note}" for r in report.ruled_out]
            self.query_one("#doctor-evidence", Static).update(Text(app.mask("\n".join(lines))))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index is not None:
            self._evidence(event.option_index)

    def _evidence(self, index: int) -> None:
        cause = self.report.causes[index]
        lines = [cause.title, f"confidence: {cause.confidence}", "", "evidence:"]
        for f in cause.evidence:
            lines += [f"  {f.host or 'this machine'}: {f.command}", f"    -> {f.line}"]
        lines += ["", f"next: {cause.next_action}", f"rule: {cause.key} (source: {cause.source})"]
        if cause.also:
            lines.append(f"explains: {', '.join(cause.also)}")
        app: Any = self.app
        self.query_one("#doctor-evidence", Static).update(Text(app.mask("\n".join(lines))))
