"""The frame every operation shares (upgrade, uninstall, logs): its own steps, a form, one log pane
per host, findings, a message log, the status line and its buttons.

An operation builds a fresh engine for each run (``workflows.upgrade.Upgrade`` …) whose events come
to :meth:`OperationScreen.handle_event` through the app's event inbox. Runs go through the app's runner
(``tui.runner``), which says what may run at once: at most one operation or wizard step (a background
task such as the 2.29.3 media ownership step does not count).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, RichLog, Static

from ..widgets.key_footer import KeyFooter
from ...workflows.stepinfo import StepInfo
from ...workflows.events import HostFinished, HostKeyQuestion, Progress, StepFinished, StepStarted
from ..runner import Outcome, Run, close_engine
from ..steps import StepState
from ..widgets.findings import FindingsList
from ..widgets.host_log import HostLogGrid, HostLogPane
from ..widgets.sized import LineStatic
from ..widgets.ticker import set_ticker
from .base import roles_text
from ..repaint import AreaRepaint
from .first_resume import StyledOnMount
from .host_events import HostEventsMixin
from .hostkey import ask_host_keys, refused_next_action

if TYPE_CHECKING:
    from ..app import WabizApp

_ICON = {StepState.PENDING: ("○", "dim"), StepState.RUNNING: ("◐", "bold yellow"), StepState.DONE: ("●", "green"),
         StepState.FAILED: ("✗", "bold red"), StepState.CANCELLED: ("⊘", "yellow")}


class OperationScreen(HostEventsMixin, StyledOnMount, AreaRepaint, Screen):
    """Base of the operation screens: subclasses give ``OP``, ``HEADING``, ``STEPS``, the form
    (:meth:`compose_form`) and :meth:`primary_action` (validate, confirm, then :meth:`run_operation`)."""

    OP = "operation"
    PANE_GRID_ID = "op-panes"
    HEADING = "Operation"
    INTRO = ""
    STEPS: tuple[StepInfo, ...] = ()
    RUN_LABEL = "Start"
    #: whether the operation changes the cluster (then it needs the cluster's lock; reading logs does not)
    CHANGES_CLUSTER = True
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape", "leave", "Back", show=True),
    ]

    def __init__(self) -> None:
        super().__init__(name=self.OP, id=f"op-{self.OP}")
        self.engine: Any = None
        self.step_states: dict[int, StepState] = {s.number: StepState.PENDING for s in self.STEPS}
        self.key_questions: list[HostKeyQuestion] = []
        self.host_results: dict[str, HostFinished] = {}
        self.last_command: dict[str, str] = {}
        self._panes: dict[str, HostLogPane] | None = None
        self.last_failure: StepFinished | None = None
        self.started_at: float | None = None
        self.outcome: bool | None = None

    @property
    def wapp(self) -> WabizApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    @property
    def log_prefix(self) -> str:
        """File name prefix for saved panes (ctrl+s)."""
        return self.OP

    # ---- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="op-frame"):
            yield Static(self._title(), id="op-title")
            yield Static(self._steps_text(), id="op-steps")
            with VerticalScroll(id="op-body"):
                if self.INTRO:
                    yield Static(self.INTRO, classes="hint op-intro")
                yield from self.compose_form()
                yield Static("", id="op-result")
                yield from self.compose_extra()
                yield HostLogGrid(self.host_list(), id="op-panes", classes="op-panes")
                yield FindingsList(mask=self.wapp.mask, id="op-findings")
                # min_width 1: RichLog's default (78) wraps wider than the box at 80 columns (as #step-messages)
                yield RichLog(id="op-messages", max_lines=500, wrap=True, markup=False, highlight=False,
                              auto_scroll=True, min_width=1)
            with Horizontal(id="op-progress-row"):
                yield LineStatic(f"Ready: fill in the form, then press ctrl+r ({self.RUN_LABEL}).", id="op-status")
                yield LineStatic("", id="op-elapsed")
            with Horizontal(id="op-nav"):
                yield Button(f"◀ {self.back_to.capitalize()}  esc", id="op-leave")
                yield from self.compose_buttons()
                yield Button(f"{self.RUN_LABEL}  ctrl+r", id="op-run", variant="primary")
        yield KeyFooter()

    @property
    def back_to(self) -> str:
        """Where Escape goes back to: ``monitor`` when the operation was opened from it, else ``wizard``."""
        return getattr(self.wapp, "operation_from", "wizard")

    def _title(self) -> Text:
        # F2 shows the monitor from any operation (actions.action_toggle_monitor): said only when Escape goes elsewhere
        other = "" if self.back_to == "monitor" else " · F2 monitor"
        return Text.assemble((self.HEADING, "bold"), (f" · cluster {self.wapp.profile.name}", ""),
                             (f"  ·  esc back to the {self.back_to}{other}", "dim"))

    def compose_form(self) -> ComposeResult:
        """The operation's form."""
        yield from ()

    def compose_extra(self) -> ComposeResult:
        """Widgets between the result line and the panes (e.g. the health table)."""
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        """Extra buttons left of the run button."""
        yield from ()

    def host_list(self) -> list[tuple[str, str]]:
        """(host, roles) of the current profile."""
        return [(h.external_hostname, roles_text(h)) for h in self.wapp.profile.hosts]

    # Textual calls the on_mount/on_screen_resume of EVERY class of the MRO: subclasses must not
    # define (or super()-call) them, or the timers and checks run twice. They override the hooks.
    def on_mount(self) -> None:
        self.set_interval(0.5, self._tick)
        self.query_one("#op-messages").display = False
        self.query_one("#op-result").display = False
        self.mounted()

    async def on_screen_resume(self) -> None:
        self.wapp.sub_title = self.HEADING
        self.query_one("#op-title", Static).update(self._title())
        self.query_one("#op-leave", Button).label = f"◀ {self.back_to.capitalize()}  esc"
        self.refresh_buttons()
        await self._sync_panes()
        await self.resumed()

    def mounted(self) -> None:
        """Hook: the screen's widgets exist (called once, after the frame's own set-up)."""

    async def resumed(self) -> None:
        """Hook: the screen is shown again (called at each resume, after the panes are in sync)."""

    def on_screen_suspend(self) -> None:
        self.wapp.sub_title = self.wapp.SUB_TITLE

    async def _sync_panes(self) -> None:
        if not self.running:
            await self.replace_panes(self.host_list(), "#op-body")

    # ---- buttons and keys ----------------------------------------------------------------------
    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id not in ("op-run", "op-leave"):
            return
        # Textual runs this handler once per class of the MRO, and subclasses also call it through
        # super(): prevent_default stops the second call (it started the operation twice).
        event.stop()
        event.prevent_default()
        if event.button.id == "op-run":
            await self.primary_action()
        else:
            self.action_leave()

    def action_leave(self) -> None:
        """Back where the operation was opened from: the monitor, else the wizard's current step (the operation
        keeps running, if it runs)."""
        if self.back_to == "monitor":
            self.wapp.switch_screen("monitor")
        else:
            self.wapp.goto_step(self.wapp.current)

    async def primary_action(self) -> None:
        """Validate the form, confirm, then run (subclasses)."""

    def refresh_buttons(self) -> None:
        """Enable or disable the buttons for the running state."""
        self.query_one("#op-run", Button).disabled = self.running

    # ---- status ----------------------------------------------------------------------------------
    def set_status(self, text: str | Text) -> None:
        """Show ``text`` in the status line."""
        self.query_one("#op-status", Static).update(text)

    def set_result(self, text: str | Text) -> None:
        """Show ``text`` (paths, exit codes, reports) above the panes; empty hides it."""
        result = self.query_one("#op-result", Static)
        result.update(text)
        result.display = bool(str(text))

    def add_message(self, text: str) -> None:
        """Append a line to the operation's message log."""
        log = self.query_one("#op-messages", RichLog)
        log.display = True
        log.write(Text(self.wapp.mask(text)))

    def refuse(self, text: str) -> None:
        """A form problem: say it in red and ring the bell; nothing runs."""
        self.set_status(Text(f"✗ {text}", style="bold red"))
        self.app.bell()

    def _steps_text(self) -> Text:
        text = Text()
        for i, step in enumerate(self.STEPS):
            state = self.step_states.get(step.number, StepState.PENDING) if hasattr(self, "step_states") else StepState.PENDING
            icon, style = _ICON[state]
            if i:
                text.append("  ")
            text.append(f"{icon} ", style=style)
            text.append(f"{step.number}. {step.title}", style=style if state is not StepState.PENDING else "")
        return text

    def set_step_state(self, number: int, state: StepState) -> None:
        """Show sub-step ``number`` as ``state``."""
        self.step_states[number] = state
        self.query_one("#op-steps", Static).update(self._steps_text())

    def _tick(self) -> None:
        if self.started_at is None:
            return
        secs = int(time.monotonic() - self.started_at)
        done = sum(1 for r in self.host_results.values() if r.ok)
        set_ticker(self.query_one("#op-elapsed", Static), f"{done} host(s) ok · {secs // 60:02d}:{secs % 60:02d}")

    # ---- running ----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while this operation runs."""
        return self.wapp.runner.operation == self.HEADING

    @property
    def emit(self) -> Callable[[Any], None]:
        """The engine's ``emit``: its events are shown by :meth:`handle_event` (through the app's inbox)."""
        return self.wapp.emitter(self.handle_event)

    def can_start(self) -> bool:
        """False (and a warning) while this operation, another one or a wizard step runs, or while another
        process holds the cluster's lock (``Runner.refusal``)."""
        return self.wapp.runner.refusal(self.HEADING, changes_cluster=self.CHANGES_CLUSTER) is None

    def begin(self) -> None:
        """Reset the panes, findings and step states for a new run."""
        self.step_states = {s.number: StepState.PENDING for s in self.STEPS}
        self.query_one("#op-steps", Static).update(self._steps_text())
        self.key_questions.clear()
        self.host_results.clear()
        self.last_failure = None
        self.outcome = None
        for pane in self.query_one(f"#{self.PANE_GRID_ID}", HostLogGrid).panes:
            pane.reset()
        self.query_one(FindingsList).clear()
        messages = self.query_one("#op-messages", RichLog)
        messages.clear()
        messages.display = False

    def run_operation(self, build: Callable[[], Any], body: Callable[[Any], Awaitable[bool]], label: str) -> None:
        """Run ``body(engine)`` in the app's runner with a new engine from ``build()`` (closed at the end)."""
        if not self.can_start():
            return
        self.begin()
        self.started_at = time.monotonic()
        self.set_status(Text(f"{label} running…", style="bold yellow"))
        built: list[Any] = []

        async def work() -> bool:
            """The run's body: the engine from ``build()`` (kept in :attr:`engine` and ``built``), ``body(engine)``'s
            result as a bool; the engine closed whatever happens (``close_engine`` never raises). An exception of
            ``build()`` or ``body`` propagates: the runner gives it to :func:`ended` (``Outcome.error``)."""
            engine = self.engine = build()
            built.append(engine)
            try:
                return bool(await body(engine))
            finally:
                await close_engine(engine, self.log)

        def ended(outcome: Outcome) -> None:
            """The run's ``Run.ended`` (called once, after its last event is shown): :attr:`outcome` True only when
            ``body`` returned a true value; the elapsed clock stopped; the engine's profile adopted
            (``adopt_profile``; None when ``build()`` failed); then :meth:`_ended` writes the status line, ``error``
            being "cancelled", "ExceptionType: message" or ""."""
            error = ("cancelled" if outcome.cancelled else
                     f"{type(outcome.error).__name__}: {outcome.error}" if outcome.error is not None else "")
            self.outcome = outcome.returned and bool(outcome.result)
            self._tick()
            self.started_at = None
            self.wapp.adopt_profile(built[0] if built else None)
            self._ended(self.outcome, label, error)

        self.wapp.runner.start(Run(label, ended, heading=self.HEADING), work)
        self.refresh_buttons()

    def _ended(self, ok: bool, label: str, error: str) -> None:
        for pane in self.query(HostLogPane):
            pane.flush()
            pane.scroll_to_end()
        self.refresh_buttons()
        self.app.refresh_bindings()
        if ok:
            self.set_status(Text(f"✔ {label} done. {self.done_hint()}", style="bold green"))
        elif error == "cancelled":
            for number, state in list(self.step_states.items()):
                if state is StepState.RUNNING:
                    self.set_step_state(number, StepState.CANCELLED)
            self.set_status(Text(f"⊘ {label} cancelled; {self.wapp.runner.take_cancel_words()}. Next action: press ctrl+r "
                                 "to run it again", style="bold yellow"))
        else:
            failure = self.last_failure
            summary = self.wapp.mask(error or (failure.summary if failure else "see the panes"))
            nxt = (failure.next_action if failure and not error else "") or "fix the cause, then press ctrl+r"
            self.set_status(Text(f"✗ {label} failed: {summary}. Next action: {self.wapp.mask(nxt)}",
                                 style="bold red"))
            self.app.bell()
            if self.key_questions:
                self.call_later(self._ask_keys, label)
        self.finished(ok)

    def _ask_keys(self, label: str) -> None:
        from ...config.paths import app_paths

        known = app_paths().known_hosts

        def done(trusted: bool, refused: str) -> None:
            """``ask_host_keys``' answer (the questions are cleared): ``trusted`` (every key written to ``known``) →
            :meth:`retry`, scheduled (``call_later``); else ``refused``, the host whose key was refused, → the
            status line says what to do (``refused_next_action``); "" (nothing was asked) → nothing said."""
            self.key_questions.clear()
            if trusted:
                self.set_status(Text(f"Host key(s) trusted in {known}; running {label} again…", style="bold yellow"))
                self.call_later(self.retry)
            elif refused:
                self.set_status(Text(f"✗ {label} failed. Next action: {refused_next_action(refused)}",
                                     style="bold red"))

        ask_host_keys(self.app, list(self.key_questions), known, done)

    async def retry(self) -> None:
        """Run again after host keys were trusted (default: the primary action, with its confirmations)."""
        await self.primary_action()

    def done_hint(self) -> str:
        """What to do after a successful run."""
        return ""

    def finished(self, ok: bool) -> None:
        """Hook: the run ended (after the status line was written)."""

    # ---- events ------------------------------------------------------------------------------------
    def handle_event(self, event: Any) -> None:
        """Show one workflow event."""
        if isinstance(event, StepStarted):
            self.set_step_state(event.number, StepState.RUNNING)
            self.set_status(Text(f"Step {event.number}: {event.title}…", style="bold yellow"))
            for host in event.hosts:
                pane = self.pane_for(host)
                if pane is not None:
                    pane.write(f"── {event.title} ──")
                    pane.set_status("running")
        elif isinstance(event, Progress):
            self.show_progress(event)
        elif isinstance(event, StepFinished):
            self.set_step_state(event.number, StepState.DONE if event.ok else StepState.FAILED)
            if not event.ok:
                self.last_failure = event
            mark = "✔" if event.ok else "✗"
            nxt = f" Next: {event.next_action}" if event.next_action and not event.ok else ""
            self.add_message(f"{mark} step {event.number}: {event.summary}{nxt}")
        else:
            self.show_event(event)

    def show_progress(self, event: Progress) -> None:
        """A progress event arrived: an image pull shows its layers in the host's pane border (the logs
        screen shows bytes per host)."""
        if event.unit == "layers":
            pane = self.pane_for(event.host)
            if pane is not None:
                pane.set_status(f"running · pulling {event.done}/{event.total} layers")
