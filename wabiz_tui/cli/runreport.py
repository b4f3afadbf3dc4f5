"""What the headless procedures share at their end: the run's report (:func:`print_report`) and, when the run
is interrupted (Ctrl-C, SIGTERM), the abort record and the words that say how to continue (:func:`run_recorded`).
Every procedure command (install, upgrade, dbupgrade, multiconnect, uninstall, logs, demo --headless) ends the
same way; ``main`` then answers 130 (``Exit.INTERRUPTED``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


async def run_recorded(wf: Any, work: Awaitable[T], continue_with: str) -> T:
    """Await ``work`` (the run of procedure ``wf``) through :func:`workflows.report.recorded`; when it is
    interrupted, print the abort line, where it is recorded and ``continue_with`` (e.g. "continue with:
    wabiz-tui install demo --yes"), then raise the interruption again (``main`` answers 130)."""
    from ..workflows.report import recorded

    try:
        return await recorded(wf, work)
    except (asyncio.CancelledError, KeyboardInterrupt):
        aborted = wf.record.aborted or {}
        where = "the run log and the journal" if wf.settings.journal is not None else "the run log"
        report = f" and the report {wf.record.report_path}" if wf.record.report_path else ""
        print(f"{aborted.get('line', 'ABORTED')}\n  recorded in {where}{report}; {continue_with}", flush=True)
        raise


def print_report(wf: Any, outcome: bool | str, extra: dict | None = None) -> None:
    """Write the run's report (``workflows.report``; ``outcome`` True "done", False "failed", or the words) and
    print where; a local problem is said, never raised."""
    from ..workflows.report import write_report

    try:
        path = write_report(wf, outcome if isinstance(outcome, str) else "done" if outcome else "failed", extra)
    except OSError as exc:
        print(f"the report could not be written: {exc.strerror or exc} ({exc.filename})", flush=True)
        return
    if path is not None:
        print(f"report: {path} (and {path.with_suffix('.json').name} beside it)", flush=True)
