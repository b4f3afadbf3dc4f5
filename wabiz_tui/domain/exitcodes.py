"""The one table of exit codes for every command (design.md §11), documented in the README.

Every command answers with :class:`Exit`; ``health`` keeps the monitoring-plugin convention that cron
and Nagios-style agents read (:class:`HealthExit`: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), so its bad
input and any check that could not run answer UNKNOWN, never CRITICAL. Source of that convention: the
Monitoring Plugins Development Guidelines, "Plugin Return Codes" (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class Exit(IntEnum):
    """Exit codes of every command but ``health``."""

    OK = 0
    #: the procedure failed, or the cluster did not end healthy
    FAILED = 1
    #: bad input: the profile, a flag, a value (nothing was contacted)
    BAD_INPUT = 2
    #: the check or the procedure could not run (a local problem: state directory full or read-only, ...)
    CANNOT_CHECK = 3
    #: refused by a guard: a confirmation is missing (--yes, --confirm-name), another process works on the
    #: cluster (the lock), the number is registered by another profile, the profile changed meanwhile
    REFUSED = 4
    #: stopped to wait for the operator: the registration code (run again with --code)
    NEEDS_INPUT = 5
    #: ``doctor`` found at least one cause (0: it found nothing wrong)
    CAUSES_FOUND = 6
    #: interrupted (Ctrl-C, SIGTERM, a quit confirmed in the TUI mid-run); the abort is in the run log and the
    #: journal, and a procedure with a journal resumes when run again
    INTERRUPTED = 130


class HealthExit(IntEnum):
    """``health``: the monitoring-plugin convention."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


#: a poll's reading (``workflows.observe.reading``: one function for ``health``, the exporter and the fleet) ->
#: its ``health`` code
READING_EXIT = {"healthy": HealthExit.OK, "degraded": HealthExit.WARNING, "failing": HealthExit.CRITICAL,
                "unknown": HealthExit.UNKNOWN, "not_installed": HealthExit.OK}

#: ``health`` codes from the least to the most severe: over many clusters the worst one answers (a failing
#: cluster is what must page; a profile that cannot be checked must not hide it). The aggregation of check_multi:
#: "the child return code with the highest severity becomes the parent (check_multi) plugin return code".
HEALTH_SEVERITY = (HealthExit.OK, HealthExit.UNKNOWN, HealthExit.WARNING, HealthExit.CRITICAL)


def worst_health(codes: Iterable[int]) -> HealthExit:
    """The most severe of ``codes`` (:data:`HEALTH_SEVERITY`); OK for none."""
    return max((HealthExit(c) for c in codes), key=HEALTH_SEVERITY.index, default=HealthExit.OK)


#: (code, name, meaning) rows of the README's table, in order.
TABLE: tuple[tuple[int, str, str], ...] = (
    (Exit.OK, "ok", "done; the cluster is as asked"),
    (Exit.FAILED, "failed", "a step or check failed, or the cluster did not end healthy"),
    (Exit.BAD_INPUT, "bad input", "the profile, a flag or a value is wrong; nothing was contacted"),
    (Exit.CANNOT_CHECK, "cannot check", "the command could not run (e.g. the state directory is full or read-only)"),
    (Exit.REFUSED, "refused by a guard", "a confirmation is missing, another process works on the cluster, "
                                         "the number is registered elsewhere, or the profile changed meanwhile"),
    (Exit.NEEDS_INPUT, "needs input", "install stopped for the registration code: run again with --code"),
    (Exit.CAUSES_FOUND, "causes found", "doctor named at least one cause (0: nothing wrong found)"),
    (Exit.INTERRUPTED, "interrupted", "Ctrl-C or SIGTERM, or a quit confirmed in the TUI while a step or an operation "
                                      "ran; the abort is written to the run log and the journal: run the same command "
                                      "again (`upgrade --resume`) to continue"),
)
