"""The app's key actions: wizard navigation, the monitor and operation screens, panes (follow, save), theme.

Mixed into ``WabizApp`` (which provides the steps, their states and screens); ``check_action`` decides
which keys the footer shows on which screen.
"""

from __future__ import annotations

import time
from typing import Any

from .screens.base import StepScreen
from .screens.operation import OperationScreen
from .screens.operations import OPERATIONS as OPERATION_NAMES
from .steps import StepState
from .widgets.host_log import MAX_HISTORY, HostLogPane


class KeyActions:
    """Actions bound to keys and palette entries (see ``WabizApp.BINDINGS``)."""

    #: Actions that move through the wizard (shown on wizard steps only).
    STEP_ACTIONS = frozenset({"next_step", "back"})
    #: Actions on a screen with host panes or a run (wizard steps and operations; hidden on the monitor).
    RUN_ACTIONS = frozenset({"run_step", "toggle_follow", "save_logs"})

    app: Any
    screen: Any
    current: int
    busy: bool
    runner: Any
    log_dir: Any
    saved_logs: list

    # ---- navigation ------------------------------------------------------------------------------
    def goto_step(self, number: int) -> None:
        """Show step ``number``; refused while a dialog is on top (the palette works over one: a step swapped in over
        a quit question would drop it unanswered)."""
        if not 1 <= number <= len(self.steps) or (number == self.current and self.screen.name == f"step{number}"):
            return
        if self._dialog_on_top():
            return
        if self.busy and number != self.current:
            self.notify(f"Step {self.step_tag(self.active_step or 0)} is running; you can move once it finishes.",
                        severity="warning")
            return
        self.current = number
        self.switch_screen(f"step{number}")

    def action_toggle_monitor(self) -> None:
        """Switch between the health monitor and the wizard's current step."""
        if self.screen.name == "monitor":
            self.switch_screen(f"step{self.current}")
        elif self._main_screen_shown():
            self.switch_screen("monitor")
        else:  # a modal is open: leave it alone
            self.notify("Close this dialog first.", severity="warning")

    def _dialog_on_top(self) -> bool:
        """True (and the operator told to answer it first) when a dialog (a ``ModalScreen``) is on screen."""
        from textual.screen import ModalScreen

        if isinstance(self.screen, ModalScreen):
            self.app.notify("Close this dialog first.", severity="warning")
            return True
        return False

    def _main_screen_shown(self) -> bool:
        """True when a wizard step, the monitor or an operation is on screen (no dialog on top)."""
        screen = self.screen
        return isinstance(screen, (StepScreen, OperationScreen)) or screen.name == "monitor"

    def action_show_monitor(self) -> None:
        """Show the health monitor."""
        if self.screen.name != "monitor":
            self.action_toggle_monitor()

    # ---- which keys apply where -------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Textual's dynamic-action check (True: key shown and enabled, False: hidden and disabled; Textual's
        ``DOMNode.check_action``): the demo's fault keys only in the demo and on the monitor, ``cancel_step`` only while
        a step or an operation runs, Next/Back only on wizard steps, run/follow/save everywhere but on the monitor; else
        True."""
        if action in self.DEMO_ACTIONS:  # demo only, and on the monitor, where the effect shows
            try:
                on_monitor = self.screen.name == "monitor"
            except Exception:  # noqa: BLE001 - no screen yet (textual raises its own ScreenStackError)
                on_monitor = False
            return self.faults is not None and on_monitor
        if action == "cancel_step":  # shown only while something runs
            return self.busy or self.operation_running() is not None
        if action in self.STEP_ACTIONS or action in self.RUN_ACTIONS:
            try:
                screen = self.screen
            except Exception:  # noqa: BLE001 - no screen yet
                return True
            if action in self.STEP_ACTIONS:
                return isinstance(screen, StepScreen)
            return screen.name != "monitor"
        return True

    # ---- operations ------------------------------------------------------------------------------
    def show_operation(self, name: str) -> None:
        """Show the operation screen ``name`` (``upgrade``, ``logs``, ``uninstall``)."""
        if self.screen.name == name:
            return
        if not self._main_screen_shown():
            self.notify("Close this dialog first.", severity="warning")
            return
        # where Escape goes back to (s8 trial C5: opened from the monitor, it said "esc back to the wizard");
        # from another operation, where that one came from
        shown = self.screen.name
        if shown == "monitor" or shown in OPERATION_NAMES:
            self.operation_from = "monitor" if shown == "monitor" else getattr(self, "operation_from", "wizard")
        else:
            self.operation_from = "wizard"
        self.switch_screen(name)

    def action_operation(self, name: str) -> None:
        """F3/F4/F9: open the operation, or go back where it was opened from when it is already on screen."""
        if self.screen.name == name:
            self.screen.action_leave()  # type: ignore[attr-defined]
        else:
            self.show_operation(name)

    def _switching(self) -> bool:
        """True while a step screen is shown but not yet built and resumed (keys then do nothing)."""
        screen = self.screen
        return isinstance(screen, StepScreen) and (not screen.ready or screen.number != self.current)

    async def action_next_step(self) -> None:
        """Next: runs the step when it is not done yet, otherwise moves to the next step."""
        if self._switching():
            return
        if self.busy:
            self.notify(f"Step {self.step_tag(self.active_step or 0)} is running…", severity="warning")
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
        if self._switching():
            return
        if self.busy:
            self.notify(f"Step {self.step_tag(self.active_step or 0)} is running…", severity="warning")
            return
        screen = self.screen
        if isinstance(screen, (StepScreen, OperationScreen)):
            await screen.primary_action()

    def action_cancel_step(self) -> None:
        """Cancel the running step (or operation): its tasks are cancelled, which stops the remote
        commands it started (their channels are closed: remote.run), and it is shown as cancelled. Refused while a
        dialog is on top (the quit question holds the run: answering it decides; s8 trial 2 N3). What was in
        flight is noted first (``runner.cancel_words``) so the cancelled line says what was really cut."""
        if self._dialog_on_top():
            return
        from .quitting import cancel_words, running_work

        work = running_work(self)
        words = cancel_words(work.commands if work is not None else None)
        if self.runner.cancel(words):
            return
        self.notify("Nothing is running.", severity="information")

    def action_toggle_follow(self) -> None:
        """Pause or resume following in the host panes of this step."""
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
        """Save every host pane of this screen to a file under :attr:`log_dir` (the app's state directory)."""
        panes = list(self.screen.query(HostLogPane))
        if not panes:
            self.notify("This screen has no log panes to save.")
            return
        prefix = getattr(self.screen, "log_prefix", f"step{self.current}")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        try:
            paths = [pane.save(self.log_dir, f"{prefix}-{stamp}") for pane in panes]
        except OSError as exc:
            self.notify(f"Could not save logs in {self.log_dir}: {exc}. Check the directory permissions.",
                        severity="error")
            return
        self.saved_logs.extend(paths)
        names = ", ".join(p.name for p in paths)
        from ..config.paths import app_paths

        self.notify(f"Saved {len(paths)} log(s) in {self.log_dir}: {names} (the last {MAX_HISTORY:,} lines per host; "
                    f"the full output of every run is in {app_paths().logs})", title="Logs saved", timeout=15)

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

