"""The wizard's view of its steps (the 9 HA steps, then the 4 Multiconnect steps): titles and states."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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
#: The wizard numbers the Multiconnect steps after the HA steps: M1 is wizard step 10.
MC_OFFSET = 9


@dataclass(frozen=True)
class StepTitle:
    """One wizard step (mirrors a workflow ``StepInfo``).

    ``number`` is the wizard-wide number (HA 1-9, Multiconnect 10-13); ``group`` the procedure it
    belongs to; ``seq`` its number inside that procedure (the number its engine emits);
    ``label`` what the step list shows (``3``, ``M1``).
    """

    number: int
    key: str
    title: str
    description: str = ""
    group: str = HA_GROUP
    seq: int = 0
    label: str = ""

    @property
    def tag(self) -> str:
        """The short label: ``label`` or the number."""
        return self.label or str(self.number)

    @property
    def step_in_group(self) -> int:
        """The step's number inside its procedure."""
        return self.seq or self.number


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


def _catalogue(name: str, engine_module: str) -> tuple | None:
    """The engine's step list ``name``: from the light ``workflows.stepinfo`` when it holds it (no
    asyncssh/httpx before the first frame), else from the engine module; None when neither imports."""
    from importlib import import_module

    for module in ("wabiz_tui.workflows.stepinfo", engine_module):
        try:
            found = getattr(import_module(module), name, None)
        except ImportError:  # the engine is optional for widget tests
            continue
        if found is not None:
            return tuple(found)
    return None


def ha_steps() -> tuple[StepTitle, ...]:
    """The 9 HA steps, from the workflow when it is importable, else the seed's titles."""
    HA_STEPS = _catalogue("HA_STEPS", "wabiz_tui.workflows.ha_install")
    if HA_STEPS is None:
        return _FALLBACK
    return tuple(StepTitle(s.number, s.key, s.title, getattr(s, "description", "")) for s in HA_STEPS)


_MC_FALLBACK = (
    ("shards", "Set shards"), ("health", "Health check"), ("add_coreapp", "One more Coreapp"),
    ("health2", "Second health check"),
)


def mc_steps() -> tuple[StepTitle, ...]:
    """The 4 Multiconnect steps, numbered 10-13 in the wizard and labelled M1-M4."""
    MC_STEPS = _catalogue("MC_STEPS", "wabiz_tui.workflows.multiconnect")
    if MC_STEPS is not None:
        raw = [(s.key, s.title, getattr(s, "description", "")) for s in MC_STEPS]
    else:
        raw = [(k, t, "") for k, t in _MC_FALLBACK]
    return tuple(StepTitle(MC_OFFSET + i, key, title, desc, MC_GROUP, i, f"M{i}")
                 for i, (key, title, desc) in enumerate(raw, start=1))


def wizard_steps() -> tuple[StepTitle, ...]:
    """Every step of the wizard: the HA install, then Multiconnect."""
    return ha_steps() + mc_steps()
