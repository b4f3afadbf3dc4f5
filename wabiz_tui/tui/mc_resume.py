"""Resume a Multiconnect change after an interruption (a quit, a signal, a crash during M1-M4; issue 17).

The wizard runs M1-M4 with a journal of their own: each step that ends well is recorded, an abort too
(``workflows.report.record_abort``), and M4's success clears it. The wizard opened again on an installed cluster
continues at the first M-step the journal does not record as done, and says so. Each M-step checks the cluster
again when it runs (M1 reads the shards the cluster has, M3 re-checks its host, M2/M4 poll the health), so the
journal is a hint of where to continue, never a proof.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..domain.model import ClusterProfile

#: The journal's procedure name (its file: ``<cluster>-<digest>-multiconnect.json`` in the journals directory).
PROCEDURE = "multiconnect"
#: Multiconnect's steps M1-M4.
MC_STEPS = 4


def multiconnect_journal(profile: ClusterProfile) -> Any:
    """The Multiconnect journal of this cluster. Keyed by the cluster's name and its Webapp API URL, not by its hosts
    (the install journal's key): M3 adds a host, and the journal must stay the same file across it."""
    from ..config.paths import app_paths
    from ..workflows.journal import Journal

    digest = hashlib.sha256(str(profile.webapp.url).encode()).hexdigest()[:10]
    return Journal.for_profile(app_paths().journals, f"{profile.name}-{digest}", PROCEDURE)


@dataclass(frozen=True)
class McResumePoint:
    """``first``: the M-step to continue at (1-4); ``last_done`` the highest M-step recorded done; ``aborted`` the
    abort record when the earlier run was aborted (``Journal.aborted``), else None."""

    first: int
    last_done: int
    aborted: dict[str, Any] | None = None

    @property
    def note(self) -> str:
        """The line the wizard shows when it opens on an interrupted Multiconnect change."""
        how = "stopped"
        if self.aborted:
            step = self.aborted.get("step")
            during = f" during M{step}" if step else ""
            how = f"was aborted{during} ({self.aborted.get('reason', 'by the operator')}) and stopped"
        after = f"after M{self.last_done}" if self.last_done else "before M1 finished"
        return (f"An earlier Multiconnect change {how} {after}; the wizard continues at M{self.first} (each step "
                "checks the cluster again when it runs).")


def mc_resume_point(journal: Any) -> McResumePoint | None:
    """Where to continue the Multiconnect change ``journal`` describes (None: nothing recorded)."""
    if journal is None:
        return None
    aborted = journal.aborted()
    if not journal.exists and aborted is None:
        return None
    done = [n for n in range(1, MC_STEPS + 1) if journal.is_done(n)]
    last = max(done, default=0)
    if last <= 0 and aborted is None:
        return None
    return McResumePoint(min(last + 1, MC_STEPS), last, aborted)


def read_mc_resume_point(profile: ClusterProfile) -> McResumePoint | None:
    """The resume point of ``profile``'s Multiconnect change; None on any problem reading the journal."""
    try:
        return mc_resume_point(multiconnect_journal(profile))
    except Exception:  # noqa: BLE001 - a broken journal must never stop the wizard from opening
        return None


def note_mc_step_done(engine: Any, step_in_group: int) -> None:
    """Record that M-step ``step_in_group`` ended well in ``engine``'s journal; M4 (the last) clears it: the change
    is complete, nothing is left to resume. A local disk problem only loses the hint."""
    journal = getattr(getattr(engine, "settings", None), "journal", None)
    if journal is None:
        return
    try:
        if step_in_group >= MC_STEPS:
            journal.clear()
        else:
            journal.step_done(step_in_group)
    except OSError:
        pass
