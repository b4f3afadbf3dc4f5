"""Which screen class shows which wizard step, by (procedure, step key).

A step's screen module is imported when the step is first shown, not when the app starts.
"""

from __future__ import annotations

from .. import steps
from ..steps import StepTitle
from .base import StepScreen


def screen_class(step: StepTitle) -> type[StepScreen]:
    """The screen class of ``step`` (the plain frame for a step without a screen of its own)."""
    match (step.procedure, step.key):
        case (steps.HA_PROCEDURE, "directory"):
            from .hosts import HostsScreen as screen
        case (steps.HA_PROCEDURE, "files"):
            from .review import ReviewScreen as screen
        case (steps.HA_PROCEDURE, "db_env"):
            from .db import DbScreen as screen
        case (steps.HA_PROCEDURE, "media"):
            from .media import MediaScreen as screen
        case (steps.HA_PROCEDURE, "start"):
            from .start import StartScreen as screen
        case (steps.HA_PROCEDURE, "containers"):
            from .run import RunScreen as screen
        case (steps.HA_PROCEDURE, "health" | "health2"):
            from .health import HealthScreen as screen
        case (steps.HA_PROCEDURE, "register"):
            from .register import RegisterScreen as screen
        case (steps.MC_PROCEDURE, "shards"):
            from .multiconnect import ShardsScreen as screen
        case (steps.MC_PROCEDURE, "health" | "health2"):
            from .multiconnect import McHealthScreen as screen
        case (steps.MC_PROCEDURE, "add_coreapp"):
            from .multiconnect import AddCoreappScreen as screen
        case _:
            return StepScreen
    return screen  # type: ignore[no-any-return]


def make_step_screen(step: StepTitle) -> StepScreen:
    """A new screen for ``step``."""
    return screen_class(step)(step)
