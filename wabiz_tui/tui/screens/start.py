"""Step 5 with its preflight gate: before any container starts, the preflight checks every host.

The first run (ctrl+r or Next) of step 5 runs ``workflows.preflight.Preflight`` with the settings of
the wizard's engine and shows the host × check table. A failure blocks step 5: fix it, then ctrl+r
runs the checks again. With warnings only (or none), the next ctrl+r/Next starts the containers.
The gate is skipped when the journal shows containers already started on some hosts (the checks
would see their own ports taken) and after step 5 has been tried once in this session.
"""

from __future__ import annotations

import shlex
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Button, Static

from ...workflows.events import CheckDone, HostFinished, HostKeyQuestion, StepFinished, StepStarted
from ...workflows.offprocess import ChildFailed
from ..runner import PREFLIGHT_TASK
from ..steps import StepState
from ..widgets.preflight_table import PreflightTable
from .run import RunScreen

PREFLIGHT = "preflight"


class StartScreen(RunScreen):
    """Step 5: the preflight table, then one live pane per host while ``up -d`` runs."""

    def __init__(self, step) -> None:
        super().__init__(step)
        #: The profile the last preflight passed for (None: not passed yet).
        self.passed_for: Any = None
        #: True once step 5 itself started in this session (its own containers now hold the ports).
        self.started_once = False

    def compose_body(self) -> ComposeResult:
        """The preflight table and its re-run button (both hidden until used), then the run screen's body."""
        yield PreflightTable(mask=self.wapp.mask, id="preflight")
        yield Button("Re-run preflight checks", id="rerun-preflight", compact=True)
        yield from super().compose_body()

    def mounted(self) -> None:
        """Hide the preflight table and button; when the gate is open, say that ctrl+r runs the preflight first."""
        self.query_one(PreflightTable).display = False
        self.query_one("#rerun-preflight", Button).display = False
        if self.gate_open():
            self.set_status("Ready: ctrl+r (or Next) runs the preflight checks on every host, then this step.")

    # ---- the gate -------------------------------------------------------------------------
    def gate_open(self) -> bool:
        """True when the next run of this step is the preflight."""
        if self.started_once or self.wapp.state(self.number) is StepState.DONE:
            return False
        if self.passed_for is not None and self.passed_for == self.wapp.profile:
            return False
        engine = self.wapp.ensure_workflow()
        journal = getattr(getattr(engine, "settings", None), "journal", None)
        if journal is not None and journal.hosts_done(self.number):
            return False  # resumed after containers started: the engine re-checks those hosts
        return True

    async def primary_action(self) -> None:
        """Run the preflight while the gate is open (:meth:`gate_open`), else step 5 itself."""
        if not self.gate_open():
            self.started_once = True
            self.query_one("#rerun-preflight", Button).display = False
            await super().primary_action()
            return
        await self._sync_panes()
        self.run_preflight()

    def step_started(self, hosts: tuple[str, ...] = ()) -> None:
        """As the base; when step 5 itself starts (it has hosts), fold the preflight table."""
        super().step_started(hosts)
        if hosts:  # step 5 itself (the preflight task has no hosts): its panes need the room
            self.query_one(PreflightTable).fold()

    def run_preflight(self) -> None:
        """Run the preflight checks as a task of this step (the step list shows it running)."""
        engine = self.wapp.ensure_workflow()
        check = self.wapp.preflight_factory(engine, self.wapp.profile, emit=self.wapp.emitter(self.show_preflight_event))
        if check is None:  # a stand-in engine: nothing to check with
            self.passed_for = self.wapp.profile
            self.call_later(self.wapp.action_run_step)
            return

        ref = self.wapp.profile_ref()

        async def call() -> tuple[bool, list]:
            """Run the checks in a process of their own; returns ``(all passed, results)``."""
            try:
                ok = await check.run_off_loop()  # in a process of its own: keys and repaints are not kept waiting
            except ChildFailed as error:
                error.next_action = (f"press ctrl+r to run the checks again; `wabiz-tui preflight {shlex.quote(ref)}` "
                                     "runs the same checks in a terminal and shows any error in full")
                raise
            return ok, list(check.results)

        self.query_one(PreflightTable).clear([h.external_hostname for h in self.wapp.profile.hosts])
        self.wapp.start_task(self.number, PREFLIGHT_TASK, call, self.preflight_done)
        self.set_status(Text("Preflight: checking every host before anything starts…", style="bold yellow"))
        self.query_one("#results", Static).update("Preflight checks running on every host in parallel…")

    def preflight_done(self, result: tuple[bool, list]) -> StepState:
        """Show the verdict; a failure keeps step 5 blocked (not failed: it did not run), otherwise it may start."""
        ok, _results = result
        table = self.query_one(PreflightTable)
        table.redraw()
        failures, warnings = table.failures(), table.count("warning")
        self.query_one("#rerun-preflight", Button).display = True
        if failures or not ok:
            detail = failures[0] if failures else "some hosts could not be checked: see their panes"
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            self.set_status(Text(f"✗ Preflight: {len(failures)} failure(s) block step {self.step.tag}: {detail}{more}. "
                                 "Next action: fix it, then press ctrl+r to run the checks again.", style="bold red"))
            self.query_one("#results", Static).update(Text("Step 5 is blocked until the preflight passes.",
                                                           style="bold red"))
            if self.key_questions:
                self.call_later(self.ask_host_keys)
            self.refresh_states()
            return StepState.BLOCKED
        self.passed_for = self.wapp.profile
        self.set_status(Text(f"✔ Preflight passed with {warnings} warning(s). Press ctrl+r (or Next) to start the "
                             "containers.", style="bold green"))
        self.query_one("#results", Static).update("Preflight passed: ready to start the containers.")
        self.refresh_states()
        return StepState.PENDING

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "rerun-preflight":
            event.stop()
            if self.wapp.busy:
                return
            self.passed_for = None
            self.started_once = False
            self.run_preflight()
            return
        await super().on_button_pressed(event)

    # ---- preflight events -------------------------------------------------------------------
    def show_preflight_event(self, event: Any) -> None:
        """Show one event of the preflight run (never routed as an install step's event)."""
        if not self.is_mounted:
            return
        if isinstance(event, CheckDone):
            self.query_one(PreflightTable).add(event.host, event.name, event.level, event.reason)
        elif isinstance(event, StepStarted):
            if event.hosts:
                self.total_hosts = len(event.hosts)
        elif isinstance(event, StepFinished):
            if not event.ok:
                self.add_message(f"Preflight {event.summary}" + (f" Next: {event.next_action}" if event.next_action else ""))
        elif isinstance(event, HostKeyQuestion):
            self.key_questions.append(event)
        else:
            if isinstance(event, HostFinished):  # the table's counter counts what the status line's counter counts
                self.query_one(PreflightTable).host_done(event.host)
            super().handle_event(event)
