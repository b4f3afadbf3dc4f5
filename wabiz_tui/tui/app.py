"""``WabizApp``: the Textual face of the install wizard (HA, then Multiconnect), the live health monitor
and the operations (upgrade, logs, uninstall)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..domain.model import ClusterProfile
from ..workflows.events import Event, HealthUpdated, StepFinished
from .actions import KeyActions
from .demo_keys import DemoHooks, FaultKeys
from .engine import (
    WorkflowFactory,
    default_mc_factory,
    default_preflight,
    default_workflow_factory,
    engine_settings,
    sync_journal,
)
from .masking import SecretMasker
from .messages import EngineEvents, EventInbox, SmsReceived
from .palette import palette_commands
from .passphrase import ask_passphrase
from .runner import Runner, close_engine
from .screens.base import StepScreen
from .screens.factory import make_step_screen
from .screens.operation import OperationScreen
from .screens.operations import OPERATIONS, make_operation_screen
from .step_runs import StepRuns
from .steps import HA_PROCEDURE, StepState
from .wizard import WizardState

#: Seconds the demo's "SMS received" toast stays (the step-8 screen shows the code until it is used).
SMS_TOAST_SECONDS = 6
#: The HA install's registration step, whose screen shows the demo's SMS code.
REGISTER_STEP = 8
#: Seconds of engine events shown per turn of the event loop; the rest wait for the next turn, after the keys and
#: repaints that queued meanwhile (issue 17: 5 hosts x 100,000 lines delivered in one go held a key 400 ms).
DELIVER_BUDGET = 0.008
#: The last step of the install and of the Multiconnect change: a report is written when it succeeds.
REPORT_AT = frozenset({("install", 9), ("multiconnect", 4)})


class _Wizard:
    """An attribute of the app that is its wizard state's (``app.current`` is ``app.wizard.current``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, app: Any, owner: type | None = None) -> Any:
        return self if app is None else getattr(app.wizard, self.name)

    def __set__(self, app: Any, value: Any) -> None:
        setattr(app.wizard, self.name, value)


