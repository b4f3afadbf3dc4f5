"""The frame every wizard step shares: step list, title, body, progress, messages and Back/Run/Next."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Header, ProgressBar, RichLog, Static

from ...domain.validation import FieldError
from ...workflows.events import HostFinished, HostKeyQuestion, StepFinished, StepStarted
from ..steps import StepState, StepTitle
from ..widgets.body_scroll import BodyScroll
from ..widgets.findings import FindingsList
from ..widgets.host_log import TABLE_ABOVE, HostLogGrid, HostLogPane
from ..widgets.host_table import failure_lines, failure_words, named, natural_key
from ..widgets.key_footer import KeyFooter
from ..widgets.sized import LineStatic
from ..widgets.step_list import StepList
from ..widgets.ticker import set_status_text, set_ticker
from ..repaint import AreaRepaint
from .first_resume import StyledOnMount
from .host_events import HostEventsMixin
from .hostkey import ask_host_keys, refused_next_action

if TYPE_CHECKING:
    from ..app import WabizApp


def roles_text(host: Any) -> str:
    """``webapp+master`` for a ``HostSpec``."""
    return "+".join(r.value for r in host.roles)


class StepScreen(HostEventsMixin, StyledOnMount, AreaRepaint, Screen):
    """One wizard step: subclasses fill :meth:`compose_body` and, for forms, :meth:`collect`.

    The app routes the workflow's events for this step to :meth:`handle_event`. Host output goes to
    the host panes (when the step has them), findings and messages to the step's message log.
    """

    #: Whether the step shows one log pane per host, and whether they take the whole body.
    HOST_PANES = True
    PANES_MAIN = False
    RUN_LABEL = "Run step"

    def __init__(self, step: StepTitle) -> None:
        super().__init__(name=f"step{step.number}", id=f"step{step.number}")
        self.step = step
        self.number = step.number
        self.started_at: float | None = None
        self.finished_hosts: set[str] = set()
        self.last_command: dict[str, str] = {}
        self.host_results: dict[str, HostFinished] = {}
        self.key_questions: list[HostKeyQuestion] = []
        self.total_hosts = 0
        #: host -> pane of the grid on screen (a DOM query per output line was the streaming bottleneck).
        self._panes: dict[str, HostLogPane] | None = None
        #: True while the screen is on screen and built (input is accepted only then).
        self.ready = False
        #: the form's values when built or last saved (``form_values``); None until built
        self.saved_form: tuple[tuple[str, str], ...] | None = None

    @property
    def wapp(self) -> WabizApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    # ---- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="frame"):
            yield StepList(self.wapp.steps, self.number, id="step-list")
            with Vertical(id="content"):
                yield Static(Text(self.heading(), style="bold"), id="step-title")
                if self.step.description:
                    yield Static(self.step.description, id="step-description")
                with BodyScroll(id="body"):
                    yield from self.compose_body()
                    if self.HOST_PANES:
                        yield HostLogGrid(self.host_list(), id="host-grid",
                                          classes="-main" if self.PANES_MAIN else "")
                    yield FindingsList(mask=self.wapp.mask, id="step-findings")
                # min_width 1: RichLog's default (78) wrapped a message wider than an 80-column terminal's box
                yield RichLog(id="step-messages", max_lines=500, wrap=True, markup=False, highlight=False,
                              auto_scroll=True, min_width=1)
                yield Static("", id="step-report")
                with Horizontal(id="progress-row"):
                    yield LineStatic("Ready: press ctrl+r (or Next) to run this step.", id="status")
                    yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="progress")
                    yield LineStatic("", id="elapsed")
                with Horizontal(id="nav"):
                    yield Button("◀ Back  ctrl+b", id="back")
                    yield Button(f"{self.RUN_LABEL}  ctrl+r", id="run", variant="primary")
                    yield Button("Next ▶  ctrl+n", id="next", variant="success")
        yield KeyFooter()

    def heading(self) -> str:
        """``HA install · step 3 of 9 · Database (db.env)`` (``M1 of 4`` for Multiconnect)."""
        group = [s for s in self.wapp.steps if s.group == self.step.group]
        return f"{self.step.group} · step {self.step.tag} of {len(group)} · {self.step.title}"

    def compose_body(self) -> ComposeResult:
        """The step's own widgets (forms, review, health panel)."""
        yield from ()

    def host_list(self) -> list[tuple[str, str]]:
        """(host, roles) of the current profile, for the panes."""
        return [(h.external_hostname, roles_text(h)) for h in self.wapp.profile.hosts]

    # Textual calls the on_mount/on_screen_resume of EVERY class of the MRO: subclasses must not
    # define (or super()-call) them, or the timers and reviews run twice. They override the hooks.
    def on_mount(self) -> None:
        self.set_interval(0.5, self._tick)
        self.query_one("#step-messages", RichLog).display = False
        self.query_one("#step-report", Static).display = False
        self.mounted()
        self.call_after_refresh(self.keep_form_values)  # what quitting compares the form to (``tui.unsaved``)

    async def on_screen_resume(self) -> None:
        self.refresh_states()
        await self._sync_panes()
        await self.resumed()
        self.ready = True

    def mounted(self) -> None:
        """Hook: the screen's widgets exist (called once, at the end of the frame's own set-up)."""

    async def resumed(self) -> None:
        """Hook: the screen is shown again (called at each resume, after the panes are in sync)."""

    def on_screen_suspend(self) -> None:
        self.ready = False

    async def _sync_panes(self) -> None:
        if not self.HOST_PANES or self.wapp.state(self.number) is StepState.RUNNING:
            return
        await self.replace_panes(self.host_list(), "#body")

    # ---- forms ---------------------------------------------------------------------------
    def form_values(self, skip: Any = None) -> tuple[tuple[str, str], ...]:
        """What the step's form shows, to tell an edit: (field, a digest of its value) of each input, box, radio button
        and choice in its body, but those inside the widget ``skip``. A digest (BLAKE2b, 16 bytes), not the value: the
        copy kept for the comparison holds no password."""
        import hashlib

        from textual.widgets import Input, Select
        from textual.widgets._toggle_button import ToggleButton  # Textual exports it nowhere else

        def digest(value: Any) -> str:
            """BLAKE2b hex of the value's repr."""
            return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()

        fields = self.query_one("#body").query("Input, ToggleButton, Select")
        return tuple((field.id or f"#{i}", digest(field.value)) for i, field in enumerate(fields)
                     if isinstance(field, (Input, ToggleButton, Select)) and (skip is None or skip not in field.ancestors))

    def keep_form_values(self) -> None:
        """Take the form's values as saved (built, or written into the profile file)."""
        if self.is_mounted:
            self.saved_form = self.form_values()

    def collect(self) -> list[FieldError]:
        """Read the form into the app's profile; return the problems (none → the step may run)."""
        return []

    # ---- actions --------------------------------------------------------------------------
    async def primary_action(self) -> None:
        """Run (or retry) the step after the form is valid."""
        errors = self.collect()
        if errors:
            self.set_status(Text(f"{len(errors)} field(s) to fix before this step can run: {errors[0]}",
                                 style="bold red"))
            self.app.bell()
            return
        await self._sync_panes()  # the form may have added or removed hosts
        self.wapp.start_step(self.number)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id
        if button not in ("back", "run", "next"):
            return
        # Textual runs this handler once per class of the MRO, and subclasses also call it through
        # super(): prevent_default stops the second call (a second Next used to run the next step).
        event.stop()
        event.prevent_default()
        if not self.accepts_input():
            return  # a click on a screen that is leaving or not built yet
        if button == "back":
            self.wapp.action_back()
        elif button == "run":
            await self.wapp.action_run_step()
        else:
            await self.wapp.action_next_step()

    def accepts_input(self) -> bool:
        """True when this screen is the wizard's current step and is on screen, ready (not switching)."""
        return self.ready and self.wapp.current == self.number and self.wapp.screen is self

    def on_step_list_selected(self, message: StepList.Selected) -> None:
        self.wapp.goto_step(message.number)

    # ---- run state --------------------------------------------------------------------------
    def refresh_states(self) -> None:
        """Redraw the step list and the buttons from the app's step states."""
        self.query_one(StepList).refresh_states(self.wapp.states)
        running = self.wapp.state(self.number) is StepState.RUNNING
        self.query_one("#run", Button).disabled = running
        self.query_one("#back", Button).disabled = running or self.number == 1
        self.query_one("#next", Button).disabled = running or self.number == len(self.wapp.steps)

    def set_status(self, text: str | Text) -> None:
        """Show ``text`` in the status line."""
        set_status_text(self.query_one("#status", Static), text)

    def step_started(self, hosts: tuple[str, ...] = ()) -> None:
        """The app began running this step."""
        self.started_at = time.monotonic()
        self.finished_hosts.clear()
        self.last_command.clear()
        self.host_results.clear()
        self.key_questions.clear()
        self.query_one(FindingsList).clear()
        messages = self.query_one("#step-messages", RichLog)
        messages.clear()
        self.total_hosts = (len(hosts) or len(self.wapp.profile.hosts)) if self.HOST_PANES else 0
        # the counter's room for "N/N hosts · mm:ss" (app.tcss), where it ticks beside streaming panes; a step
        # without hosts shows "mm:ss" only and leaves the status sentence its room
        self.query_one("#elapsed", Static).set_class(bool(self.total_hosts), "-ticking")
        bar = self.query_one(ProgressBar)
        bar.update(total=self.total_hosts or None, progress=0)  # None: indeterminate while it runs
        if self.HOST_PANES:
            for pane in self.query(HostLogPane):
                pane.reset()
        self.set_status(Text(f"Step {self.step.tag} running…", style="bold yellow"))
        self.refresh_states()

    def reset_view(self) -> None:
        """Forget the last run's output (the cluster was uninstalled: the step is pending again)."""
        self.host_results.clear()
        self.key_questions.clear()
        self.query_one(FindingsList).clear()
        messages = self.query_one("#step-messages", RichLog)
        messages.clear()
        messages.display = False
        for pane in self.query(HostLogPane):
            pane.reset()
        self.query_one(ProgressBar).update(total=1, progress=0)
        elapsed = self.query_one("#elapsed", Static)
        elapsed.update("")
        elapsed.remove_class("-ticking")
        self.set_status("Ready: press ctrl+r (or Next) to run this step.")

    def step_ended(self, ok: bool, summary: str = "", next_action: str = "", *, cancelled: bool = False) -> None:
        """The step finished: show what happened and, on failure, what failed and how to retry
        (``cancelled``: the user stopped it)."""
        if ok and not self.finished_hosts:
            self.total_hosts = 0  # the step had nothing to do on the hosts (a named volume): no "0/5 hosts"
        bar = self.query_one(ProgressBar)
        bar.update(total=max(1, self.total_hosts), progress=max(1, self.total_hosts) if ok else len(self.finished_hosts))
        self.stop_clock()
        for pane in self.query(HostLogPane):
            pane.scroll_to_end()
        tag = self.step.tag
        if ok:
            # the summary is the messages box's line (handle_event): said once (trial s8 C3)
            self.set_status(Text(f"✔ Step {tag} done.  {self.done_hint()}", style="bold green"))
        elif cancelled:
            self.set_status(Text(f"⊘ Step {tag} {summary}. Next action: {next_action}", style="bold yellow"))
        else:
            detail = self.failure_detail() or summary
            nxt = next_action or "fix the cause, then press ctrl+r to retry this step"
            if detail.endswith("its output in its pane"):  # many hosts: the next action is in the messages too
                nxt = "read the messages below, fix the cause, then press ctrl+r"
            self.set_status(Text(f"✗ Step {tag} failed: {detail}. Next action: {nxt} (w: why?)",
                                 style="bold red"))
            if self.key_questions:
                self.call_later(self.ask_host_keys)
        self.refresh_states()

    def ask_host_keys(self) -> None:
        """Ask about the unknown host keys the failed run met; all trusted → run the step again."""
        from ...config.paths import app_paths

        known = app_paths().known_hosts
        questions = list(self.key_questions)
        self.key_questions.clear()

        def done(trusted: bool, refused: str) -> None:
            """The questions' outcome: every key trusted → say so and run the step again; a key refused → the status
            line names that host and how to be asked again; nothing asked (``refused`` empty) → the status line is left
            as it is."""
            if trusted:
                self.set_status(Text(f"Host key(s) trusted in {known}; running step {self.step.tag} again…",
                                     style="bold yellow"))
                self.call_later(self.wapp.action_run_step)
            elif refused:
                self.set_status(Text(f"✗ Step {self.step.tag} failed. Next action: {refused_next_action(refused)}",
                                     style="bold red"))

        ask_host_keys(self.app, questions, known, done)

    def done_hint(self) -> str:
        """What to do after this step succeeded."""
        if self.number == len(self.wapp.steps):
            return "Multiconnect is set up. F2 opens the health monitor."
        following = self.wapp.steps[self.number]
        if following.group != self.step.group:
            return (f"The {self.step.group} is complete. F2 opens the health monitor; ctrl+n goes on with "
                    f"{following.group} (optional).")
        return "Press ctrl+n for the next step."

    def failure_detail(self) -> str:
        """The failed hosts for the status line: each described when one or two failed (or the cluster has no more
        than :data:`TABLE_ABOVE` hosts); else how many, their names
        and the first one described, the error line of every one going to the message log (issue 17: 50 hosts
        in one paragraph pushed the buttons off the screen)."""
        failed = sorted((h for h, r in self.host_results.items() if not r.ok), key=natural_key)
        total = self.total_hosts or len(self.host_results)
        if len(failed) <= 2 or total <= TABLE_ABOVE:
            return "; ".join(self.describe_failure(h) for h in failed)
        for line in failure_lines(self.host_results, self._last_output):
            self.add_message(line)
        return (f"{len(failed)} of {total} hosts failed ({named(failed)}): the last error line of each is in the "
                "messages, its output in its pane")

    def _last_output(self, host: str) -> str:
        pane = self.pane_for(host)
        return pane.last_output if pane is not None else ""

    def describe_failure(self, host: str) -> str:
        """``host: `command` exit N (last output line (error))`` for a failed host, the host named once."""
        r = self.host_results[host]
        cmd = self.last_command.get(host, "")
        status = f"exit {r.exit_status}" if r.exit_status is not None else "no exit status"
        # the host once, and the last line its commands printed (the cause; the pane may cut it) before the engine's words
        words = failure_words(host, r.error, self._last_output(host))
        return f"{host}: `{cmd}` {status} ({words})" if cmd else f"{host}: {status} ({words})"

    def stop_clock(self) -> None:
        """Freeze the elapsed time at its last value and stop an indeterminate progress bar (the step,
        or a task of it, ended)."""
        self._tick()
        self.started_at = None
        bar = self.query_one(ProgressBar)
        if bar.total is None:
            bar.update(total=1, progress=1)

    def _tick(self) -> None:
        if self.started_at is None:
            return
        secs = int(time.monotonic() - self.started_at)
        done = f"{len(self.finished_hosts)}/{self.total_hosts} hosts · " if self.total_hosts else ""
        set_ticker(self.query_one("#elapsed", Static), f"{done}{secs // 60:02d}:{secs % 60:02d}")

    # ---- workflow events ----------------------------------------------------------------------
    def show_report(self, procedure: str, path: Any) -> None:
        """Show where the report of ``procedure`` is: ``path`` (report.md) whole, wrapped, with report.json beside
        it; the line stays until the next report."""
        line = self.query_one("#step-report", Static)
        line.update(Text.assemble(f"Report of the {procedure}: ", (str(path), "bold"), " (and report.json beside it)"))
        line.display = True

    def add_message(self, text: str) -> None:
        """Append a line to the step's message log."""
        log = self.query_one("#step-messages", RichLog)
        log.display = True
        first = len(log.lines)
        log.write(Text(self.wapp.mask(text)), scroll_end=False)
        # the log is as tall as its lines (app.tcss): a write only repaints, so ask for a new layout
        # once the line (deferred by RichLog until its width is known) is in; then show the new message from its
        # start (a short terminal's box showed only its last words)
        self.call_after_refresh(log.refresh, layout=True)
        self.call_after_refresh(lambda: self.call_after_refresh(log.scroll_to, y=first, animate=False))

    def handle_event(self, event: Any) -> None:
        """Show one workflow event."""
        if isinstance(event, StepStarted):
            if event.hosts and self.HOST_PANES:
                self.total_hosts = len(event.hosts)
                self.query_one(ProgressBar).update(total=self.total_hosts)
        elif isinstance(event, StepFinished):
            self.add_message(f"Step {self.step.tag} {'done' if event.ok else 'failed'}: {event.summary}"
                             + (f" Next: {event.next_action}" if event.next_action else ""))
        else:
            self.show_event(event)

    def pane_for(self, host: str) -> HostLogPane | None:
        """The pane of ``host``, if this step shows panes."""
        return super().pane_for(host) if self.HOST_PANES else None

    def host_finished(self, event: HostFinished, pane: HostLogPane | None) -> None:
        """Count ``event.host`` as finished on the progress bar and, when it failed with an error, write that error
        (masked) as a note at the end of its pane."""
        self.finished_hosts.add(event.host)
        self.query_one(ProgressBar).update(progress=len(self.finished_hosts))
        if pane is not None and event.error:
            pane.write(f"✗ {self.wapp.mask(event.error)}", note=True)
