"""``WabizApp``: the Textual face of the install wizard (HA, then Multiconnect), the live health monitor
and the operations (upgrade, logs, uninstall)."""

from __future__ import annotations

import asyncio
import gc
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
from .actions import KeyActions
from ..demo.faults import DemoFaults, FaultActions
from .engine import (
    WorkflowFactory,
    default_mc_factory,
    default_preflight,
    default_workflow_factory,
    engine_settings,
    sync_journal,
)
from .masking import SecretMasker
from .palette import palette_commands
from .passphrase import ask_passphrase
from .resume import ResumePoint, read_resume_point
from .screens.base import StepScreen
from .screens.factory import make_step_screen
from .screens.operation import OperationScreen
from .screens.operations import OPERATIONS, make_operation_screen
from .steps import HA_GROUP, MC_OFFSET, StepState, StepTitle, wizard_steps

#: Seconds the demo's "SMS received" toast stays (the step-8 screen shows the code until it is used).
SMS_TOAST_SECONDS = 6


class WabizApp(KeyActions, FaultActions, App):
    """The install wizard (9 HA steps, then the 4 Multiconnect steps M1-M4) and the health monitor.

    ``profile`` prefills the forms; ``demo`` (a ``demo.DemoSession``) adds the simulator's "SMS"
    codes to the registration screen, the spare host to step M3 and the fault keys;
    ``workflow_factory(profile, emit=...)`` builds the install engine (``workflows.ha_install.HaInstall``
    with the app's settings by default) and ``mc_factory`` the Multiconnect one; ``profile_path`` is
    where the engines save the profile; ``log_dir`` receives saved panes.
    F3, F4 and F9 open the operations (upgrade, logs, uninstall) on their own screens.
    ``start_on`` is ``"wizard"``, ``"monitor"`` or None (the monitor for a profile marked
    ``installed``, else the wizard). ``preflight_factory(engine, profile, emit=...)`` builds the
    preflight run before step 5 (default: ``Preflight`` with the engine's settings; None from it: no gate).
    When the profile's install journal shows an interrupted install, the wizard opens on the first
    unfinished step and says where the earlier run stopped.
    Encrypted SSH keys: the engines ask their passphrase in a password dialog (:meth:`ask_passphrase`). ``monitor_interval`` is the first polling interval in seconds
    and ``bell`` whether the monitor rings the terminal bell when health worsens. ``freeze_gc`` (the
    command-line faces, one app per process) moves the objects alive at start-up and once the first screen
    is ready out of the garbage collector's reach (``gc.freeze``), so collections never re-scan them.
    The caller owns ``demo`` and stops it after the app exits.
    """

    CSS_PATH = "app.tcss"
    TITLE = "wabiz-tui"
    SUB_TITLE = "WhatsApp Business API On-Premises"
    NOTIFICATION_TIMEOUT = 8

    #: Width/height classes set on every screen (app.tcss makes the layout compact with them).
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-medium"), (160, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (34, "-tall")]

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit", tooltip="Leave wabiz-tui"),
        Binding("ctrl+n", "next_step", "Next", priority=True, id="next-step"),
        Binding("ctrl+b", "back", "Back", priority=True, id="back"),
        Binding("ctrl+r", "run_step", "Run/retry", priority=True, id="run-step"),
        Binding("ctrl+x", "cancel_step", "Cancel", priority=True, id="cancel-step",
                tooltip="Stop the running step or operation and its remote commands"),
        # ctrl+l/s/t stay out of the footer (the command palette lists them with their keys): at 120
        # columns the footer then has room for the F keys
        Binding("ctrl+l", "toggle_follow", "Follow/pause", show=False, priority=True, id="toggle-follow"),
        Binding("ctrl+s", "save_logs", "Save logs", show=False, priority=True, id="save-logs"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, priority=True, id="toggle-theme"),
        Binding("f2", "toggle_monitor", "Monitor", priority=True, id="toggle-monitor"),
        # the demo's fault keys act on the monitor, where their effect shows (demo_faults.FaultActions)
        Binding("f5", "demo_kill_coreapp", "Kill core", priority=True, id="demo-kill-coreapp"),
        Binding("f6", "demo_kill_master", "Kill primary", priority=True, id="demo-kill-master"),
        Binding("f7", "demo_restart", "Restart", priority=True, id="demo-restart",
                tooltip="Start again the containers killed with F5/F6"),
        Binding("f3", "operation('upgrade')", "Upgrade", priority=True, id="op-upgrade"),
        Binding("f4", "operation('logs')", "Logs", priority=True, id="op-logs"),
        Binding("f9", "operation('uninstall')", "Uninstall", priority=True, id="op-uninstall"),
        Binding("f8", "save_screenshot", "Screenshot", show=False, id="screenshot"),
    ]

    def __init__(self, profile: ClusterProfile, *, demo: Any = None,
                 workflow_factory: WorkflowFactory | None = None, profile_path: Path | None = None,
                 log_dir: Path | None = None, mc_factory: WorkflowFactory | None = None,
                 start_on: str | None = None, monitor_interval: float | None = None, bell: bool = True,
                 preflight_factory: Callable[..., Any] | None = None, freeze_gc: bool = False) -> None:
        super().__init__()
        self.freeze_gc = freeze_gc
        if freeze_gc:
            gc.freeze()  # the imported modules: see on_ready
        self.profile = profile
        self.demo = demo
        self.profile_path = profile_path or getattr(demo, "profile_path", None)
        self.demo_speed: float | None = (getattr(getattr(demo, "cluster", None), "speed", 1.0)
                                         if demo is not None else None)
        if workflow_factory is None:
            workflow_factory = default_workflow_factory(self.profile_path, demo_speed=self.demo_speed,
                                                        passphrase=self.ask_passphrase)
        self.workflow_factory = workflow_factory
        self.mc_factory = mc_factory or default_mc_factory(self.profile_path, demo_speed=self.demo_speed,
                                                           passphrase=self.ask_passphrase)
        self.preflight_factory = preflight_factory or default_preflight
        self.workflow: Any = None
        self.mc_workflow: Any = None
        self.steps: tuple[StepTitle, ...] = wizard_steps()
        self.states: dict[int, StepState] = {s.number: StepState.PENDING for s in self.steps}
        self.current = 1
        if profile.installed:  # the HA install is behind us: the wizard continues with Multiconnect
            for step in self.steps:
                if step.group == HA_GROUP:
                    self.states[step.number] = StepState.DONE
            self.current = MC_OFFSET + 1
        self.resumed: ResumePoint | None = None if profile.installed else read_resume_point(profile)
        if self.resumed is not None:  # an interrupted install: go on where it stopped
            for number in range(1, self.resumed.first):
                self.states[number] = StepState.DONE
            self.current = self.resumed.first
        self.start_on = start_on or ("monitor" if profile.installed else "wizard")
        self.monitor_interval = monitor_interval
        self.bell_enabled = bell
        self.faults = DemoFaults(demo) if demo is not None else None
        self.active_step: int | None = None
        self.last_finished: dict[int, StepFinished] = {}
        self.last_verdict: Any = None
        self.sms_code: str = ""
        self.log_dir = log_dir or self._default_log_dir()
        self.saved_logs: list[Path] = []
        self.masker = SecretMasker()
        self.masker.update(profile)
        self._screens: dict[int, StepScreen] = {}
        #: Encrypted key files whose passphrase dialog was dismissed (key file -> time), see passphrase.py.
        self.declined_keys: dict[str, float] = {}
        self._thread_id = threading.get_ident()

    def _default_log_dir(self) -> Path:
        """The app's state directory for logs (never the demo's temporary folder, deleted at exit)."""
        from ..config.paths import app_paths

        return app_paths().logs

    # ---- lifecycle -------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._thread_id = threading.get_ident()
        # Screens are installed as factories: each is built (and its modules imported) when first shown.
        for step in self.steps:
            self.install_screen(self._sized(lambda n=step.number: self.step_screen(n)), name=f"step{step.number}")
        cluster = getattr(self.demo, "cluster", None)
        if cluster is not None and hasattr(cluster, "on_sms"):
            cluster.on_sms(self._sms_received)
        elif cluster is not None and isinstance(getattr(cluster, "sms_callbacks", None), list):
            cluster.sms_callbacks.append(self._sms_received)
        self.install_screen(self._sized(self._monitor_screen), name="monitor")
        for name in OPERATIONS:
            self.install_screen(self._sized(lambda n=name: make_operation_screen(n)), name=name)
        self.push_screen("monitor" if self.start_on == "monitor" else f"step{self.current}")
        if self.resumed is not None:
            self.notify(self.resumed.note, title="Resuming the install", timeout=20)

    def _monitor_screen(self) -> Screen:
        # imported when first shown: its health table (Textual's DataTable) is ~30 ms of the wizard's start
        from .screens.monitor import MonitorScreen

        return MonitorScreen(interval=self.monitor_interval)

    def breakpoint_classes(self) -> set[str]:
        """The width/height classes (``-wide``, ``-tall``…) Textual gives a screen of the terminal's size
        (:attr:`HORIZONTAL_BREAKPOINTS`, :attr:`VERTICAL_BREAKPOINTS`: the highest threshold reached)."""
        width, height = self.size
        return {next((name for edge, name in sorted(table, reverse=True) if size >= edge), "")
                for size, table in ((width, self.HORIZONTAL_BREAKPOINTS), (height, self.VERTICAL_BREAKPOINTS))} - {""}

    def _sized(self, factory: Callable[[], Screen]) -> Callable[[], Screen]:
        """``factory`` whose screen gets its breakpoint classes when built, before its widgets exist.

        Textual sets them on the screen's first resize, after the screen is built: that restyles every
        widget of it once more (90 ms of a 0.7 s first frame on step 1). Set here, they are unchanged then.
        """
        def build() -> Screen:
            screen = factory()
            if not screen.is_attached:
                screen.add_class(*self.breakpoint_classes())
            return screen
        return build

    def on_ready(self) -> None:
        if self.freeze_gc:
            # The first screen is built: its widgets, styles and caches, like the modules frozen in
            # __init__, live as long as the process. Frozen, Python's full collections stop re-scanning
            # them: one full collection took 75-150 ms of a stream's first 0.6 s (the key-wait max), and
            # the first frame spends ~40 ms less in the collector. The price: the few thousand cyclic
            # garbage objects of the start-up stay allocated (about 2,000 objects, measured at Ready).
            gc.freeze()

    async def on_unmount(self) -> None:
        self.release_cluster_lock()
        for engine in (self.workflow, self.mc_workflow):
            if engine is None:
                continue
            try:
                await asyncio.wait_for(engine.close(), timeout=5)
            except Exception as exc:  # noqa: BLE001 - closing must never raise out of the app
                self.log.warning(f"closing the engine failed: {exc!r}")

    async def action_quit(self) -> None:
        """Leave at once, even mid-stream: the engines' SSH connections are aborted rather than closed
        gracefully (a server that never answers a channel close must not hold the exit: field case R33)."""
        engines = [self.workflow, self.mc_workflow] + [screen.engine for screen in self.operation_screens()]
        for engine in engines:
            if engine is not None and hasattr(engine, "abort"):
                engine.abort()
        self.exit()

    # ---- profile and engine -----------------------------------------------------------------
    def set_profile(self, profile: ClusterProfile) -> None:
        """Use ``profile`` from now on (forms call this before their step runs)."""
        self.profile = profile
        self.masker.update(profile)
        for engine in (self.workflow, self.mc_workflow):
            if engine is not None:
                engine.profile = profile
        if self.workflow is not None:
            sync_journal(self.workflow, profile)

    async def ask_passphrase(self, key_file: str) -> str:
        """``SshSettings.passphrase``: ask for the passphrase of ``key_file`` in a password dialog
        ("" when dismissed with Escape). The answer goes to the SSH layer only: never shown, never kept."""
        return await ask_passphrase(self, key_file)

    def emitter(self, handler: Callable[[Event], None]) -> Callable[[Event], None]:
        """An ``emit`` for an engine whose events go to ``handler`` (on the UI thread, errors logged)."""

        def call(event: Event) -> None:
            try:
                handler(event)
            except Exception as exc:  # noqa: BLE001 - a display problem must not break the run
                self.log.error(f"event display failed: {exc!r}")

        def emit(event: Event) -> None:
            if threading.get_ident() != self._thread_id:
                self.call_from_thread(call, event)
            else:
                call(event)

        return emit

    def ensure_workflow(self) -> Any:
        """The engine, built on first use with the current profile."""
        if self.workflow is None:
            self.workflow = self.workflow_factory(self.profile, emit=self._emit)
        self.workflow.profile = self.profile
        return self.workflow

    def ensure_mc_workflow(self) -> Any:
        """The Multiconnect engine, built on first use with the current profile."""
        if self.mc_workflow is None:
            self.mc_workflow = self.mc_factory(self.profile, emit=self._emit)
        self.mc_workflow.profile = self.profile
        return self.mc_workflow

    def engine_for(self, number: int) -> Any:
        """The engine that runs wizard step ``number``."""
        return self.ensure_mc_workflow() if self.is_mc(number) else self.ensure_workflow()

    def is_mc(self, number: int) -> bool:
        """True for a Multiconnect step (M1-M4)."""
        return number > MC_OFFSET

    @property
    def installed(self) -> bool:
        """True once the HA install finished (profile marked installed, or step 9 done here)."""
        return bool(self.profile.installed) or self.state(MC_OFFSET) is StepState.DONE

    def operation_settings(self) -> Any:
        """Run settings for an operation engine (the same trust files and demo scaling as the install)."""
        return engine_settings(self.profile, self.profile_path, self.demo_speed)

    def operation_screens(self) -> list[OperationScreen]:
        """The operation screens built so far (each is a factory until first shown)."""
        return [screen for name in OPERATIONS if isinstance(screen := self._installed_screens.get(name), OperationScreen)]

    def operation_running(self) -> str | None:
        """The heading of the operation that runs now (None when none does)."""
        return next((screen.HEADING for screen in self.operation_screens() if screen.running), None)

    def adopt_profile(self, engine: Any) -> None:
        """Take the profile an operation changed (new version, not installed any more)."""
        before = self.profile
        self._adopt(engine)
        if before.installed and not self.profile.installed:  # uninstalled: the wizard starts again
            for number in self.states:
                self.states[number] = StepState.PENDING
            self.current = 1
            for screen in self._screens.values():
                if screen.is_mounted:
                    screen.reset_view()

    def _adopt(self, engine: Any) -> None:
        """Take the profile an engine changed (installed flag, shard count, a new host)."""
        changed = getattr(engine, "profile", None)
        if changed is not None and changed is not self.profile and isinstance(changed, ClusterProfile):
            self.set_profile(changed)

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
            number = getattr(event, "number", None)
            if number is not None and getattr(event, "procedure", "") == "multiconnect":
                number += MC_OFFSET
            if isinstance(event, StepFinished):
                self.last_finished[number] = event
            verdict = getattr(event, "verdict", None)
            if verdict is not None:
                self.last_verdict = verdict
            number = number or self.active_step or self.current
            screen = self._screens.get(number)
            if screen is not None and screen.is_mounted:
                screen.handle_event(event)
        except Exception as exc:  # noqa: BLE001 - a display problem must not break the step
            self.log.error(f"event display failed: {exc!r}")

    def _sms_received(self, phone: str, code: str) -> None:
        def show() -> None:
            self.sms_code = code
            # short: the step-8 screen keeps the code (#sms-hint); a long toast covered its buttons
            self.notify(f"Demo SMS to +{phone.lstrip('+')}: your registration code is {code}", title="SMS received",
                        timeout=SMS_TOAST_SECONDS)
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
        """The screen of step ``number`` (built on first use)."""
        screen = self._screens.get(number)
        if screen is None:
            screen = self._screens[number] = make_step_screen(self.steps[number - 1])
        return screen

    # ---- running steps --------------------------------------------------------------------------
    def step_tag(self, number: int) -> str:
        """``3`` or ``M1``: how the user knows step ``number``."""
        return self.steps[number - 1].tag if 1 <= number <= len(self.steps) else str(number)

    def start_step(self, number: int, call: Callable[[], Awaitable[Any]] | None = None,
                   hosts: tuple[str, ...] | None = None) -> None:
        """Run step ``number`` in a worker (the form was already collected).

        ``call`` is the engine call (default: ``HaInstall.run_step(number)``, or the Multiconnect
        health steps); ``hosts`` the hosts whose panes it fills (default: every host of the profile).
        """
        if self._refuse_while_running():
            return
        self.active_step = number
        self.declined_keys.clear()
        self.set_state(number, StepState.RUNNING)
        if hosts is None:
            hosts = tuple(h.external_hostname for h in self.profile.hosts)
        self.step_screen(number).step_started(hosts)
        self.run_step_worker(number, call)
        self.refresh_bindings()

    def hold_cluster_lock(self, what: str) -> bool:
        """Take the cluster's lock (state directory, shared with the headless commands) before the first
        change to the cluster, and keep it while the app runs; False with an error naming the holder when
        another process works on the cluster (one process per cluster, design.md §11)."""
        from ..config.lock import ClusterBusy, ClusterLock
        from ..config.paths import app_paths, local_problems

        problems = local_problems(app_paths().writable)
        if problems:
            self.notify("Local problem, nothing was started on the hosts: " + "; ".join(problems), severity="error",
                        timeout=20)
            return False
        lock = getattr(self, "_cluster_lock", None)
        wanted = ClusterLock.for_profile(app_paths().locks, self.profile)
        if lock is None or lock.path != wanted.path:  # a new name or new hosts (the wizard edited them): another lock
            if lock is not None:
                lock.release()
            lock = self._cluster_lock = wanted
        try:
            lock.acquire(f"wizard ({what})")
        except ClusterBusy as exc:
            self.notify(f"Refused: {exc}", severity="error", timeout=15)
            return False
        except OSError as exc:
            self.notify(f"Cannot take the cluster's lock {lock.path}: {exc.strerror or exc}; check the state directory "
                        "(free space, permissions)", severity="error", timeout=15)
            return False
        return True

    def release_cluster_lock(self) -> None:
        """Free the cluster's lock (the app is closing)."""
        lock = getattr(self, "_cluster_lock", None)
        if lock is not None:
            lock.release()

    def _refuse_while_running(self, what: str = "step") -> bool:
        """True (with a warning) while a step or an operation runs, or while another process works on the
        cluster: one thing at a time on a cluster."""
        if not self.hold_cluster_lock(what):
            return True
        if self.busy:
            self.notify(f"Step {self.step_tag(self.active_step or 0)} is still running; wait for it to finish.",
                        severity="warning")
            return True
        operation = self.operation_running()
        if operation:
            self.notify(f"{operation} is running; wait for it to finish.", severity="warning")
            return True
        return False

    def _default_call(self, number: int) -> Callable[[], Awaitable[Any]]:
        if not self.is_mc(number):
            return lambda: self.ensure_workflow().run_step(number)
        mc = self.ensure_mc_workflow()
        calls = {2: mc.health_served, 4: mc.health_with_standby}
        seq = number - MC_OFFSET
        if seq not in calls:
            raise ValueError(f"step M{seq} runs from its own screen")
        return calls[seq]

    @work(exclusive=True, exit_on_error=False, group="step", name="run-step")
    async def run_step_worker(self, number: int, call: Callable[[], Awaitable[Any]] | None = None) -> None:
        """Run one step of the engine; every failure ends as a visible message, never a traceback."""
        ok = cancelled = False
        summary = next_action = ""
        try:
            self.last_finished.pop(number, None)
            ok = bool(await (call or self._default_call(number))())
            self._adopt(self.mc_workflow if self.is_mc(number) else self.workflow)
            finished = self.last_finished.get(number)
            if finished is not None:
                summary, next_action = finished.summary, finished.next_action
        except asyncio.CancelledError:
            cancelled = True
            summary, next_action = "cancelled; its remote commands were stopped", "press ctrl+r to run it again"
            raise
        except Exception as exc:  # noqa: BLE001 - turned into a message
            summary = f"{type(exc).__name__}: {self.mask(str(exc))}"
            next_action = getattr(exc, "next_action", "") or "check the hosts and the profile, then press ctrl+r to retry"
        finally:
            self.finish_step(number, ok, summary, next_action, cancelled=cancelled)

    def start_task(self, number: int, label: str, call: Callable[[], Awaitable[Any]],
                   done: Callable[[Any], StepState]) -> None:
        """Run ``call()`` (an engine call that is part of step ``number``) in a worker.

        ``done(result)`` shows the result and returns the step's new state; an exception becomes a
        failed step with the error's ``next_action``.
        """
        if self._refuse_while_running():
            return
        self.active_step = number
        self.declined_keys.clear()
        self.set_state(number, StepState.RUNNING)
        self.step_screen(number).step_started(())
        self.run_task_worker(number, label, call, done)
        self.refresh_bindings()

    @work(exclusive=True, exit_on_error=False, group="step", name="run-task")
    async def run_task_worker(self, number: int, label: str, call: Callable[[], Awaitable[Any]],
                              done: Callable[[Any], StepState]) -> None:
        """Worker body of :meth:`start_task`."""
        try:
            result = await call()
        except asyncio.CancelledError:
            self.finish_step(number, False, f"{label} cancelled", "press ctrl+r to try again", cancelled=True)
            raise
        except Exception as exc:  # noqa: BLE001 - turned into a message
            next_action = getattr(exc, "next_action", "") or "check the fields and the Webapp, then press ctrl+r"
            message = getattr(exc, "message", "") or str(exc)
            self.finish_step(number, False, f"{label}: {self.mask(message)}", next_action)
            return
        self.active_step = None
        self.refresh_bindings()  # nothing runs now: ctrl+x leaves the footer
        screen = self.step_screen(number)
        if screen.is_mounted:
            screen.stop_clock()
        try:
            state = done(result)
        except Exception as exc:  # noqa: BLE001
            self.finish_step(number, False, f"{label}: {exc!r}", "press ctrl+r to retry")
            return
        self.set_state(number, state)

    def finish_step(self, number: int, ok: bool, summary: str, next_action: str, *, cancelled: bool = False) -> None:
        """Record the outcome of step ``number`` (``cancelled``: stopped by the user) and tell the user."""
        self.active_step = None
        self.set_state(number, StepState.DONE if ok else StepState.CANCELLED if cancelled else StepState.FAILED)
        self.refresh_bindings()
        screen = self.step_screen(number)
        if screen.is_mounted:
            screen.step_ended(ok, summary, next_action, cancelled=cancelled)
        if cancelled:
            self.notify(f"Step {self.step_tag(number)} ({self.steps[number - 1].title}) cancelled. {next_action}",
                        severity="warning", title="Step cancelled")
        elif not ok:
            self.notify(f"Step {self.step_tag(number)} ({self.steps[number - 1].title}) failed: "
                        f"{summary or 'see the panes'}. "
                        f"{next_action}", severity="error", title="Step failed")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Safety net: a worker that failed anyway is reported, never raised."""
        if event.state is WorkerState.ERROR:
            self.notify(f"{event.worker.name} failed: {self.mask(str(event.worker.error))}", severity="error")
            if self.active_step is not None:
                self.finish_step(self.active_step, False, str(event.worker.error), "press ctrl+r to retry")

    # ---- command palette -------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self)