class WabizApp(StepRuns, KeyActions, FaultKeys, App):
    """The install wizard (9 HA steps, then the 4 Multiconnect steps M1-M4) and the health monitor.

    ``profile`` prefills the forms; ``demo`` (a :class:`~.demo_keys.DemoHooks`, the CLI's demo session) adds the simulator's "SMS"
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
    is ready, and again after each screen is first built, out of the garbage collector's reach (``gc.freeze``),
    so collections never re-scan them.
    The caller owns ``demo`` and stops it after the app exits.

    The wizard's state is :attr:`wizard` (plain data); steps, tasks and operations run in :attr:`runner`;
    engine events come through :attr:`inbox` as :class:`~.messages.EngineEvents` messages.
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
        # the demo's fault keys act on the monitor, where their effect shows (demo_keys.FaultKeys)
        Binding("f5", "demo_kill_coreapp", "Kill core", priority=True, id="demo-kill-coreapp"),
        Binding("f6", "demo_kill_master", "Kill primary", priority=True, id="demo-kill-master"),
        Binding("f7", "demo_restart", "Restart", priority=True, id="demo-restart",
                tooltip="Start again the containers killed with F5/F6"),
        Binding("f3", "operation('upgrade')", "Upgrade", priority=True, id="op-upgrade"),
        Binding("f4", "operation('logs')", "Logs", priority=True, id="op-logs"),
        Binding("f9", "operation('uninstall')", "Uninstall", priority=True, id="op-uninstall"),
        Binding("f8", "save_screenshot", "Screenshot", show=False, id="screenshot"),
        # priority: a form's text field (Input binds ctrl+k to "delete to the end") must not eat it; in a dialog
        # the action steps aside and the field keeps its key
        Binding("ctrl+k", "switch_cluster", "Clusters", show=False, priority=True, id="switch-cluster"),
        # not a priority binding: a text field keeps its "w"
        Binding("w", "doctor", "Why?", show=False, id="why", tooltip="doctor: ranked causes from evidence on every host"),
    ]

    steps = _Wizard()
    states = _Wizard()
    current = _Wizard()
    #: the monitor's ``--grace``/``--poll-floor`` flags (seconds; None: the profile's, else the defaults)
    monitor_grace: float | None = None
    monitor_poll_floor: float | None = None
    last_finished = _Wizard()
    last_verdict = _Wizard()
    sms_code = _Wizard()
    resumed = _Wizard()

    def __init__(self, profile: ClusterProfile, *, demo: DemoHooks | None = None,
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
        self.profile_path = profile_path or (demo.profile_path if demo is not None else None)
        self.demo_speed: float | None = demo.speed if demo is not None else None
        self.faults = demo.faults if demo is not None else None
        self.wizard = WizardState.for_profile(profile)
        self.runner = Runner(self)
        self.inbox = EventInbox(lambda: self.post_message(EngineEvents()),
                                lambda exc: self.log.error(f"event display failed: {exc!r}"))
        self._emit = self.inbox.emitter(self.show_wizard_event, self.show_wizard_lines)
        if workflow_factory is None:
            workflow_factory = default_workflow_factory(self.profile_path, demo_speed=self.demo_speed,
                                                        passphrase=self.ask_passphrase)
        self.workflow_factory = workflow_factory
        self.mc_factory = mc_factory or default_mc_factory(self.profile_path, demo_speed=self.demo_speed,
                                                           passphrase=self.ask_passphrase)
        self.preflight_factory = preflight_factory or default_preflight
        self.workflow: Any = None
        self.mc_workflow: Any = None
        self.start_on = start_on or ("monitor" if profile.installed else "wizard")
        self.monitor_interval = monitor_interval
        self.bell_enabled = bell
        self.log_dir = log_dir or self._default_log_dir()
        self.saved_logs: list[Path] = []
        self.masker = SecretMasker()
        self.masker.update(profile)
        self._screens: dict[int, StepScreen] = {}
        #: Encrypted key files whose passphrase dialog was dismissed (key file -> time), see passphrase.py.
        self.declined_keys: dict[str, float] = {}
        #: what the terminal is told after a quit that aborted a run (where it was recorded, how to continue)
        self.quit_note = ""
        #: the reports written in this session (install, Multiconnect)
        self.report_paths: list[Path] = []
        #: ctrl+k's fleet view: its members (None: every saved profile) and their monitors (tests: stand-ins)
        self.fleet_members: list[Any] | None = None
        self.fleet_monitors: list[Any] | None = None

    def _default_log_dir(self) -> Path:
        """The app's state directory for logs (never the demo's temporary folder, deleted at exit)."""
        from ..config.paths import app_paths

        return app_paths().logs

    # ---- lifecycle -------------------------------------------------------------------------
    def on_mount(self) -> None:
        # Screens are installed as factories: each is built (and its modules imported) when first shown.
        for step in self.steps:
            self.install_screen(self._sized(lambda n=step.number: self.step_screen(n)), name=f"step{step.number}")
        if self.demo is not None:
            self.demo.on_sms(lambda phone, code: self.post_message(SmsReceived(phone, code)))
        self.install_screen(self._sized(self._monitor_screen), name="monitor")
        for name in OPERATIONS:
            self.install_screen(self._sized(lambda n=name: make_operation_screen(n)), name=name)
        self.push_screen("monitor" if self.start_on == "monitor" else f"step{self.current}")
        from .quitting import install_signal_handlers

        self._signals = install_signal_handlers(self)  # SIGTERM/SIGHUP record an abort as ctrl+q does
        if self.resumed is not None:
            from .mc_resume import McResumePoint

            what = "the Multiconnect change" if isinstance(self.resumed, McResumePoint) else "the install"
            self.notify(self.resumed.note, title=f"Resuming {what}", timeout=20)
        elif self.demo is not None:
            from .resume import earlier_demo_note

            note = earlier_demo_note()
            if note is not None:  # a new demo never continues an earlier one: said, not silent (issue 17, defect 10)
                self.notify(note, title="A new demo cluster", timeout=15)

    def _monitor_screen(self) -> Screen:
        # imported when first shown: its health table (Textual's DataTable) is ~30 ms of the wizard's start
        from .screens.monitor import MonitorScreen

        return MonitorScreen(interval=self.monitor_interval)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this platform; on Linux :class:`~.hangup.HangupSafeDriver` (a closed terminal
        must not block the exit: see :mod:`.hangup`)."""
        from textual.drivers.linux_driver import LinuxDriver

        driver = super().get_driver_class()
        if driver is LinuxDriver:
            from .hangup import HangupSafeDriver

            return HangupSafeDriver
        return driver

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
            """The screen ``factory()`` returns, with this terminal's :meth:`breakpoint_classes` added when it is not
            attached yet (:meth:`step_screen` hands back a screen built earlier as it is); with ``freeze_gc``, what is
            alive after its first refresh is frozen (``gc.freeze``)."""
            screen = factory()
            if not screen.is_attached:
                screen.add_class(*self.breakpoint_classes())
                if self.freeze_gc:
                    # a screen lives as long as the app, as the first one frozen in on_ready: built after it (step
                    # 5's 50 host panes), every full collection re-scanned it, 48-83 ms of the UI thread each, the
                    # worst frames of a 50-host preflight (issue 17, s10)
                    self.call_after_refresh(gc.freeze)
            return screen
        return build

    def profile_ref(self) -> str:
        """How a ``wabiz-tui`` command line names this app's profile (``config.profile.command_ref``: its name when
        it is the saved profile of that name, else its path); not shell-quoted."""
        from ..config.paths import app_paths
        from ..config.profile import command_ref

        return command_ref(self.profile.name, self.profile_path, app_paths().profiles)

    def release_frozen(self) -> None:
        """With ``freeze_gc``, for a caller that has just removed widgets that may have been frozen (the pane grid
        rebuilt after the hosts changed): unfreeze everything, so that the collector frees them once nothing refers to
        them (Textual's query caches hold a removed widget a while). Every widget is in a reference cycle
        (``widget.styles.node is widget``) and a frozen cycle is never freed: the old grid, with its panes' lines,
        stayed for the life of the process (s10 review). The next screen built freezes again (:meth:`_sized`); until
        then full collections scan more objects."""
        if self.freeze_gc:
            gc.unfreeze()

    def on_ready(self) -> None:
        if self.freeze_gc:
            # The first screen is built: its widgets, styles and caches, like the modules frozen in
            # __init__, live as long as the process. Frozen, Python's full collections stop re-scanning
            # them: one full collection took 75-150 ms of a stream's first 0.6 s (the key-wait max), and
            # the first frame spends ~40 ms less in the collector. The price: the few thousand cyclic
            # garbage objects of the start-up stay allocated (about 2,000 objects, measured at Ready).
            gc.freeze()
        from functools import partial

        from ..config.paths import app_paths
        from .warm_up import warm_up

        # the preflight's imports and the write check, off the UI loop before a key asks for them (issue 17)
        self.run_worker(partial(warm_up, self.runner, list(app_paths().writable)), name="warm-up", group="warm-up",
                        thread=True, exit_on_error=False)

    async def on_unmount(self) -> None:
        from ..workflows.offprocess import CANCEL_GRACE, EXIT_WAIT
        from .quitting import remove_signal_handlers

        remove_signal_handlers(getattr(self, "_signals", ()))
        # the run was cancelled as the app left: its end (a preflight's child process ended, or killed after its
        # grace) comes before the lock is given back, so nothing of it outlives the window
        if not await self.runner.wait_ended(CANCEL_GRACE + EXIT_WAIT):
            self.log.warning("the run still had not ended when the app left")
        self.runner.release_cluster_lock()
        if self.demo is not None:
            from .resume import note_demo_end

            note_demo_end(sum(1 for state in self.states.values() if state is StepState.DONE), len(self.steps),
                          self.profile)
        for engine in (self.workflow, self.mc_workflow):
            await close_engine(engine, self.log)

    async def action_quit(self) -> None:
        """Leave; while a step or an operation runs, only once the operator confirmed it (the dialog says what
        runs, where, and what quitting leaves: ``quitting.running_work``). Then the abort is recorded (run log,
        journal, report) and the exit status is 130 (interrupted). The engines' SSH connections are aborted
        rather than closed gracefully (a server that never answers a channel close must not hold the exit:
        field case R33)."""
        from .quitting import running_work

        work = running_work(self)
        if work is None:
            from .unsaved import ask_unsaved

            if not ask_unsaved(self):  # edits the profile file lacks: save, discard or stay (s9 trial N8)
                self._leave()
            return
        from .quit_question import QuitQuestion, ask_quit

        if any(isinstance(screen, QuitQuestion) for screen in self.screen_stack):
            return  # one question at a time, wherever it is on the stack: its answer is the one that counts

        ask_quit(self, work)  # the run holds while it is open, its words follow it (s8 trial, M1)

    def _leave(self, return_code: int = 0) -> None:
        engines = [self.workflow, self.mc_workflow] + [screen.engine for screen in self.operation_screens()]
        for engine in engines:
            if engine is not None and hasattr(engine, "abort"):
                engine.abort()
        from .quit_question import release_all

        release_all(self)  # after the aborts: nothing held is let go on between them and the exit
        self.exit(return_code=return_code)

    def action_switch_cluster(self) -> None:
        """The fleet view of every saved cluster and this one over this app's screens (``fleet_run.open_fleet_here``:
        Escape comes back); in a dialog (a question, a password) the key goes on to the focused widget instead."""
        from textual.actions import SkipAction
        from textual.screen import ModalScreen

        from .fleet_run import open_fleet_here
        from .screens.fleet import FleetScreen

        if isinstance(self.screen, ModalScreen):
            raise SkipAction()
        if isinstance(self.screen, FleetScreen):
            return
        open_fleet_here(self)

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

    def emitter(self, show: Callable[[Event], None],
                lines: Callable[[list[Event]], None] | None = None) -> Callable[[Event], None]:
        """An ``emit`` for an engine whose events ``show`` displays (in order with every engine's, errors logged);
        ``lines`` shows a run of its consecutive output lines at once."""
        return self.inbox.emitter(show, lines)

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

    @property
    def installed(self) -> bool:
        """True once the HA install finished (profile marked installed, or step 9 done here)."""
        return bool(self.profile.installed) or self.wizard.ha_done

    def operation_settings(self) -> Any:
        """Run settings for an operation engine (the same trust files and demo scaling as the install)."""
        return engine_settings(self.profile, self.profile_path, self.demo_speed)

    def operation_screens(self) -> list[OperationScreen]:
        """The operation screens built so far (each is a factory until first shown)."""
        return [screen for name in OPERATIONS if isinstance(screen := self._installed_screens.get(name), OperationScreen)]

    def operation_running(self) -> str | None:
        """The heading of the operation that runs now (None when none does)."""
        return self.runner.operation

    def adopt_profile(self, engine: Any) -> None:
        """Take the profile an operation changed (new version, not installed any more)."""
        before = self.profile
        self._adopt(engine)
        if before.installed and not self.profile.installed:  # uninstalled: the wizard starts again
            self.wizard.reset()
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

    # ---- engine events and the demo's SMS (Textual messages) ------------------------------------
    def on_engine_events(self, _message: EngineEvents) -> None:
        # a slice of the backlog per turn; the rest after what waits on the event loop (keys, repaints)
        if self.inbox.deliver(DELIVER_BUDGET):
            asyncio.get_running_loop().call_soon(self.post_message, EngineEvents())

    def deliver_events(self) -> None:
        """Show the engine events that wait in the inbox now (a run shows its last events before its outcome)."""
        self.inbox.deliver()

    async def drain_events(self) -> None:
        """Show the engine events that wait in the inbox, :data:`DELIVER_BUDGET` seconds of them per turn of the loop
        (a key press waits for one slice, not for the whole backlog)."""
        while self.inbox.deliver(DELIVER_BUDGET):
            await asyncio.sleep(0)

    def show_wizard_lines(self, events: list[Event]) -> None:
        """Show consecutive output lines of the install or Multiconnect engine on the screen of their step."""
        number = self.wizard.target(events[0], self.active_step)
        screen = self._screens.get(number) if number is not None else None
        if screen is not None and screen.is_mounted:
            show = getattr(screen, "show_output_lines", None)
            if show is not None:
                show(events)
            else:
                for event in events:
                    screen.handle_event(event)

    def show_wizard_event(self, event: Event) -> None:
        """Show an event of the install or Multiconnect engine on the screen of its step."""
        number = self.wizard.target(event, self.active_step)
        if isinstance(event, StepFinished) and number is not None:
            self.last_finished[number] = event
            if event.ok and (event.procedure, event.number) in REPORT_AT:
                self._write_report(event.procedure)
        elif isinstance(event, HealthUpdated):
            self.last_verdict = event.verdict
        screen = self._screens.get(number) if number is not None else None
        if screen is not None and screen.is_mounted:
            screen.handle_event(event)

    def _write_report(self, procedure: str) -> None:
        """The install or the Multiconnect change ended: write its report (``workflows.report``) and say where."""
        from ..workflows.report import write_report

        engine = self.workflow if procedure == HA_PROCEDURE else self.mc_workflow
        if engine is None or not hasattr(engine, "record"):
            return
        try:
            path = write_report(engine, "done")
        except OSError as exc:
            self.notify(f"The {procedure} report could not be written: {exc.strerror or exc} ({exc.filename}).",
                        severity="warning")
            return
        if path is not None and path not in self.report_paths:  # a step may report its end twice
            self.report_paths.append(path)
            self.say_report(procedure, path)

    def say_report(self, procedure: str, path: Path) -> None:
        """Say where the report of ``procedure`` (``path``: its report.md) is: the whole path on a line of the step
        screen's own (wrapped, selectable; the messages box showed a scrolled fragment of it, trial s8 M10), else a
        toast with the path."""
        if hasattr(self.screen, "show_report"):  # a step screen: not a toast over its verdict (s7 trial)
            self.screen.show_report(procedure, path)
        else:
            self.notify(f"{path} (and report.json beside it)", title=f"Report of the {procedure}", timeout=12)

    def on_sms_received(self, message: SmsReceived) -> None:
        self.sms_code = message.code
        screen = self._screens.get(self.wizard.position(HA_PROCEDURE, REGISTER_STEP) or 0)
        if screen is not None and screen.is_mounted and hasattr(screen, "show_sms"):
            screen.show_sms(message.phone, message.code)
        if screen is not None and self.screen is screen:
            return  # the step-8 screen shows the code in a line of its own (#sms-hint); a toast covered its hint
        self.notify(f"Demo SMS to +{message.phone.lstrip('+')}: your registration code is {message.code}",
                    title="SMS received", timeout=SMS_TOAST_SECONDS)

    # ---- step states --------------------------------------------------------------------------
    def state(self, number: int) -> StepState:
        """The state of step ``number``."""
        return self.wizard.state(number)

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
    def active_step(self) -> int | None:
        """The wizard step that runs now (None when none does)."""
        return self.runner.step

    @property
    def busy(self) -> bool:
        """True while a step runs."""
        return self.runner.step is not None

    def step_screen(self, number: int) -> StepScreen:
        """The screen of step ``number`` (built on first use)."""
        screen = self._screens.get(number)
        if screen is None:
            screen = self._screens[number] = make_step_screen(self.steps[number - 1])
        return screen

    def step_tag(self, number: int) -> str:
        """``3`` or ``M1``: how the user knows step ``number``."""
        return self.wizard.tag(number)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Safety net: a worker that failed anyway is reported, never raised."""
        if event.state is WorkerState.ERROR:
            self.notify(f"{event.worker.name} failed: {self.mask(str(event.worker.error))}", severity="error")
            step = self.runner.failed(event.worker)
            if step is not None:
                self.finish_step(step, False, str(event.worker.error), "press ctrl+r to retry")

    def action_doctor(self, host: str = "") -> None:
        """Open doctor on ``host`` ("" = every host): ranked causes with their evidence (``run_action("doctor('h')")``)."""
        from .screens.doctor import DoctorScreen

        if self._dialog_on_top():  # over a quit question it would hide it, unanswered (the s8 review, item 2)
            return
        self.push_screen(DoctorScreen(host))

    # ---- command palette -------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from palette_commands(self, super().get_system_commands(screen))
