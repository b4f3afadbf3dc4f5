"""The wizard's view of the 9 HA steps: their titles and the state each one is in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class StepState(str, Enum):
    """Where a wizard step stands, as shown in the step list."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class StepTitle:
    """Number, short key and title of one step (mirrors ``workflows.ha_install.StepInfo``)."""

    number: int
    key: str
    title: str
    description: str = ""


_FALLBACK = (
    StepTitle(1, "workdir", "Working directory"),
    StepTitle(2, "config", "Configuration files"),
    StepTitle(3, "dbenv", "Database (db.env)"),
    StepTitle(4, "media", "Media volume"),
    StepTitle(5, "start", "Start the client"),
    StepTitle(6, "containers", "Check containers"),
    StepTitle(7, "health1", "Health check"),
    StepTitle(8, "register", "Register"),
    StepTitle(9, "health2", "Second health check"),
)


def ha_steps() -> tuple[StepTitle, ...]:
    """The 9 HA steps, from the workflow when it is importable, else the seed's titles."""
    try:
        from ..workflows.ha_install import HA_STEPS
    except ImportError:  # the engine is optional for widget tests
        return _FALLBACK
    return tuple(StepTitle(s.number, s.key, s.title, getattr(s, "description", "")) for s in HA_STEPS)
