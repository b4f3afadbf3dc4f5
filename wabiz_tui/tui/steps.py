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
    #: Not run: a check before it (the preflight of step 5) refused to let it start.
    BLOCKED = "blocked"


#: Group names shown in the step list.
HA_GROUP = "HA install"
MC_GROUP = "Multiconnect"
#: The procedures of the wizard's steps, as their engines name them in ``StepStarted.procedure``.
HA_PROCEDURE = "install"
MC_PROCEDURE = "multiconnect"


#: Shorter names for the step list (sidebar) when a step's whole title does not fit: step key → (short, tiny).
#: ``short`` fits the 120-column sidebar with the state word (17 characters), ``tiny`` the 80-column one (8).
SHORT_TITLES: dict[str, tuple[str, str]] = {
    "directory": ("Working directory", "Work dir"),
    "files": ("Config files", "Files"),
    "db_env": ("Database (db.env)", "db.env"),
    "media": ("Media volume", "Media"),
    "start": ("Start the client", "Start"),
    "containers": ("Containers up", "Running"),
    "health": ("Health check", "Health"),
    "register": ("Register", "Register"),
    "health2": ("Health check 2", "Health 2"),
    "shards": ("Set shards", "Shards"),
    "add_coreapp": ("One more Coreapp", "+Coreapp"),
}


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

    def names(self) -> tuple[str, ...]:
        """The step's names, longest first: its title, then the short ones of :data:`SHORT_TITLES`."""
        return (self.title, *SHORT_TITLES.get(self.key, ()))

    def name_within(self, width: int) -> str:
        """The longest of :meth:`names` that fits ``width`` characters; the shortest cut with ``…`` when none fits."""
        for name in self.names():
            if len(name) <= width:
                return name
        shortest = self.names()[-1]
        return shortest[: max(0, width - 1)] + "…" if width > 0 else ""

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
