"""The wizard's state as plain data (no Textual): its steps, where each stands, which one is on screen and
which one runs, and what the engines last said about them.

A wizard step is known to the engines as (procedure, step number in that procedure): ``("install", 3)``,
``("multiconnect", 1)``. The wizard shows them in one list and numbers them by position (1-9 the HA
install, 10-13 Multiconnect M1-M4); :meth:`WizardState.position` turns the engines' pair into that
position by looking it up, never by arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.model import ClusterProfile
from ..workflows.events import StepFinished, StepStarted
from .resume import read_resume_point
from .steps import HA_PROCEDURE, MC_PROCEDURE, StepState, StepTitle, wizard_steps


@dataclass
class WizardState:
    """Where the wizard stands. ``states`` and ``last_finished`` are keyed by position (1-based).

    ``current`` is the step on screen (the one running is the runner's: ``Runner.step``), ``last_finished`` the last ``StepFinished`` of each step, ``last_verdict`` the last health verdict any
    engine reported, ``sms_code`` the last demo "SMS" code, ``resumed`` where an interrupted install stopped.
    """

    steps: tuple[StepTitle, ...] = field(default_factory=wizard_steps)
    states: dict[int, StepState] = field(default_factory=dict)
    current: int = 1
    last_finished: dict[int, StepFinished] = field(default_factory=dict)
    last_verdict: Any = None
    sms_code: str = ""
    resumed: Any = None  # a ResumePoint (install) or an mc_resume.McResumePoint

    def __post_init__(self) -> None:
        self.states = {s.number: self.states.get(s.number, StepState.PENDING) for s in self.steps}
        self._positions = {(s.procedure, s.step_in_group): s.number for s in self.steps}

    @classmethod
    def for_profile(cls, profile: ClusterProfile) -> WizardState:
        """The wizard at its start on ``profile``: Multiconnect next when the HA install is behind us, else
        the first step an interrupted install (its journal) has not finished, else step 1."""
        wizard = cls()
        if profile.installed:
            from .mc_resume import read_mc_resume_point

            wizard.mark_done(s.number for s in wizard.steps if s.procedure == HA_PROCEDURE)
            wizard.current = wizard.first_of(MC_PROCEDURE)
            point = read_mc_resume_point(profile)
            if point is not None:  # an interrupted Multiconnect change: continue at its first unfinished M-step
                wizard.mark_done(range(wizard.current, wizard.current + point.first - 1))
                wizard.current += point.first - 1
                wizard.resumed = point
            return wizard
        wizard.resumed = read_resume_point(profile)
        if wizard.resumed is not None:
            wizard.mark_done(range(1, wizard.resumed.first))
            wizard.current = wizard.resumed.first
        return wizard

    def mark_done(self, positions: Any) -> None:
        """Mark the steps at ``positions`` done."""
        for number in positions:
            self.states[number] = StepState.DONE

    def reset(self) -> None:
        """Every step pending again, step 1 on screen (the cluster was uninstalled)."""
        for number in self.states:
            self.states[number] = StepState.PENDING
        self.current = 1

    def position(self, procedure: str, number: int) -> int | None:
        """The wizard position of step ``number`` of ``procedure`` (None when the wizard has no such step)."""
        return self._positions.get((procedure, number))

    def first_of(self, procedure: str) -> int:
        """The position of the first step of ``procedure``."""
        return min(s.number for s in self.steps if s.procedure == procedure)

    def last_of(self, procedure: str) -> int:
        """The position of the last step of ``procedure``."""
        return max(s.number for s in self.steps if s.procedure == procedure)

    def step(self, number: int) -> StepTitle:
        """The step at position ``number``."""
        return self.steps[number - 1]

    def procedure(self, number: int) -> str:
        """The procedure step ``number`` belongs to (``install`` or ``multiconnect``)."""
        return self.step(number).procedure

    def state(self, number: int) -> StepState:
        """The state of step ``number``."""
        return self.states.get(number, StepState.PENDING)

    def tag(self, number: int) -> str:
        """``3`` or ``M1``: how the user knows step ``number``."""
        return self.steps[number - 1].tag if 1 <= number <= len(self.steps) else str(number)

    @property
    def ha_done(self) -> bool:
        """True once the last HA step finished in this wizard."""
        return self.state(self.last_of(HA_PROCEDURE)) is StepState.DONE

    def target(self, event: Any, running: int | None) -> int | None:
        """The position whose screen shows ``event``: the step a ``StepStarted``/``StepFinished`` names (None
        when the wizard has no such step), else the step ``running``, else the one on screen."""
        if isinstance(event, (StepStarted, StepFinished)):
            return self.position(event.procedure, event.number)
        return running or self.current
