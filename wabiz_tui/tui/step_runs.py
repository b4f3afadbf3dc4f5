"""Running the wizard's steps and the tasks inside a step through the app's runner, and showing how they
ended. Mixed into ``WabizApp``, which provides the runner, the wizard state, the engines and the screens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .runner import Outcome, Run
from .steps import HA_PROCEDURE, MC_PROCEDURE, StepState


class StepRuns:
    """Start a wizard step or a task of one (:meth:`start_step`, :meth:`start_task`) and record its outcome."""

    runner: Any
    wizard: Any
    profile: Any
    steps: Any
    last_finished: Any
    declined_keys: dict[str, float]
    workflow: Any
    mc_workflow: Any

    def hold_cluster_lock(self, what: str) -> bool:
        """Take the cluster's lock before the first change to the cluster (:meth:`.Runner.hold_cluster_lock`)."""
        return self.runner.hold_cluster_lock(what)  # type: ignore[no-any-return]

    def start_step(self, number: int, call: Callable[[], Awaitable[Any]] | None = None,
                   hosts: tuple[str, ...] | None = None) -> None:
        """Run step ``number`` (the form was already collected).

        ``call`` is the engine call (default: ``HaInstall.run_step``, or the Multiconnect health steps);
        ``hosts`` the hosts whose panes it fills (default: every host of the profile).
        """
        if self.runner.refusal("step"):
            return
        run_call = call or self._default_call(number)

        async def body() -> bool:
            """Run the engine call; afterwards adopt the HA or Multiconnect engine's state for the step's procedure.
            Returns True when the call returned a truthy value."""
            self.last_finished.pop(number, None)
            ok = bool(await run_call())
            self._adopt(self.workflow if self.wizard.procedure(number) == HA_PROCEDURE else self.mc_workflow)
            return ok

        def ended(outcome: Outcome) -> None:
            """Runner callback: finish the step as passed, failed (the error masked, with its ``next_action``) or
            cancelled, with the engine's summary when it gave one."""
            summary = next_action = ""
            if outcome.cancelled:
                summary, next_action = f"cancelled; {self.runner.take_cancel_words()}", "press ctrl+r to run it again"
            elif outcome.error is not None:
                summary = f"{type(outcome.error).__name__}: {self.mask(str(outcome.error))}"
                next_action = (getattr(outcome.error, "next_action", "")
                               or "check the hosts and the profile, then press ctrl+r to retry")
            elif (finished := self.last_finished.get(number)) is not None:
                summary, next_action = finished.summary, finished.next_action
            self.finish_step(number, outcome.returned and bool(outcome.result), summary, next_action,
                             cancelled=outcome.cancelled)

        self._begin_step(number, Run(f"step {self.step_tag(number)}", ended, step=number), body,
                         tuple(h.external_hostname for h in self.profile.hosts) if hosts is None else hosts)

    def start_task(self, number: int, label: str, call: Callable[[], Awaitable[Any]],
                   done: Callable[[Any], StepState]) -> None:
        """Run ``call()`` (an engine call that is part of step ``number``).

        ``done(result)`` shows the result and returns the step's new state; an exception becomes a
        failed step with the error's ``next_action``.
        """
        if self.runner.refusal("step"):
            return

        def ended(outcome: Outcome) -> None:
            """Runner callback: a cancel or an error fails the step (error masked, with its ``next_action``); otherwise
            ``done(result)`` gives the step's new state (an exception there fails the step too)."""
            exc = outcome.error
            if outcome.cancelled:
                self.finish_step(number, False, f"{label} cancelled", "press ctrl+r to try again", cancelled=True)
                return
            if exc is not None:
                next_action = getattr(exc, "next_action", "") or "check the fields and the Webapp, then press ctrl+r"
                message = getattr(exc, "message", "") or str(exc)
                self.finish_step(number, False, f"{label}: {self.mask(message)}", next_action)
                return
            self.refresh_bindings()  # nothing runs now: ctrl+x leaves the footer
            screen = self.step_screen(number)
            if screen.is_mounted:
                screen.stop_clock()
            try:
                state = done(outcome.result)
            except Exception as error:  # noqa: BLE001
                self.finish_step(number, False, f"{label}: {error!r}", "press ctrl+r to retry")
                return
            self.set_state(number, state)

        self._begin_step(number, Run(label, ended, step=number), call, ())

    def _begin_step(self, number: int, run: Run, body: Callable[[], Awaitable[Any]], hosts: tuple[str, ...]) -> None:
        self.runner.start(run, body)
        self.declined_keys.clear()
        self.set_state(number, StepState.RUNNING)
        self.step_screen(number).step_started(hosts)

    def _default_call(self, number: int) -> Callable[[], Awaitable[Any]]:
        step = self.steps[number - 1]
        if step.procedure == HA_PROCEDURE:
            return lambda: self.ensure_workflow().run_step(step.step_in_group)
        mc = self.ensure_mc_workflow()
        calls = {2: mc.health_served, 4: mc.health_with_standby}
        if step.step_in_group not in calls:
            raise ValueError(f"step {step.tag} runs from its own screen")
        return calls[step.step_in_group]

    def finish_step(self, number: int, ok: bool, summary: str, next_action: str, *, cancelled: bool = False) -> None:
        """Record the outcome of step ``number`` (``cancelled``: stopped by the user) and tell the user."""
        self.set_state(number, StepState.DONE if ok else StepState.CANCELLED if cancelled else StepState.FAILED)
        step = self.steps[number - 1]
        if ok and step.procedure == MC_PROCEDURE:
            from .mc_resume import note_mc_step_done

            note_mc_step_done(self.mc_workflow, step.step_in_group)
        self.refresh_bindings()
        screen = self.step_screen(number)
        if screen.is_mounted:
            screen.step_ended(ok, summary, next_action, cancelled=cancelled)
        if cancelled:
            self.notify(f"Step {self.step_tag(number)} ({self.steps[number - 1].title}) cancelled. {next_action}",
                        severity="warning", title="Step cancelled")
        elif not ok and self.screen is not screen:  # on its own screen the red status line says it: a toast there
            # covered the failed rows' State column (s7 trial)
            self.notify(f"Step {self.step_tag(number)} ({self.steps[number - 1].title}) failed: "
                        f"{summary or 'see the panes'}. "
                        f"{next_action}", severity="error", title="Step failed")
