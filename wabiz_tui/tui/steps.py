"""The wizard's view of its steps (the 9 HA steps, then the 4 Multiconnect steps): titles and states."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..workflows.stepinfo import HA_STEPS, MC_STEPS


class StepState(str, Enum):
    """Where a wizard step stands, as shown in the step list."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Group names shown in the step list.
HA_GROUP = "HA install"
MC_GROUP = "Multiconnect"
#: The procedures of the wizard's steps, as their engines name them in ``StepStarted.procedure``.
HA_PROCEDURE = "install"
MC_PROCEDURE = "multiconnect"


@dataclass(frozen=True)
class StepTitle:
    """One wizard step (mirrors a workflow ``StepInfo``).

    ``number`` is the step's position in the wizard (HA 1-9, Multiconnect 10-13); ``procedure`` the
    engine's procedure it belongs to and ``seq`` its number there (the number its engine emits);
    ``group`` what the step list calls the procedure; ``label`` what the step list shows (``3``, ``M1``).
    """

    number: int
    key: str
    title: str
    description: str = ""
    group: str = HA_GROUP
    seq: int = 0
    label: str = ""
    procedure: str = HA_PROCEDURE

    @property
    def tag(self) -> str:
        """The short label: ``label`` or the number."""
        return self.label or str(self.number)

    @property
    def step_in_group(self) -> int:
        """The step's number inside its procedure."""
        return self.seq or self.number


def wizard_steps() -> tuple[StepTitle, ...]:
    """Every step of the wizard, numbered by position: the HA install (1-9), then Multiconnect (M1-M4)."""
    ha = tuple(StepTitle(s.number, s.key, s.title, s.description, HA_GROUP, s.number, "", HA_PROCEDURE)
               for s in HA_STEPS)
    mc = tuple(StepTitle(len(ha) + i, s.key, s.title, s.description, MC_GROUP, s.number, f"M{s.number}", MC_PROCEDURE)
               for i, s in enumerate(MC_STEPS, start=1))
    return ha + mc
