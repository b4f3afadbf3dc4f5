"""Resume after an interruption: where the install journal says an earlier wizard run stopped.

The journal is only a hint: the engine re-checks on the hosts what it lists as finished and skips
it only when it is still in place (``Procedure._on_hosts`` with ``settings.journal``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

#: The HA install's wizard steps (1-9).
HA_STEP_NUMBERS = range(1, 10)


@dataclass(frozen=True)
class ResumePoint:
    """``first``: the step to continue at; ``last_done``: the highest step the journal records as finished."""

    first: int
    last_done: int
    #: the abort record when the earlier run was aborted by the operator (``Journal.aborted``), else None
    aborted: dict[str, Any] | None = None

    #: what was interrupted, and what resuming does, in the note
    WHAT: ClassVar[str] = "install"
    ON_RESUME: ClassVar[str] = "finished hosts are re-checked and skipped."

    def step_name(self, number: int, procedure: str = "") -> str:
        """How the note names step ``number`` (of ``procedure`` when the abort record names one)."""
        return f"{procedure} step {number}" if procedure else f"step {number}"

    @property
    def note(self) -> str:
        """The line the wizard shows when it opens on an interrupted run."""
        how = "stopped"
        if self.aborted:
            step = self.aborted.get("step")
            during = f" during {self.step_name(step, self.aborted.get('procedure', self.WHAT))}" if step else ""
            how = f"was aborted{during} ({self.aborted.get('reason', 'by the operator')}) and stopped"
        after = f"after {self.step_name(self.last_done)}" if self.last_done else "before any step finished"
        return f"An earlier {self.WHAT} {how} {after}; {self.ON_RESUME} The wizard continues at {self.step_name(self.first)}."


def resume_point(journal: Any) -> ResumePoint | None:
    """Where to resume the install ``journal`` describes (None: no earlier run, or nothing finished and no abort
    recorded)."""
    if journal is None:
        return None
    aborted = journal.aborted()
    if not journal.exists and aborted is None:
        return None
    last = journal.last_done()
    if last <= 0 and aborted is None:  # an abort is said even before the first step finished
        return None
    # the wizard runs the steps in order: the step after the last finished one is where it stopped
    # (a step with nothing to record, like a named media volume, may be missing below it)
    return ResumePoint(min(last + 1, max(HA_STEP_NUMBERS)), last, aborted)


def read_resume_point(profile) -> ResumePoint | None:
    """The resume point of the cluster ``profile``; None on any problem reading the journal."""
    from .engine import install_journal

    try:
        return resume_point(install_journal(profile))
    except Exception:  # noqa: BLE001 - a broken journal must never stop the wizard from opening
        return None


# ---- the demo (issue 17, defect 10) -----------------------------------------------------------------
#: File in the state directory where the last demo left a word of how far it got.
DEMO_MARK = "demo-last.json"


def _demo_mark():
    from ..config.paths import app_paths

    return app_paths().state / DEMO_MARK


def note_demo_end(steps_done: int, total: int) -> None:
    """Record, when a demo ends, how far its wizard got (``steps_done`` of ``total`` steps): the next demo says
    that it cannot continue it. A state directory that cannot be written loses only this note."""
    import json
    import time

    from ..config.atomic import write_atomic

    try:
        write_atomic(_demo_mark(), json.dumps({"ended": time.time(), "steps_done": steps_done, "total": total}),
                     mode=0o600)
    except OSError:
        pass


def earlier_demo_note() -> str | None:
    """What a new demo says when an earlier one ran: its simulated cluster stopped with it, so this demo is a new
    cluster at step 1 (None when no earlier demo left a note)."""
    import json
    import time

    try:
        mark = json.loads(_demo_mark().read_text(encoding="utf-8"))
        ended, done, total = float(mark["ended"]), int(mark["steps_done"]), int(mark["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    when = time.strftime("%H:%M on %d %b", time.localtime(ended))
    reached = f"after {done} of {total} steps" if done else "before its first step finished"
    return (f"The earlier demo ended at {when}, {reached}; its simulated cluster stopped with it and cannot be "
            "continued. This demo is a new cluster: the wizard starts at step 1.")
