"""Which screen class shows which wizard step (HA 1-9, Multiconnect M1-M4 = 10-13).

A step's screen module is imported when the step is first shown, not when the app starts.
"""

from __future__ import annotations

from importlib import import_module

from ..steps import StepTitle
from .base import StepScreen

_BY_NUMBER: dict[int, tuple[str, str]] = {
    1: (".hosts", "HostsScreen"), 2: (".review", "ReviewScreen"), 3: (".db", "DbScreen"),
    4: (".media", "MediaScreen"), 5: (".start", "StartScreen"), 6: (".run", "RunScreen"),
    7: (".health", "HealthScreen"), 8: (".register", "RegisterScreen"), 9: (".health", "HealthScreen"),
    10: (".multiconnect", "ShardsScreen"), 11: (".multiconnect", "McHealthScreen"),
    12: (".multiconnect", "AddCoreappScreen"), 13: (".multiconnect", "McHealthScreen")}


def screen_class(number: int) -> type[StepScreen]:
    """The screen class of wizard step ``number``."""
    found = _BY_NUMBER.get(number)
    if found is None:
        return StepScreen
    module, cls = found
    return getattr(import_module(module, __package__), cls)


def make_step_screen(step: StepTitle) -> StepScreen:
    """A new screen for ``step``."""
    return screen_class(step.number)(step)
