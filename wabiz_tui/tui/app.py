"""``WabizApp``: the Textual face of the HA install wizard (one screen per step of the seed)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..domain.model import ClusterProfile
from ..workflows.events import Event, StepFinished
from .engine import WorkflowFactory, default_workflow_factory
from .masking import SecretMasker
from .screens.base import StepScreen
from .screens.factory import make_step_screen
from .steps import StepState, StepTitle, ha_steps


class WabizApp(App):
    """The HA install wizard.

    ``profile`` prefills the forms; ``demo`` (a ``demo.DemoSession``) adds the simulator's "SMS"
    codes to the registration screen; ``workflow_factory(profile, emit=...)`` builds the engine
    (``workflows.ha_install.HaInstall`` with the app's settings by default); ``profile_path`` is
    where the engine saves the profile once installed; ``log_dir`` receives saved panes.
    The caller owns ``demo`` and stops it after the app exits.
    """

    CSS_PATH = "app.tcss"
    TITLE = "wabiz-tui"
    SUB_TITLE = "WhatsApp Business API On-Premises · HA install"
    NOTIFICATION_TIMEOUT = 8

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("ctrl+n", "next_step", "Next", priority=True, id="next-step"),
        Binding("ctrl+b", "back", "Back", priority=True, id="back"),
        Binding("ctrl+r", "run_step", "Run/retry", priority=True, id="run-step"),
        Binding("ctrl+l", "toggle_follow", "Follow/pause", priority=True, id="toggle-follow"),
        Binding("ctrl+s", "save_logs", "Save logs", priority=True, id="save-logs"),
        Binding("ctrl+t", "toggle_theme", "Theme", priority=True, id="toggle-theme"),
        Binding("f8", "save_screenshot", "Screenshot", show=False, id="screenshot"),
    ]

    def __init__(self, profile: ClusterProfile, *, demo: Any = None,
                 workflow_factory: WorkflowFactory | None = None, profile_path: Path | None = None,
                 log_dir: Path | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.demo = demo
        if workflow_factory is None:
            demo_speed = getattr(getattr(demo, "cluster", None), "speed", 1.0) if demo is not None else None
            workflow_factory = default_workflow_factory(
                profile_path or getattr(demo, "profile_path", None), demo_speed=demo_speed)
        self.workflow_factory = workflow_factory
        self.workflow: Any = None
        self.steps: tuple[StepTitle, ...] = ha_steps()
        self.states: dict[int, StepState] = {s.number: StepState.PENDING for s in self.steps}
        self.current = 1
        self.active_step: int | None = None
        self.last_finished: dict[int, StepFinished] = {}
        self.last_verdict: Any = None
        self.sms_code: str = ""
        self.log_dir = log_dir or self._default_log_dir()
        self.masker = SecretMasker()
        self.masker.update(profile)
        self._screens: dict[int, StepScreen] = {}
        self._thread_id = threading.get_ident()

    def _default_log_dir(self) -> Path:
        path = getattr(self.demo, "profile_path", None)
        if path is not None:
            return Path(path).parent / "logs"
        from platformdirs import user_log_path

        return user_log_path("wabiz-tui", appauthor=False)

    # ---- lifecycle -------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._thread_id = threading.get_ident()
        for step in self.steps:
            screen = make_step_screen(step)
            self._screens[step.number] = screen
            self.install_screen(screen, name=f"step{step.number}")
        cluster = getattr(self.demo, "cluster", None)
        if cluster is not None and hasattr(cluster, "on_sms"):
            cluster.on_sms(self._sms_received)
        elif cluster is not None and isinstance(getattr(cluster, "sms_callbacks", None), list):
            cluster.sms_callbacks.append(self._sms_received)
        self.push_screen("step1")

    async def on_unmount(self) -> None:
        if self.workflow is not None:
            try:
                await asyncio.wait_for(self.workflow.close(), timeout=5)
            except Exception as exc:  # noqa: BLE001 - closing must never raise out of the app
                self.log.warning(f"closing the engine failed: {exc!r}")

    # ---- profile and engine -----------------------------------------------------------------
    def set_profile(self, profile: ClusterProfile) -> None:
        """Use ``profile`` from now on (forms call this before their step runs)."""
        self.profile = profile
        self.masker.update(profile)
        if self.workflow is not None:
            self.workflow.profile = profile

    def ensure_workflow(self) -> Any:
        """The engine, built on first use with the current profile."""
        if self.workflow is None:
            self.workflow = self.workflow_factory(self.profile, emit=self._emit)
        self.workflow.profile = self.profile
        return self.workflow

    def mask(self, text: str) -> str:
        """``text`` with every known secret replaced by ``********``."""
        return self.masker(text)

    def _emit(self, event: Event) -> None:
        if threading.get_ident() != self._thread_id:
            self.call_from_thread(self._dispatch, event)
        else:
            self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        try:
            if isinstance(event, StepFinished):
                self.last_finished[event.number] = event
            verdict = getattr(event, "verdict", None)
            if verdict is not None:
                self.last_verdict = verdict
            number = getattr(event, "number", None) or self.active_step or self.current
            screen = self._screens.get(number)
            if screen is not None and screen.is_mounted:
                screen.handle_event(event)
        except Exception as exc:  # noqa: BLE001 - a display problem must not break the step
            self.log.error(f"event display failed: {exc!r}")

    def _sms_received(self, phone: str, code: str) -> None:
        def show() -> None:
            self.sms_code = code
            self.notify(f"Demo SMS to +{phone.lstrip('+')}: your registration code is {code}", title="SMS received",
                        timeout=30)
            screen = self._screens.get(8)
            if screen is not None and screen.is_mounted and hasattr(screen, "show_sms"):
                screen.show_sms(phone, code)

        if threading.get_ident() != self._thread_id:
            self.call_from_thread(show)
        else:
            show()

    # ---- step states --------------------------------------------------------------------------
    def state(self, number: int) -> StepState:
        """The state of step ``number``."""
        return self.states.get(number, StepState.PENDING)

    def set_state(self, number: int, state: StepState) -> None:
        """Change the state of step ``number`` and redraw the visible step list."""
        self.states[number] = state
        try:
            screen = self.screen
        except Exception:  # noqa: BLE001 - no screen while the app shuts down
            return
        if isinstance(screen, StepScreen):
            screen.refresh_states()

    @property
    def busy(self) -> bool:
        """True while a step runs."""
        return self.active_step is not None

    def step_screen(self, number: int) -> StepScreen:
        """The screen of step ``number``."""
        return self._screens[number]

    # ---- running steps --------------------------------------------------------------------------
    def start_step(self, number: int) -> None:
        """Run step ``number`` in a worker (the form was already collected)."""
        if self.busy:
            self.notify(f"Step {self.active_step} is still running; wait for it to finish.", severity="warning")
            return
        self.active_step = number
        self.set_state(number, StepState.RUNNING)
        self.step_screen(number).step_started(tuple(h.external_hostname for h in self.profile.hosts))
        self.run_step_worker(number)

    @work(exclusive=True, exit_on_error=False, group="step", name="run-step")
    async def run_step_worker(self, number: int) -> None:
        """Run one step of the engine; every failure ends as a visible message, never a traceback."""
        ok = False
        summary = next_action = ""
        try:
            self.last_finished.pop(number, None)
            ok = bool(await self.ensure_workflow().run_step(number))
            finished = self.last_finished.get(number)
            if finished is not None:
                summary, next_action = finished.summary, finished.next_action
        except asyncio.CancelledError:
            summary, next_action = "cancelled", "press ctrl+r to run it again"
            raise
        except Exception as exc:  # noqa: BLE001 - turned into a message
            summary = f"{type(exc).__name__}: {self.mask(str(exc))}"
            next_action = getattr(exc, "next_action", "") or "check the hosts and the profile, then press ctrl+r to retry"
        finally:
            self.finish_step(number, ok, summary, next_action)

    def start_task(self, number: int, label: str, call: Callable[[], Awaitable[Any]],
                   done: Callable[[Any], StepState]) -> None:
        """Run ``call()`` (an engine call that is part of step ``number``) in a worker.

        ``done(result)`` shows the result and returns the step's new state; an exception becomes a
        failed step with the error's ``next_action``.
        """
        if self.busy:
            self.notify(f"Step {self.active_step} is still running; wait for it to finish.", severity="warning")
            return
        self.active_step = number
        self.set_state(number, StepState.RUNNING)
        self.step_screen(number).step_started(())
        self.run_task_worker(number, label, call, done)

    @work(exclusive=True, exit_on_error=False, group="step", name="run-task")
    async def run_task_worker(self, number: int, label: str, call: Callable[[], Awaitable[Any]],
                              done: Callable[[Any], StepState]) -> None:
        """Worker body of :meth:`start_task`."""
        try:
            result = await call()
        except asyncio.CancelledError:
            self.finish_step(number, False, f"{label} cancelled", "press ctrl+r to try again")
            raise
        except Exception as exc:  # noqa: BLE001 - turned into a message
            next_action = getattr(exc, "next_action", "") or "check the fields and the Webapp, then press ctrl+r"
            message = getattr(exc, "message", "") or str(exc)
            self.finish_step(number, False, f"{label}: {self.mask(message)}", next_action)
            return
        self.active_step = None
        try:
            state = done(result)
        except Exception as exc:  # noqa: BLE001
            self.finish_step(number, False, f"{label}: {exc!r}", "press ctrl+r to retry")
            return
        self.set_state(number, state)

    def finish_step(self, number: int, ok: bool, summary: str, next_action: str) -> None:
        """Record the outcome of step ``number`` and tell the user."""
        self.active_step = None
        self.set_state(number, StepState.DONE if ok else StepState.FAILED)
        screen = self.step_screen(number)
        if screen.is_mounted:
            screen.step_ended(ok, summary, next_action)
        if not ok:
            self.notify(f"Step {number} ({self.steps[number - 1].title}) failed: {summary or 'see the panes'}. "
                        f"{next_action}", severity="error", title="Step failed")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Safety net: a worker that failed anyway is reported, never raised."""
        if event.state is WorkerState.ERROR:
            self.notify(f"{event.worker.name} failed: {self.mask(str(event.worker.error))}", severity="error")
            if self.active_step is not None:
                self.finish_step(self.active_step, False, str(event.worker.error), "press ctrl+r to retry")

    # ---- navigation ------------------------------------------------------------------------------
    def goto_step(self, number: int) -> None:
        """Show step ``number``."""
        if not 1 <= number <= len(self.steps) or number == self.current:
            return
        if self.busy:
            self.notify(f"Step {self.active_step} is running; you can move once it finishes.", severity="warning")
            return
        self.current = number
        self.switch_screen(f"step{number}")

    async def action_next_step(self) -> None:
        """Next: runs the step when it is not done yet, otherwise moves to the next step."""
        if self.busy:
            self.notify(f"Step {self.active_step} is running…", severity="warning")
            return
        if self.state(self.current) is not StepState.DONE:
            await self.action_run_step()
            return
        self.goto_step(self.current + 1)

    def action_back(self) -> None:
        """Back to the previous step."""
        self.goto_step(self.current - 1)

    async def action_run_step(self) -> None:
        """Run (or retry) the step on screen."""
        if self.busy:
            self.notify(f"Step {self.active_step} is running…", severity="warning")
            return
        screen = self.screen
        if isinstance(screen, StepScreen):
            await screen.primary_action()

    def action_toggle_follow(self) -> None:
        """Pause or resume following in the host panes of this step."""
        from .widgets.host_log import HostLogPane

        panes = list(self.screen.query(HostLogPane))
        if not panes:
            self.notify("This step has no log panes.")
            return
        follow = not panes[0].follow
        for pane in panes:
            if pane.follow != follow:
                pane.toggle_follow()
        self.notify("Log panes follow new output." if follow else "Log panes paused (ctrl+l to follow).")

    def action_save_logs(self) -> None:
        """Save every host pane of this step to a file."""
        from .widgets.host_log import HostLogPane

        panes = list(self.screen.query(HostLogPane))
        if not panes:
            self.notify("This step has no log panes to save.")
            return
        try:
            paths = [pane.save(self.log_dir, f"step{self.current}") for pane in panes]
        except OSError as exc:
            self.notify(f"Could not save logs in {self.log_dir}: {exc}. Check the directory permissions.",
                        severity="error")
            return
        self.notify(f"Saved {len(paths)} log(s) in {self.log_dir}", title="Logs saved")

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    # ---- command palette -------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Next step", "Run this step if needed, else go to the next (ctrl+n)", self.action_next_step)
        yield SystemCommand("Previous step", "Go back one step (ctrl+b)", self.action_back)
        yield SystemCommand("Run / retry step", "Run the step on screen again (ctrl+r)", self.action_run_step)
        yield SystemCommand("Follow / pause logs", "Toggle following in the host panes (ctrl+l)",
                            self.action_toggle_follow)
        yield SystemCommand("Save logs", f"Save this step's host logs to {self.log_dir} (ctrl+s)",
                            self.action_save_logs)
        yield SystemCommand("Toggle dark/light theme", "Switch theme (ctrl+t)", self.action_toggle_theme)
        for step in self.steps:
            yield SystemCommand(f"Go to step {step.number}: {step.title}", f"State: {self.state(step.number).value}",
                                lambda n=step.number: self.goto_step(n))
