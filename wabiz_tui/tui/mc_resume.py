"""Resume a Multiconnect change after an interruption (a quit, a signal, a crash during M1-M4; issue 17).

The wizard runs M1-M4 with a journal of their own: each step that ends well is recorded, an abort too
(``workflows.report.record_abort``), and M4's success clears it. The wizard opened again on an installed cluster
continues at the first M-step the journal does not record as done, and says so. Each M-step checks the cluster
again when it runs (M1 reads the shards the cluster has, M3 re-checks its host, M2/M4 poll the health), so the
journal is a hint of where to continue, never a proof.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..domain.model import ClusterProfile
from .resume import ResumePoint

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


class McResumePoint(ResumePoint):
    """A :class:`~.resume.ResumePoint` of Multiconnect: ``first`` and ``last_done`` are M-step numbers (1-4)."""

    WHAT = "Multiconnect change"
    ON_RESUME = "each step checks the cluster again when it runs."

    def step_name(self, number: int, procedure: str = "") -> str:
        """``M3``."""
        return f"M{number}"


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
