"""Resume after an interruption: where the install journal says an earlier wizard run stopped.

The journal is only a hint: the engine re-checks on the hosts what it lists as finished and skips
it only when it is still in place (``Procedure._on_hosts`` with ``settings.journal``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The HA install's wizard steps (1-9).
HA_STEP_NUMBERS = range(1, 10)


@dataclass(frozen=True)
class ResumePoint:
    """``first``: the step to continue at; ``last_done``: the highest step the journal records as finished."""

    first: int
    last_done: int

    @property
    def note(self) -> str:
        """The line the wizard shows when it opens on an interrupted install."""
        return (f"An earlier install stopped after step {self.last_done}; finished hosts are re-checked and "
                f"skipped. The wizard continues at step {self.first}.")


def resume_point(journal: Any) -> ResumePoint | None:
    """Where to resume the install ``journal`` describes (None: no earlier run, or nothing finished)."""
    if journal is None or not journal.exists:
        return None
    last = journal.last_done()
    if last <= 0:
        return None
    # the wizard runs the steps in order: the step after the last finished one is where it stopped
    # (a step with nothing to record, like a named media volume, may be missing below it)
    return ResumePoint(min(last + 1, max(HA_STEP_NUMBERS)), last)


def read_resume_point(profile) -> ResumePoint | None:
    """The resume point of the cluster ``profile``; None on any problem reading the journal."""
    from .engine import install_journal

    try:
        return resume_point(install_journal(profile))
    except Exception:  # noqa: BLE001 - a broken journal must never stop the wizard from opening
        return None
