"""Which screen class shows which wizard step (HA 1-9, Multiconnect M1-M4 = 10-13)."""

from __future__ import annotations

from ..steps import StepTitle
from .base import StepScreen
from .db import DbScreen
from .health import HealthScreen
from .hosts import HostsScreen
from .media import MediaScreen
from .multiconnect import AddCoreappScreen, McHealthScreen, ShardsScreen
from .register import RegisterScreen
from .review import ReviewScreen
from .run import RunScreen

_BY_NUMBER: dict[int, type[StepScreen]] = {1: HostsScreen, 2: ReviewScreen, 3: DbScreen, 4: MediaScreen,
                                           5: RunScreen, 6: RunScreen, 7: HealthScreen, 8: RegisterScreen,
                                           9: HealthScreen, 10: ShardsScreen, 11: McHealthScreen,
                                           12: AddCoreappScreen, 13: McHealthScreen}


def make_step_screen(step: StepTitle) -> StepScreen:
    """A new screen for ``step``."""
    return _BY_NUMBER.get(step.number, StepScreen)(step)
