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


def last_operation(profile: Any, journals: Any = None) -> dict[str, Any] | None:
    """What the newest journal of the cluster ``profile`` says of its last unfinished operation, as plain JSON
    data: ``{"procedure": "upgrade-2.43.1", "last_done": 2, "aborted": {"step": 3, "title": ..., "reason": ...}}``
    (``aborted`` None when the run was not aborted by the operator, e.g. it failed). None when no journal is left
    (a finished procedure clears its own) or it cannot be read."""
    from ..workflows.journal import Journal

    if journals is None:
        from ..config.paths import app_paths

        journals = app_paths().journals
    try:
        journal = Journal.latest(journals, profile, "")
    except OSError:
        return None
    if journal is None:
        return None
    aborted = journal.aborted()
    keep = ("step", "title", "reason", "procedure")
    return {"procedure": journal.procedure, "last_done": journal.last_done(),
            "aborted": {k: aborted[k] for k in keep if k in aborted} if aborted else None}


def operation_words(procedure: str) -> str:
    """``upgrade-2.43.1`` -> ``upgrade to 2.43.1``, ``multiconnect`` -> ``Multiconnect change`` (a journal's
    procedure as the note names it)."""
    name, _, detail = procedure.partition("-")
    if name == "upgrade" and detail:
        return f"upgrade to {detail}"
    return {"multiconnect": "Multiconnect change"}.get(procedure, procedure or "operation")


def operation_words_of(last: dict[str, Any]) -> str:
    """How the note says where the last operation (:func:`last_operation`) stopped: ``its upgrade to 2.43.1 was
    aborted during step 3 (Upgrade Webapps)`` or ``its uninstall stopped after step 1``."""
    what = operation_words(str(last.get("procedure", "")))
    aborted = last.get("aborted")
    if aborted:
        step = aborted.get("step")
        title = f" ({aborted['title']})" if aborted.get("title") else ""
        return f"its {what} was aborted during step {step}{title}" if step else f"its {what} was aborted"
    done = int(last.get("last_done") or 0)
    return f"its {what} stopped after step {done}" if done else f"its {what} stopped before any step finished"


def note_demo_end(steps_done: int, total: int, profile: Any = None) -> None:
    """Record, when a demo ends, how far its wizard got (``steps_done`` of ``total`` steps) and what the demo
    cluster's journal says of its last unfinished operation (``profile``: the demo's cluster; an upgrade aborted
    after the 13 wizard steps must not read as a demo that simply ended after 13 of 13 steps, s7 trial): the next
    demo says that it cannot continue it. A state directory that cannot be written loses only this note."""
    import json
    import time

    from ..config.atomic import write_atomic

    last = last_operation(profile) if profile is not None else None
    try:
        write_atomic(_demo_mark(), json.dumps({"ended": time.time(), "steps_done": steps_done, "total": total,
                                               "last_operation": last}), mode=0o600)
    except OSError:
        pass


def earlier_demo_note() -> str | None:
    """What a new demo says when an earlier one ran: how far it got (its wizard's steps, and from its journal
    the operation it left unfinished: aborted, at which step), that its simulated cluster stopped with it, so
    this demo is a new cluster at step 1 (None when no earlier demo left a note)."""
    import json
    import time

    try:
        mark = json.loads(_demo_mark().read_text(encoding="utf-8"))
        ended, done, total = float(mark["ended"]), int(mark["steps_done"]), int(mark["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    when = time.strftime("%H:%M on %d %b", time.localtime(ended))
    reached = f"its wizard had finished {done} of {total} steps" if done else "its wizard had finished no step"
    last = mark.get("last_operation")
    if isinstance(last, dict):
        reached = f"{operation_words_of(last)} ({reached})"
    return (f"The earlier demo ended at {when}: {reached}; its simulated cluster stopped with it and cannot be "
            "continued. This demo is a new cluster: the wizard starts at step 1.")
