"""``wabiz-tui fleet [PROFILE...]``: every saved cluster (or the ones given) in one live screen, and
``wabiz-tui health --all | PROFILE PROFILE...``: the same once, one line (or one JSON object) per cluster.

Exit code of ``health`` over many clusters: the worst cluster's, in the order failing (2) > degraded (1) >
unknown (3) > healthy (0) (``domain.exitcodes.worst_health``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..domain.exitcodes import READING_EXIT, HealthExit, worst_health

#: a verdict word (``workflows.observe.reading``) -> the ``health`` exit code
EXIT_OF = READING_EXIT
def register(sub) -> None:
    """Declare ``fleet``."""
    p = sub.add_parser("fleet", help="every saved cluster (or the ones given) in one live screen; Enter opens one",
                       description="One row per cluster, polled in parallel and updated live: verdict, shards served, "
                                   "standby Coreapps, failures tolerated, version, last answer. Enter opens that "
                                   "cluster's monitor; ctrl+o there comes back here. With no PROFILE: every saved profile.")
    p.add_argument("profiles", nargs="*", metavar="PROFILE", help="profile files or names of saved profiles (default: all saved)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between the polls of one cluster (default 5)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds one poll may take (default 10)")
    p.set_defaults(run=run)


def _members(names):
    from ..config.paths import app_paths
    from ..workflows.fleet import load_fleet

    return load_fleet(list(names), app_paths().profiles)


def run(args: argparse.Namespace) -> int:
    """The ``fleet`` command (Textual is imported here only)."""
    from ..domain.exitcodes import Exit
    from .output import fail

    for flag, value in (("--interval", args.interval), ("--timeout", args.timeout)):
        if not value > 0:
            return fail(f"{flag} must be greater than 0 seconds")
    members = _members(args.profiles)
    if not members:
        return fail("no saved profile: save one with 'wabiz-tui init' (or give PROFILE files)", Exit.BAD_INPUT)
    from ..tui.fleet_run import run_fleet_tui

    return run_fleet_tui(members, interval=args.interval, timeout=args.timeout)


def fleet_dict(member, obs) -> dict:
    """One cluster of ``health --all --json`` (the shape the README documents; no secrets)."""
    from ..workflows.fleet import fleet_row

    row = fleet_row(member, obs)
    data: dict = {"cluster": row.cluster, "profile": str(member.path or member.label), "verdict": row.verdict,
                  "exit_code": int(EXIT_OF[row.verdict]), "version": row.version if member.profile else None,
                  "shards_served": None, "shards_expected": None, "standby_coreapps": None,
                  "failures_tolerated": None, "failures_planned": None, "answered_at": None, "latency_ms": None,
                  "error": None, "findings": []}
    if member.profile is None:
        data["error"] = {"kind": "profile", "message": member.problem}
        return data
    data["answered_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(obs.answered_at))
    data["latency_ms"] = round(obs.latency * 1000, 1)
    data["findings"] = [{"key": f.key, "severity": f.severity} for f in obs.findings]
    v = obs.verdict
    if v is None:
        data["error"] = {"kind": obs.error_kind, "message": obs.message}
    else:
        data.update(shards_served=v.shards_served, shards_expected=v.shards_expected, standby_coreapps=v.standby,
                    failures_tolerated=v.failures_tolerated, failures_planned=v.failures_planned)
    return data


HEADINGS = ("CLUSTER", "VERDICT", "SHARDS", "STANDBY", "TOLERATED", "VERSION", "ANSWER")


def print_lines(members, observations, out=sys.stdout) -> None:
    """One aligned line per cluster under :data:`HEADINGS`."""
    from ..workflows.fleet import answer_text, fleet_row

    rows = [HEADINGS] + [(*vars(fleet_row(m, o)).values(), answer_text(m, o)) for m, o in zip(members, observations)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADINGS) - 1)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1], file=out)


async def health_all(names, *, as_json: bool, timeout: float) -> int:
    """``health --all`` / ``health P1 P2...``: poll every cluster once in parallel, print, return the worst code."""
    from ..workflows.fleet import fleet_row, poll_fleet

    members = _members(names)
    if not members:
        print("wabiz-tui: health: no saved profile: save one with 'wabiz-tui init' (or give PROFILE files)",
              file=sys.stderr)
        return int(HealthExit.UNKNOWN)
    observations = await poll_fleet(members, timeout=timeout)
    code = worst_health(EXIT_OF[fleet_row(m, o).verdict] for m, o in zip(members, observations))
    if as_json:
        print(json.dumps({"exit_code": int(code), "clusters": [fleet_dict(m, o) for m, o in zip(members, observations)]}))
    else:
        print_lines(members, observations)
    return int(code)
